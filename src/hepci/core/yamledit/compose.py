"""Turn ruamel.yaml's event stream into :mod:`hepci.core.yamledit.nodes` trees, one per document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode as _RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

from hepci.core.yamledit.nodes import (
    AliasNode,
    MappingNode,
    Node,
    Pos,
    ScalarNode,
    SequenceNode,
    no_cycle_collection,
    style_of,
)
from hepci.core.yamledit.source import Limits
from hepci.errors import InputFileError, YamlSyntaxError

_RESOLVER = VersionedResolver(version=(1, 2))


@dataclass(eq=False)
class RawDocument:
    """One YAML document as composed: its root node and where it sits in the text."""

    root: Node | None
    start: Pos
    end: Pos
    explicit_start: bool
    explicit_end: bool


_new_tuple = tuple.__new__


def _pos(mark: Any) -> Pos:
    # tuple.__new__ directly: NamedTuple's own __new__ is a Python-level lambda (three per event)
    return _new_tuple(Pos, (mark.index, mark.line, mark.column))


@lru_cache(maxsize=8192)
def _resolve(value: str, implicit: tuple[bool, bool]) -> str:
    """The implicit tag of a plain/quoted scalar (cached: CI files repeat values a lot)."""
    return str(_RESOLVER.resolve(_RuamelScalar, value, implicit))


def _scalar(event: ev.ScalarEvent) -> ScalarNode:
    tag = event.tag
    if tag is not None and tag != "!":
        resolved = tag
    else:
        tag = None
        flags = event.implicit
        implicit = (bool(flags[0]), bool(flags[1])) if flags else (False, False)
        resolved = _resolve(event.value, implicit)
    # positional, in field order (start, end, tag, anchor, value, style, resolved_tag): the
    # parser makes one per scalar event
    return ScalarNode(
        _pos(event.start_mark), _pos(event.end_mark), tag, event.anchor, event.value,
        style_of(event.style), resolved,
    )  # fmt: skip


def _advance(text: str, pos: Pos, offset: int) -> Pos:
    """The position ``offset`` (>= ``pos.offset``), with line and column counted from ``pos``."""
    segment = text[pos.offset : offset]
    breaks = segment.count("\n")
    if not breaks:
        return Pos(offset, pos.line, pos.column + len(segment))
    return Pos(offset, pos.line + breaks, len(segment) - segment.rfind("\n") - 1)


def _skip_trivia(text: str, i: int) -> int:
    """Index of the next character that is not whitespace, a line break or a comment."""
    while i < len(text):
        char = text[i]
        if char in " \t\r\n\ufeff":
            i += 1
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            break
    return i


@dataclass
class _Builder:
    path: str
    limits: Limits
    text: str = ""
    documents: list[RawDocument] = field(default_factory=list)
    stack: list[MappingNode | SequenceNode] = field(default_factory=list)
    pending_key: list[Node | None] = field(default_factory=list)
    anchors: dict[str, Node] = field(default_factory=dict)
    seed: Mapping[str, Node] = field(default_factory=dict)
    root: Node | None = None
    doc_start: ev.DocumentStartEvent | None = None
    count: int = 0

    def place_empty(self, node: ScalarNode) -> None:
        """Put an empty value (``key:``, ``-``) right after its indicator, not at the next token.

        The parser reports an empty scalar at the *next* token, which may be lines (and comments)
        later; edits need the place where the value would be written.
        """
        parent = self.stack[-1]
        if isinstance(parent, MappingNode):
            key = self.pending_key[-1]
            if key is None:
                return
            i = _skip_trivia(self.text, key.end.offset)
            if i < len(self.text) and self.text[i] == ":":
                i += 1
            else:
                i = key.end.offset
            where = _advance(self.text, key.end, i)
        else:
            prev = parent.items[-1].end if parent.items else parent.start
            i = _skip_trivia(self.text, prev.offset)
            while i < len(self.text) and self.text[i] in "&!":
                while i < len(self.text) and not self.text[i].isspace():
                    i += 1
                i = _skip_trivia(self.text, i)
            if i >= len(self.text) or self.text[i] != "-" or parent.flow:
                return
            where = _advance(self.text, prev, i + 1)
        if where.offset <= node.start.offset:
            node.start = node.end = where

    def add(self, node: Node) -> None:
        if (
            isinstance(node, ScalarNode)
            and self.stack
            and node.value == ""
            and node.style == "plain"
            and node.tag is None
            and node.anchor is None
        ):
            self.place_empty(node)
        self.count += 1
        if self.count > self.limits.max_nodes:
            raise InputFileError(f"more than {self.limits.max_nodes:,} YAML nodes", path=self.path)
        if node.anchor:
            self.anchors[node.anchor] = node
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if isinstance(parent, SequenceNode):
            parent.items.append(node)
        elif self.pending_key[-1] is None:
            self.pending_key[-1] = node
        else:
            key = self.pending_key[-1]
            assert key is not None
            parent.items.append((key, node))
            self.pending_key[-1] = None

    def open(self, node: MappingNode | SequenceNode) -> None:
        self.add(node)
        self.stack.append(node)
        self.pending_key.append(None)
        if len(self.stack) > self.limits.max_depth:
            raise InputFileError(
                f"nesting deeper than {self.limits.max_depth} levels",
                path=self.path,
                line=node.start.lineno,
            )

    def close(self, event: ev.CollectionEndEvent) -> None:
        node = self.stack.pop()
        self.pending_key.pop()
        if node.flow:
            node.end = _pos(event.end_mark)
        else:
            node.end = _last_end(node)

    def alias(self, event: ev.AliasEvent) -> None:
        target = self.anchors.get(str(event.anchor))
        if target is None:
            raise YamlSyntaxError(
                f"found undefined alias '{event.anchor}'",
                path=self.path,
                line=event.start_mark.line + 1,
                column=event.start_mark.column + 1,
            )
        self.add(
            AliasNode(
                start=_pos(event.start_mark),
                end=_pos(event.end_mark),
                name=str(event.anchor),
                target=target,
            )
        )

    def feed(self, event: ev.Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)
            return
        for kind, known in _HANDLERS.items():  # a subclass of one of them; others are ignored
            if isinstance(event, kind):
                known(self, event)
                return

    def scalar(self, event: ev.ScalarEvent) -> None:
        self.add(_scalar(event))

    def collection(self, event: ev.MappingStartEvent | ev.SequenceStartEvent) -> None:
        cls = MappingNode if isinstance(event, ev.MappingStartEvent) else SequenceNode
        tag = event.tag if event.tag not in (None, "!") else None
        self.open(
            cls(
                start=_pos(event.start_mark),
                end=_pos(event.end_mark),
                tag=tag,
                anchor=event.anchor,
                flow=bool(event.flow_style),
            )
        )

    def start_document(self, event: ev.DocumentStartEvent) -> None:
        self.doc_start, self.root, self.anchors = event, None, dict(self.seed)

    def end_document(self, event: ev.DocumentEndEvent) -> None:
        start = self.doc_start
        assert start is not None
        self.documents.append(
            RawDocument(
                root=self.root,
                start=_pos(start.start_mark),
                end=_pos(event.end_mark),
                explicit_start=bool(start.explicit),
                explicit_end=bool(event.explicit),
            )
        )


_HANDLERS: dict[type[ev.Event], Any] = {
    ev.ScalarEvent: _Builder.scalar,
    ev.AliasEvent: _Builder.alias,
    ev.MappingStartEvent: _Builder.collection,
    ev.SequenceStartEvent: _Builder.collection,
    ev.MappingEndEvent: _Builder.close,
    ev.SequenceEndEvent: _Builder.close,
    ev.DocumentStartEvent: _Builder.start_document,
    ev.DocumentEndEvent: _Builder.end_document,
}  # by exact type: one lookup per event instead of a chain of isinstance checks


def _last_end(node: MappingNode | SequenceNode) -> Pos:
    if isinstance(node, SequenceNode):
        return node.items[-1].end if node.items else node.start
    return node.items[-1][1].end if node.items else node.start


def _compose(
    text: str, path: str, limits: Limits, anchors: Mapping[str, Node], *, pure: bool
) -> list[RawDocument]:
    """Stream events into a builder: libyaml's C parser (40x faster) or the pure-Python one.

    ``typ="safe"``: the round-trip scanner would insert fold markers into folded scalars.
    """
    builder = _Builder(path=path, limits=limits, text=text, seed=anchors)
    if pure:
        for event in YAML(typ="safe", pure=True).parse(text):
            builder.feed(event)
        return builder.documents
    from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]  # no clib: ImportError

    parser = CParser(text)  # directly: YAML().parse() wraps each event in Python-level calls
    try:
        while parser.check_event():
            builder.feed(parser.get_event())
    finally:
        parser.dispose()
    return builder.documents


def _syntax_error(exc: YAMLError, path: str) -> YamlSyntaxError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        return YamlSyntaxError(
            " ".join(str(problem).split()),
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
    return YamlSyntaxError(" ".join(str(exc).split()), path=path)


def compose_documents(
    text: str, path: str, limits: Limits, anchors: Mapping[str, Node] | None = None
) -> list[RawDocument]:
    """Parse ``text`` into documents of positioned nodes; syntax errors name path:line:col.

    libyaml rejects a few constructs the YAML 1.2 pure parser accepts; those files are parsed
    again by the pure parser, whose error is reported when both fail. ``anchors`` are known
    before the text starts (a fragment of a larger document whose aliases name them).
    """
    seed = anchors or {}
    with no_cycle_collection():
        try:
            return _compose(text, path, limits, seed, pure=False)
        except (YAMLError, ImportError, AttributeError):
            pass
        return _compose_pure(text, path, limits, seed)


def _compose_pure(
    text: str, path: str, limits: Limits, seed: Mapping[str, Node]
) -> list[RawDocument]:
    try:
        return _compose(text, path, limits, seed, pure=True)
    except YAMLError as exc:
        raise _syntax_error(exc, path) from None
    except RecursionError:
        raise InputFileError(f"nesting deeper than {limits.max_depth} levels", path=path) from None
