"""Plain Python data from positioned nodes, the way GitLab reads them.

Duplicate keys: the last one wins (and is reported by :func:`find_duplicate_keys`). Merge keys
(``<<: *x``) merge like YAML 1.1 says: explicit keys win, earlier merged maps win over later ones.
Aliases are expanded under a budget so a "billion laughs" file fails fast instead of eating memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hepci.core.yamledit.nodes import (
    AliasNode,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    resolve_alias,
)
from hepci.errors import InputFileError

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Reference:
    """A GitLab ``!reference [job, key, ...]`` tag, kept unresolved."""

    path: tuple[str, ...]

    def __str__(self) -> str:
        return "!reference [" + ", ".join(self.path) + "]"


@dataclass(frozen=True)
class Tagged:
    """A value with an application tag other than ``!reference`` (kept, not interpreted)."""

    tag: str
    value: Any


@dataclass(frozen=True)
class DuplicateKey:
    """A key that appears twice in one mapping (GitLab keeps the last)."""

    key: str
    first: Node
    duplicate: Node


def scalar_value(node: ScalarNode) -> Any:
    """The typed value of a scalar under the YAML 1.2 core schema."""
    tag, text = node.resolved_tag, node.value
    try:
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return _int(text)
        if tag == "tag:yaml.org,2002:float":
            return _float(text)
    except ValueError:
        return text
    return text


def _int(text: str) -> int:
    cleaned = text.replace("_", "")
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-")
    if digits.startswith(("0x", "0X")):
        return sign * int(digits[2:], 16)
    if digits.startswith(("0o", "0O")):
        return sign * int(digits[2:], 8)
    return sign * int(digits, 10)


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(lowered)


class _Expander:
    def __init__(self, path: str, budget: int) -> None:
        self.path, self.budget = path, budget

    def spend(self, node: Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise InputFileError(
                "alias expansion too large (a YAML bomb?)", path=self.path, line=node.start.lineno
            )

    def value(self, node: Node | None) -> Any:
        if node is None:
            return None
        self.spend(node)
        if isinstance(node, AliasNode):
            return self.value(node.target)
        if isinstance(node, ScalarNode):
            plain = scalar_value(node)
            return plain if node.tag is None else _tagged(node.tag, plain)
        if isinstance(node, SequenceNode):
            items = [self.value(item) for item in node.items]
            if node.tag == "!reference":
                return Reference(tuple(str(i) for i in items))
            return items if node.tag is None else _tagged(node.tag, items)
        assert isinstance(node, MappingNode)
        mapping = self.mapping(node)
        return mapping if node.tag is None else _tagged(node.tag, mapping)

    def mapping(self, node: MappingNode) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        own: dict[Any, Any] = {}
        for key, value in node.items:
            if isinstance(key, ScalarNode) and key.resolved_tag == MERGE_TAG:
                for source in merge_sources(value):
                    for k, v in self.value(source).items():
                        merged.setdefault(k, v)
                continue
            own[_hashable(self.value(key))] = self.value(value)
        if not merged:
            return own
        merged.update(own)
        return merged


def merge_sources(value: Node) -> list[Node]:
    target = resolve_alias(value)
    if isinstance(target, SequenceNode):
        return [t for item in target.items if isinstance(t := resolve_alias(item), MappingNode)]
    return [target] if isinstance(target, MappingNode) else []


def _tagged(tag: str, value: Any) -> Any:
    if tag.startswith("tag:yaml.org,2002:"):
        return value
    return Tagged(tag, value)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _hashable(v)) for k, v in value.items())
    return value


def to_data(node: Node | None, *, path: str = "<string>", budget: int = 1_000_000) -> Any:
    """Plain data (dict/list/str/int/float/bool/None, :class:`Reference`) for ``node``."""
    return _Expander(path, budget).value(node)


def find_duplicate_keys(root: Node | None) -> list[DuplicateKey]:
    """Every repeated scalar key in every mapping under ``root``, in source order."""
    found: list[DuplicateKey] = []
    if root is None:
        return found
    for node in root.walk():
        if not isinstance(node, MappingNode):
            continue
        seen: dict[str, Node] = {}
        for text, key_node, _ in node.pairs():
            if isinstance(key_node, ScalarNode) and key_node.resolved_tag == MERGE_TAG:
                continue
            if text in seen:
                found.append(DuplicateKey(text, seen[text], key_node))
            seen[text] = key_node
    return sorted(found, key=lambda dup: dup.duplicate.start.offset)
