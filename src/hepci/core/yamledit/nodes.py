"""A YAML node tree that keeps the exact source position of every key and value.

Built from ruamel.yaml's *event* stream (not its constructor), so nothing is lost or
re-interpreted: tags such as ``!reference`` stay on their node, anchors and aliases stay
distinct (an :class:`AliasNode` points at its anchor's node), duplicate keys are kept in
order, and every node knows its start/end offsets, lines and columns in the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Style = Literal["plain", "single", "double", "literal", "folded"]
_STYLE_BY_CHAR: dict[str | None, Style] = {
    None: "plain",
    "'": "single",
    '"': "double",
    "|": "literal",
    ">": "folded",
}


@dataclass(frozen=True)
class Pos:
    """A position in the text: character offset, 0-based line and column."""

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
        """This node and its descendants (aliases are not followed)."""
        yield self


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

    def walk(self) -> Iterator[Node]:
        yield self
        for item in self.items:
            yield from item.walk()


@dataclass(eq=False)
class MappingNode(Node):
    items: list[tuple[Node, Node]] = field(default_factory=list)
    flow: bool = False

    @property
    def kind(self) -> str:
        return "mapping"

    def walk(self) -> Iterator[Node]:
        yield self
        for key, value in self.items:
            yield from key.walk()
            yield from value.walk()

    def pairs(self) -> Iterator[tuple[str, Node, Node]]:
        """(key text, key node, value node) for keys that are scalars, in source order."""
        for key, value in self.items:
            if isinstance(key, ScalarNode):
                yield key.value, key, value

    def get(self, key: str) -> Node | None:
        """The value node of ``key`` (the last one when duplicated, as GitLab does)."""
        found: Node | None = None
        for text, _, value in self.pairs():
            if text == key:
                found = value
        return found

    def key_node(self, key: str) -> ScalarNode | None:
        """The key node of ``key`` (the last one when duplicated)."""
        found: ScalarNode | None = None
        for text, key_node, _ in self.pairs():
            if text == key and isinstance(key_node, ScalarNode):
                found = key_node
        return found

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
