"""Plain Python data from positioned nodes, the way GitLab reads them.

Duplicate keys: the last one wins (and is reported by :func:`find_duplicate_keys`). Merge keys
(``<<: *x``) merge like YAML 1.1 says: explicit keys win, earlier merged maps win over later ones.
Aliases are expanded under a budget so a "billion laughs" file fails fast instead of eating memory,
and iteratively, with GitLab's depth limit, so no chain of aliases or merge keys can exhaust the
Python stack.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from hepci.core.yamledit.nodes import (
    AliasNode,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    no_cycle_collection,
    resolve_alias,
)
from hepci.errors import InputFileError

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Reference:
    """A GitLab ``!reference [job, key, ...]`` tag, kept unresolved.

    ``node`` is the tagged sequence it was read from (not compared): merged and copied data
    still says where each reference is written. Immutable, so copies are the object itself.
    """

    path: tuple[str, ...]
    node: Node | None = field(default=None, compare=False, repr=False)

    def __copy__(self) -> Reference:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Reference:
        return self

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


MAX_DATA_DEPTH = 100
"""Deepest nesting of plain data, aliases expanded: GitLab's own limit (``MAX_YAML_DEPTH = 100``
in ``lib/gitlab/config/loader/yaml.rb``, checked with ``Gitlab::Utils::DeepSize`` on the loaded,
alias-expanded data). Bounding the data keeps every recursive walker over it shallow."""

_Request = tuple[Node, int, bool]
"""A child a builder wants expanded: the node, the data depth its value sits at, and whether it
is a merge source (``<<``), whose mapping is only copied from."""


@dataclass(eq=False)
class _Pending:
    node: Node
    builder: Generator[_Request, Any, Any]
    alias: AliasNode | None  # the alias this collection was reached through, if any
    depth: int
    budget: int  # the budget when it started: what it cost is what it adds to the data
    deepest: int  # the deepest data level reached inside it so far


@dataclass(frozen=True)
class _Built:
    """A mapping already expanded: merging it again copies its keys instead of redoing it."""

    value: dict[Any, Any]
    cost: int
    height: int


class _Expander:
    """Expand nodes to data without recursion: one generator per open collection, on a list.

    Each collection's generator yields the children it needs and receives their values, so a
    long chain of aliases or merge keys costs list entries, not Python stack frames. A mapping
    merged with ``<<`` again is not expanded again (its keys are copied, like GitLab's YAML
    library shares an anchor's value), but it costs the budget what its expansion cost. Limits:
    ``budget`` nodes (aliases count each time they are expanded), ``max_depth`` levels of data,
    and no alias inside the node it names (a recursive structure).
    """

    def __init__(self, path: str, budget: int, max_depth: int) -> None:
        self.path, self.budget, self.max_depth = path, budget, max_depth
        self.stack: list[_Pending] = []
        self.open: set[int] = set()
        self.built: dict[int, _Built] = {}

    def spend(self, node: Node, count: int = 1) -> None:
        self.budget -= count
        if self.budget < 0:
            raise InputFileError(
                "alias expansion too large (a YAML bomb?)", path=self.path, line=node.start.lineno
            )

    def expand(self, root: Node | None) -> Any:
        value = self.start(root, 1)
        while self.stack:
            top = self.stack[-1]
            try:
                child, depth, merge = top.builder.send(value)
            except StopIteration as done:
                value = self.finish(top, done.value)
                continue
            value = self.start(child, depth, merge=merge)
        return value

    def finish(self, frame: _Pending, value: Any) -> Any:
        self.stack.pop()
        self.open.discard(id(frame.node))
        if isinstance(frame.node, MappingNode):
            plain = value.value if isinstance(value, Tagged) else value
            if isinstance(plain, dict):
                cost = frame.budget - self.budget
                self.built[id(frame.node)] = _Built(plain, cost, frame.deepest - frame.depth)
        if self.stack:
            self.stack[-1].deepest = max(self.stack[-1].deepest, frame.deepest)
        return value

    def start(self, node: Node | None, depth: int, *, merge: bool = False) -> Any:
        """A scalar's value, or ``None`` after pushing a collection to build."""
        if node is None:
            return None
        self.spend(node)
        alias: AliasNode | None = None
        while isinstance(node, AliasNode):
            alias, node = node, node.target
            if node is None:
                return None
            self.spend(node)
        if isinstance(node, ScalarNode):
            plain = scalar_value(node)
            return plain if node.tag is None else _tagged(node.tag, plain)
        if id(node) in self.open:
            message = "an alias refers to a node that contains it (a recursive structure)"
            raise self.error(message, alias)
        built = self.built.get(id(node)) if merge else None
        if depth > self.max_depth or (built is not None and depth + built.height > self.max_depth):
            raise self.error(
                f"nesting deeper than {self.max_depth} levels once aliases are expanded"
                " (GitLab's limit)",
                alias or node,
            )
        if built is not None:
            self.spend(node, built.cost)
            self.stack[-1].deepest = max(self.stack[-1].deepest, depth + built.height)
            return built.value
        self.open.add(id(node))
        if isinstance(node, SequenceNode):
            builder = self.sequence(node, depth)
        else:
            assert isinstance(node, MappingNode)
            builder = self.mapping(node, depth)
        self.stack.append(_Pending(node, builder, alias, depth, self.budget, depth))
        return None

    def error(self, message: str, node: Node | None) -> InputFileError:
        """The error at the outermost alias being expanded (where the user can fix it)."""
        where = next((p.alias for p in self.stack if p.alias is not None), node)
        line = where.start.lineno if where is not None else None
        return InputFileError(message, path=self.path, line=line)

    def sequence(self, node: SequenceNode, depth: int) -> Generator[_Request, Any, Any]:
        items = []
        for item in node.items:
            items.append((yield item, depth + 1, False))
        if node.tag == "!reference":
            return Reference(tuple(str(i) for i in items), node)
        return items if node.tag is None else _tagged(node.tag, items)

    def mapping(self, node: MappingNode, depth: int) -> Generator[_Request, Any, Any]:
        merged: dict[Any, Any] = {}
        own: dict[Any, Any] = {}
        for key, value in node.items:
            if isinstance(key, ScalarNode) and key.resolved_tag == MERGE_TAG:
                for source in merge_sources(value):  # merged keys sit at this mapping's depth
                    part = yield source, depth, True
                    if isinstance(part, Tagged):
                        part = part.value  # a tagged anchored mapping still merges its keys
                    for k, v in part.items() if isinstance(part, dict) else ():
                        merged.setdefault(k, v)
                continue
            name = yield key, depth + 1, False
            own[_hashable(name)] = yield value, depth + 1, False
        if merged:
            merged.update(own)
            own = merged
        return own if node.tag is None else _tagged(node.tag, own)


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


def to_data(
    node: Node | None,
    *,
    path: str = "<string>",
    budget: int = 1_000_000,
    max_depth: int = MAX_DATA_DEPTH,
) -> Any:
    """Plain data (dict/list/str/int/float/bool/None, :class:`Reference`) for ``node``.

    Raises :class:`~hepci.errors.InputFileError` past ``budget`` expanded nodes, past
    ``max_depth`` levels of data, or for an alias inside the node it names.
    """
    if not isinstance(node, MappingNode | SequenceNode | AliasNode):
        return _Expander(path, budget, max_depth).expand(node)
    with no_cycle_collection():
        return _Expander(path, budget, max_depth).expand(node)


RECURSIVE = sys.maxsize
"""The :func:`expanded_size` of a node that contains an alias to itself (it never ends)."""


def _children(node: Node) -> list[Node]:
    if isinstance(node, AliasNode):
        return [node.target] if node.target is not None else []
    if isinstance(node, SequenceNode):
        return node.items
    if isinstance(node, MappingNode):
        return [child for pair in node.items for child in pair]
    return []


def expanded_size(node: Node | None) -> int:
    """How many nodes ``node`` becomes once aliases are expanded (:data:`RECURSIVE` if it
    contains an alias to itself). Iterative and memoized: O(nodes) time, no recursion."""
    if node is None:
        return 0
    count, has_alias = 0, False
    for sub in node.walk():
        count += 1
        has_alias = has_alias or isinstance(sub, AliasNode)
    if not has_alias:
        return count  # the common case: nothing to expand
    memo: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(node, False)]
    open_nodes: set[int] = set()
    while stack:
        current, finished = stack.pop()
        key = id(current)
        if finished:
            open_nodes.discard(key)
            total = 1 + sum(memo[id(child)] for child in _children(current))
            memo[key] = min(total, RECURSIVE)
            continue
        if key in memo:
            continue
        if key in open_nodes:  # reached again from below itself: an alias to an ancestor
            return RECURSIVE
        open_nodes.add(key)
        stack.append((current, True))
        stack.extend((child, False) for child in _children(current) if id(child) not in memo)
    return memo[id(node)]


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
