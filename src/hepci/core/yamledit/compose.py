"""Turn ruamel.yaml's event stream into :mod:`hepci.core.yamledit.nodes` trees, one per document."""

from __future__ import annotations

from dataclasses import dataclass, field
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


def _pos(mark: Any) -> Pos:
    return Pos(offset=int(mark.index), line=int(mark.line), column=int(mark.column))


def _scalar(event: ev.ScalarEvent) -> ScalarNode:
    implicit = tuple(event.implicit) if event.implicit else (False, False)
    if event.tag is not None and event.tag != "!":
        resolved = event.tag
    else:
        resolved = _RESOLVER.resolve(_RuamelScalar, event.value, implicit)
    return ScalarNode(
        start=_pos(event.start_mark),
        end=_pos(event.end_mark),
        tag=event.tag if event.tag not in (None, "!") else None,
        anchor=event.anchor,
        value=event.value,
        style=style_of(event.style),
        resolved_tag=resolved,
    )


@dataclass
class _Builder:
    path: str
    limits: Limits
    documents: list[RawDocument] = field(default_factory=list)
    stack: list[MappingNode | SequenceNode] = field(default_factory=list)
    pending_key: list[Node | None] = field(default_factory=list)
    anchors: dict[str, Node] = field(default_factory=dict)
    root: Node | None = None
    doc_start: ev.DocumentStartEvent | None = None
    count: int = 0

    def add(self, node: Node) -> None:
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
        if isinstance(event, ev.ScalarEvent):
            self.add(_scalar(event))
        elif isinstance(event, ev.AliasEvent):
            self.alias(event)
        elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
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
        elif isinstance(event, ev.CollectionEndEvent):
            self.close(event)
        elif isinstance(event, ev.DocumentStartEvent):
            self.doc_start, self.root, self.anchors = event, None, {}
        elif isinstance(event, ev.DocumentEndEvent):
            self.end_document(event)

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


def _last_end(node: MappingNode | SequenceNode) -> Pos:
    if isinstance(node, SequenceNode):
        return node.items[-1].end if node.items else node.start
    return node.items[-1][1].end if node.items else node.start


def _compose(text: str, path: str, limits: Limits, *, pure: bool) -> list[RawDocument]:
    """Stream events into a builder: libyaml's C parser (40x faster) or the pure-Python one.

    ``typ="safe"``: the round-trip scanner would insert fold markers into folded scalars.
    """
    builder = _Builder(path=path, limits=limits)
    for event in YAML(typ="safe", pure=pure).parse(text):
        builder.feed(event)
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


def compose_documents(text: str, path: str, limits: Limits) -> list[RawDocument]:
    """Parse ``text`` into documents of positioned nodes; syntax errors name path:line:col.

    libyaml rejects a few constructs the YAML 1.2 pure parser accepts; those files are parsed
    again by the pure parser, whose error is reported when both fail.
    """
    try:
        return _compose(text, path, limits, pure=False)
    except (YAMLError, ImportError, AttributeError):
        pass
    try:
        return _compose(text, path, limits, pure=True)
    except YAMLError as exc:
        raise _syntax_error(exc, path) from None
    except RecursionError:
        raise InputFileError(f"nesting deeper than {limits.max_depth} levels", path=path) from None
