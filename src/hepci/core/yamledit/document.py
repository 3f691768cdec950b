"""A parsed YAML file: source text, documents with positioned nodes, data, duplicate keys.

GitLab CI component and template files are two documents: a ``spec:`` header, ``---``, and
the body. :attr:`YamlFile.header` and :attr:`YamlFile.body` name them; a plain CI file has
only a body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hepci.core.yamledit.compose import RawDocument, compose_documents
from hepci.core.yamledit.data import DuplicateKey, find_duplicate_keys, to_data
from hepci.core.yamledit.nodes import (
    MappingNode,
    Node,
    Pos,
    SequenceNode,
    resolve_alias,
)
from hepci.core.yamledit.source import Limits, SourceText, decode_bytes, read_source

PathKey = str | int
"""One step of a path into a document: a mapping key or a sequence index."""


@dataclass(eq=False)
class YamlDocument:
    """One document of a file."""

    root: Node | None
    start: Pos
    end: Pos
    index: int
    explicit_start: bool
    path: str
    limits: Limits = field(default_factory=Limits)

    @cached_property
    def data(self) -> Any:
        """Plain data, aliases expanded (within the limits), duplicate keys last-wins."""
        return to_data(
            self.root,
            path=self.path,
            budget=self.limits.max_expanded_nodes,
            max_depth=self.limits.max_depth,
        )

    def find(self, path: Sequence[PathKey]) -> Node | None:
        """The node at ``path`` (keys and indexes), following aliases; ``None`` if absent."""
        node = resolve_alias(self.root)
        for step in path:
            if isinstance(node, MappingNode) and isinstance(step, str):
                node = resolve_alias(node.get(step))
            elif isinstance(node, SequenceNode) and isinstance(step, int):
                node = (
                    resolve_alias(node.items[step])
                    if -len(node.items) <= step < len(node.items)
                    else None
                )
            else:
                return None
            if node is None:
                return None
        return node

    def mapping(self) -> MappingNode | None:
        """The root node when it is a mapping."""
        root = resolve_alias(self.root)
        return root if isinstance(root, MappingNode) else None


@dataclass(eq=False)
class YamlFile:
    """A whole file: its :class:`SourceText` and its documents."""

    path: str
    source: SourceText
    documents: list[YamlDocument]
    anchors: Mapping[str, Node] | None = None
    """Anchors known before the text (a fragment of a larger document); re-parses reuse them."""

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def header(self) -> YamlDocument | None:
        """The ``spec:`` header document of a component/template file, if there is one."""
        if len(self.documents) < 2:
            return None
        first = self.documents[0].mapping()
        if first is not None and first.keys() == ["spec"]:
            return self.documents[0]
        return None

    @property
    def body(self) -> YamlDocument | None:
        """The CI configuration document (after the header, if any)."""
        if not self.documents:
            return None
        return self.documents[1] if self.header is not None else self.documents[0]

    @cached_property
    def duplicates(self) -> list[DuplicateKey]:
        """Repeated keys in any document (GitLab keeps the last one)."""
        return [dup for doc in self.documents for dup in find_duplicate_keys(doc.root)]

    def line_text(self, lineno: int) -> str:
        """The text of 1-based line ``lineno`` without its line break."""
        lines = self.text.splitlines()
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""


def _documents(raw: list[RawDocument], path: str, limits: Limits) -> list[YamlDocument]:
    return [
        YamlDocument(
            root=doc.root,
            start=doc.start,
            end=doc.end,
            index=index,
            explicit_start=doc.explicit_start,
            path=path,
            limits=limits,
        )
        for index, doc in enumerate(raw)
    ]


def parse_source(
    source: SourceText,
    path: str | Path,
    limits: Limits | None = None,
    anchors: Mapping[str, Node] | None = None,
) -> YamlFile:
    """Parse already-decoded text (``anchors``: defined before it, for a fragment)."""
    limits = limits or Limits()
    name = str(path)
    raw = compose_documents(source.text, name, limits, anchors)
    documents = _documents(raw, name, limits)
    return YamlFile(path=name, source=source, documents=documents, anchors=anchors)


def parse_text(text: str, path: str | Path = "<string>", limits: Limits | None = None) -> YamlFile:
    """Parse a string (tests, in-memory content)."""
    return parse_source(SourceText(text=text), path, limits)


def parse_bytes(data: bytes, path: str | Path, limits: Limits | None = None) -> YamlFile:
    """Decode (BOM, UTF-16, binary check, size cap) and parse file content from any source."""
    limits = limits or Limits()
    return parse_source(decode_bytes(data, path, max_bytes=limits.max_bytes), path, limits)


def load_file(path: str | Path, limits: Limits | None = None) -> YamlFile:
    """Read, decode and parse a file from disk."""
    limits = limits or Limits()
    return parse_source(read_source(path, max_bytes=limits.max_bytes), path, limits)
