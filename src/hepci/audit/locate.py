"""Line numbers for data paths in positioned YAML documents."""

from __future__ import annotations

from collections.abc import Sequence

from hepci.core.yamledit import MappingNode, YamlDocument, resolve_alias

PathKey = str | int


def line_of(document: YamlDocument | None, path: Sequence[PathKey]) -> int:
    """1-based line of the key (or item) at ``path``; the deepest existing ancestor if absent."""
    if document is None:
        return 1
    for depth in range(len(path), 0, -1):
        parent = resolve_alias(document.find(path[: depth - 1]))
        last = path[depth - 1]
        if isinstance(parent, MappingNode) and isinstance(last, str):
            key = parent.key_node(last)
            if key is not None:
                return key.start.lineno
        node = document.find(path[:depth])
        if node is not None:
            return node.start.lineno
    return document.start.lineno
