"""Codemods: small classes that look at one CI file and propose edits for the YAML edit core.

A codemod never writes text itself. It returns :class:`Proposal` objects: edit operations
(:mod:`hepci.core.yamledit.edits`) addressed by path into the body document, plus
:class:`Manual` notes for what it found but cannot change mechanically (reported, never
guessed). The engine applies the edits as minimal text patches, one codemod at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from hepci.core.yamledit import (
    AliasNode,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlFile,
    resolve_alias,
)
from hepci.core.yamledit.data import MERGE_TAG
from hepci.core.yamledit.edits import Edit

if TYPE_CHECKING:
    from hepci.core.cimodel import CiConfig
    from hepci.upgrade.registry import ImageRef
    from hepci.upgrade.versions import ReleasePolicy

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Manual:
    """Something a codemod found but leaves to a human (with the reason)."""

    codemod: str
    rule: str
    message: str
    line: int | None = None


@dataclass
class Proposal:
    """What one codemod wants to do to one file: units of edits (each applied all or nothing)."""

    units: list[list[Edit]] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)

    def add(self, *edits: Edit) -> None:
        if edits:
            self.units.append(list(edits))

    @property
    def edits(self) -> list[Edit]:
        return [edit for unit in self.units for edit in unit]


class DigestLookup(Protocol):
    """Tag → digest (``registry.RegistryClient``); raises a ``HepciError`` when it cannot."""

    def digest(self, image: str | ImageRef) -> str: ...


@dataclass(frozen=True)
class UpgradeContext:
    """Settings shared by every codemod in a run."""

    releases: ReleasePolicy
    cern: bool = False
    templates_project: str = "hepci/hepci"
    digests: DigestLookup | None = None  # set when `pin-digests` runs (it asks registries)


class Codemod:
    """Base class: ``id`` is the CLI name, ``rules`` the audit rule IDs it fixes."""

    id: ClassVar[str] = ""
    rules: ClassVar[tuple[str, ...]] = ()
    profile: ClassVar[str | None] = None  # "cern": only with the CERN profile switched on;
    # "network": asks registries, only when selected by name or with --refresh-digests

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or cls.id).strip().splitlines()[0]

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        raise NotImplementedError

    def manual(self, message: str, node: Node | None = None, rule: str | None = None) -> Manual:
        line = node.start.lineno if node is not None else None
        return Manual(self.id, rule or self.rules[0], message, line)


# ----------------------------------------------------------------------------- node helpers


def mapping_of(node: Node | None) -> MappingNode | None:
    """``node`` when it is a mapping written in place (aliases are not followed)."""
    return node if isinstance(node, MappingNode) else None


def has_duplicate_keys(node: MappingNode) -> bool:
    keys = [k for k, _, _ in node.pairs()]
    return len(keys) != len(set(keys))


def own_key(node: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    """(key node, value node) of ``key`` written in ``node`` itself (not via ``<<``)."""
    found: tuple[ScalarNode, Node] | None = None
    for text, key_node, value in node.pairs():
        if text == key and isinstance(key_node, ScalarNode) and key_node.resolved_tag != MERGE_TAG:
            found = (key_node, value)
    return found


def merge_sources(node: MappingNode) -> list[Node]:
    """Mappings merged into ``node`` with ``<<: *x`` (or ``<<: [*x, *y]``)."""
    found: list[Node] = []
    for key, value in node.items:
        if isinstance(key, ScalarNode) and key.resolved_tag == MERGE_TAG:
            target = resolve_alias(value)
            items = target.items if isinstance(target, SequenceNode) else [value]
            for item in items:
                resolved = resolve_alias(item)
                if resolved is not None:
                    found.append(resolved)
    return found


def iter_scalars(node: Node | None, path: Path = ()) -> Iterator[tuple[Path, ScalarNode]]:
    """Every scalar written under ``node`` with its path; aliases, merges, tags skipped."""
    if node is None or isinstance(node, AliasNode):
        return
    if isinstance(node, ScalarNode):
        yield path, node
    elif isinstance(node, SequenceNode):
        if node.tag is not None:
            return
        for index, item in enumerate(node.items):
            yield from iter_scalars(item, (*path, index))
    elif isinstance(node, MappingNode):
        if node.tag is not None or has_duplicate_keys(node):
            return
        for text, key_node, value in node.pairs():
            if not (isinstance(key_node, ScalarNode) and key_node.resolved_tag == MERGE_TAG):
                yield from iter_scalars(value, (*path, text))


_COMMENT = re.compile(r"(?:^|[ \t])#")


def span_text(file: YamlFile, node: Node) -> str:
    return file.text[node.start.offset : node.end.offset]


def has_comment(file: YamlFile, node: Node) -> bool:
    """Whether a comment (or something like one) sits in ``node``'s text or after it on its line."""
    end = node.end.offset
    if node.end.column > 0:
        newline = file.text.find("\n", end)
        end = len(file.text) if newline < 0 else newline
    text = file.text[node.start.offset : end]
    return any(_COMMENT.search(line) for line in text.splitlines())


def has_anchor_or_alias(node: Node) -> bool:
    return any(sub.anchor is not None or isinstance(sub, AliasNode) for sub in node.walk())


def is_plain_data(node: Node) -> bool:
    """No anchors, aliases or tags inside: safe to re-render from its data."""
    return not any(
        sub.anchor is not None or isinstance(sub, AliasNode) or sub.tag is not None
        for sub in node.walk()
    )


def movable(file: YamlFile, node: Node) -> str | None:
    """Why ``node``'s value cannot be re-rendered elsewhere without loss, or ``None``."""
    if has_comment(file, node):
        return "it contains comments"
    if not is_plain_data(node):
        return "it uses anchors, aliases or tags"
    return None


def str_items(value: Any) -> list[str] | None:
    """``value`` as a list of strings (a lone string counts), or ``None``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def select_codemods(
    codemods: Sequence[type[Codemod]],
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    *,
    cern: bool = False,
    network: bool = False,
) -> list[type[Codemod]]:
    """Filter by codemod ID or audit rule ID (``--select/--ignore``), and by profile."""

    def matches(cls: type[Codemod], names: Sequence[str]) -> bool:
        return any(n == cls.id or n in cls.rules for n in names)

    chosen = []
    for cls in codemods:
        if select and not matches(cls, select):
            continue
        if ignore and matches(cls, ignore):
            continue
        if cls.profile == "cern" and not cern and not (select and cls.id in select):
            continue
        if cls.profile == "network" and not network and not select:  # selected: it matched
            continue
        chosen.append(cls)
    return chosen
