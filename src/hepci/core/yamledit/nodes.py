"""A YAML node tree that keeps the exact source position of every key and value.

Built from ruamel.yaml's *event* stream (not its constructor), so nothing is lost or
re-interpreted: tags such as ``!reference`` stay on their node, anchors and aliases stay
distinct (an :class:`AliasNode` points at its anchor's node), duplicate keys are kept in
order, and every node knows its start/end offsets, lines and columns in the text.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Style = Literal["plain", "single", "double", "literal", "folded"]
_SCAN_LIMIT = 16
"""Mappings with more entries than this get a key -> entry table on first lookup."""
_STYLE_BY_CHAR: dict[str | None, Style] = {
    None: "plain",
    "'": "single",
    '"': "double",
    "|": "literal",
    ">": "folded",
}


class Pos(NamedTuple):
    """A position in the text: character offset, 0-based line and column (a tuple: the parser
    makes three per event, and a tuple is several times cheaper to build than a dataclass)."""

    offset: int
    line: int
    column: int

    @property
    def lineno(self) -> int:
        """1-based line, for messages."""
        return self.line + 1

    @property
    def colno(self) -> int:
        """1-based column, for messages."""
        return self.column + 1


@dataclass(eq=False)
class Node:
    """Common part of every node. ``start`` includes a tag or anchor written before the value."""

    start: Pos
    end: Pos
    tag: str | None = None
    anchor: str | None = None

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def walk(self) -> Iterator[Node]:
        """This node and its descendants in document order (aliases are not followed).

        Iterative (an explicit stack), so no depth of nesting can exhaust Python's stack.
        """
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, SequenceNode):
                stack.extend(reversed(node.items))
            elif isinstance(node, MappingNode):
                for key, value in reversed(node.items):
                    stack.append(value)
                    stack.append(key)


@dataclass(eq=False)
class ScalarNode(Node):
    value: str = ""
    style: Style = "plain"
    resolved_tag: str = "tag:yaml.org,2002:str"

    @property
    def kind(self) -> str:
        return "scalar"


@dataclass(eq=False)
class SequenceNode(Node):
    items: list[Node] = field(default_factory=list)
    flow: bool = False

    @property
    def kind(self) -> str:
        return "sequence"


@dataclass(eq=False)
class MappingNode(Node):
    items: list[tuple[Node, Node]] = field(default_factory=list)
    flow: bool = False
    _index: dict[str, tuple[ScalarNode, Node]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return "mapping"

    def pairs(self) -> Iterator[tuple[str, Node, Node]]:
        """(key text, key node, value node) for keys that are scalars, in source order."""
        for key, value in self.items:
            if isinstance(key, ScalarNode):
                yield key.value, key, value

    def _last(self, key: str) -> tuple[ScalarNode, Node] | None:
        """(key node, value node) of the last ``key``: a scan when small, else a lookup table
        built once (a CI file's top level has thousands of jobs)."""
        if len(self.items) <= _SCAN_LIMIT:
            found: tuple[ScalarNode, Node] | None = None
            for text, key_node, value in self.pairs():
                if text == key and isinstance(key_node, ScalarNode):
                    found = (key_node, value)
            return found
        if self._index is None or self._indexed != len(self.items):
            index: dict[str, tuple[ScalarNode, Node]] = {}
            for text, key_node, value in self.pairs():
                if isinstance(key_node, ScalarNode):
                    index[text] = (key_node, value)
            self._index, self._indexed = index, len(self.items)
        return self._index.get(key)

    def get(self, key: str) -> Node | None:
        """The value node of ``key`` (the last one when duplicated, as GitLab does)."""
        found = self._last(key)
        return found[1] if found is not None else None

    def key_node(self, key: str) -> ScalarNode | None:
        """The key node of ``key`` (the last one when duplicated)."""
        found = self._last(key)
        return found[0] if found is not None else None

    def keys(self) -> list[str]:
        """Distinct scalar keys in first-seen order."""
        return list(dict.fromkeys(text for text, _, _ in self.pairs()))


@dataclass(eq=False)
class AliasNode(Node):
    name: str = ""
    target: Node | None = None

    @property
    def kind(self) -> str:
        return "alias"


def resolve_alias(node: Node | None) -> Node | None:
    """Follow an alias to the node it names."""
    while isinstance(node, AliasNode):
        node = node.target
    return node


def style_of(char: str | None) -> Style:
    return _STYLE_BY_CHAR.get(char, "plain")


_PAUSE_LOCK = threading.Lock()
_PAUSES = [0, False]  # [threads inside, whether the collector was on when the first came in]


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building or editing node trees.

    Parsing makes millions of small objects and no reference cycles; each full collection scans
    every live object, so with a big file in memory the collector turned linear work into
    quadratic (upgrade of 10,000 jobs: 36 s, 16 s without it). Reference counting still frees
    everything; the collector comes back on when the last thread leaves.
    """
    with _PAUSE_LOCK:
        if _PAUSES[0] == 0:
            _PAUSES[1] = gc.isenabled()
            gc.disable()
        _PAUSES[0] += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSES[0] -= 1
            if _PAUSES[0] == 0 and _PAUSES[1]:
                gc.enable()
