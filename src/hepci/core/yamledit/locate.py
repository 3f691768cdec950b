"""Find what an edit targets: path resolution (refusing aliases and merge keys), text positions
of indicators (``:`` after a key, ``-`` before an item), line bounds, and the file's indentation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from hepci.core.yamledit.data import MERGE_TAG, merge_sources, to_data
from hepci.core.yamledit.document import PathKey
from hepci.core.yamledit.nodes import AliasNode, MappingNode, Node, ScalarNode, SequenceNode
from hepci.core.yamledit.render import Layout, Quote


class Refused(Exception):
    """Why an edit cannot be applied safely (edits.py adds the file and the edit)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Step:
    """One resolved path step: the container, the entry's position in it, key and value nodes."""

    container: MappingNode | SequenceNode
    index: int
    key: ScalarNode | None
    node: Node
    data_key: Any


def format_path(path: Sequence[PathKey]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "<root>"


def explicit_key(text: str, key: Node) -> bool:
    """Whether ``key`` is written as an explicit ``? key`` entry (not supported by edits)."""
    before = text[text.rfind("\n", 0, key.start.offset) + 1 : key.start.offset].rstrip()
    return before.endswith("?")


def _map_step(node: MappingNode, step: PathKey, data: Any, where: str) -> Step:
    if not isinstance(step, str):
        raise Refused(f"{where} is a mapping; index {step!r} needs a key", node.start.lineno)
    if step == "<<":
        raise Refused(
            f"'<<' in {where} is a merge key; edit the anchored mapping", node.start.lineno
        )
    found: Step | None = None
    for index, (key, value) in enumerate(node.items):
        if isinstance(key, ScalarNode) and key.value == step and key.resolved_tag != MERGE_TAG:
            found = Step(node, index, key, value, to_data(key))
    if found is not None:
        return found
    if isinstance(data, dict) and any(str(k) == step for k in data):
        raise Refused(
            f"key {step!r} of {where} comes from a merge key (<<); edit the anchored mapping",
            node.start.lineno,
        )
    raise Refused(f"{where} has no key {step!r}", node.start.lineno)


def _seq_step(node: SequenceNode, step: PathKey, where: str) -> Step:
    if not isinstance(step, int) or isinstance(step, bool):
        raise Refused(f"{where} is a sequence; key {step!r} needs an index", node.start.lineno)
    size = len(node.items)
    if not -size <= step < size:
        raise Refused(f"{where} has {size} items; no index {step}", node.start.lineno)
    index = step % size
    return Step(node, index, None, node.items[index], index)


def resolve_path(root: Node | None, path: Sequence[PathKey], data: Any) -> list[Step]:
    """Steps from ``root`` along ``path``; the last node may be an alias, earlier ones may not."""
    steps: list[Step] = []
    node = root
    for depth, step in enumerate(path):
        where = format_path(path[:depth])
        if isinstance(node, AliasNode):
            raise Refused(f"{where} is an alias (*{node.name}); edit its anchor", node.start.lineno)
        if isinstance(node, MappingNode):
            resolved = _map_step(node, step, data, where)
        elif isinstance(node, SequenceNode):
            resolved = _seq_step(node, step, where)
        else:
            raise Refused(f"{where} is not a mapping or sequence", _line(node))
        steps.append(resolved)
        node = resolved.node
        data = _child(data, resolved.data_key)
    return steps


def _child(data: Any, key: Any) -> Any:
    if isinstance(data, dict):
        return data.get(key)
    if isinstance(data, list) and isinstance(key, int) and key < len(data):
        return data[key]
    return None


def _line(node: Node | None) -> int | None:
    return node.start.lineno if node is not None else None


def merged_keys(mapping: MappingNode) -> set[str]:
    """Keys that merge keys (``<<``) of ``mapping`` supply."""
    names: set[str] = set()
    for key, value in mapping.items:
        if isinstance(key, ScalarNode) and key.resolved_tag == MERGE_TAG:
            for source in merge_sources(value):
                if isinstance(source, MappingNode):
                    names.update(text for text, _, _ in source.pairs())
    return names


def aliased_anchors(root: Node | None) -> set[str]:
    """Anchor names that some alias in the document refers to."""
    if root is None:
        return set()
    return {node.name for node in root.walk() if isinstance(node, AliasNode)}


def anchored_in(node: Node, names: AbstractSet[str]) -> Node | None:
    """The first node under ``node`` (itself included) that defines one of ``names``."""
    for child in node.walk():
        if child.anchor is not None and child.anchor in names:
            return child
    return None


# --- text positions -------------------------------------------------------------------------


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset of the line break ending the line of ``offset`` (before ``\\r\\n``), or the end."""
    end = text.find("\n", offset)
    if end < 0:
        return len(text)
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def next_line(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def only_space(text: str, start: int, end: int) -> bool:
    return not text[start:end].strip(" \t")


def skip_trivia(text: str, i: int) -> int:
    """Next offset that is not whitespace, a line break or a comment."""
    while i < len(text):
        if text[i] in " \t\r\n":
            i += 1
        elif text[i] == "#":
            i = line_end(text, i)
        else:
            break
    return i


def skip_properties(text: str, i: int) -> int:
    """Skip ``&anchor`` and ``!tag`` (and trivia) from ``i``: where the value's own text starts."""
    i = skip_trivia(text, i)
    while i < len(text) and text[i] in "&!":
        while i < len(text) and not text[i].isspace():
            i += 1
        i = skip_trivia(text, i)
    return i


def _last_leaf(node: Node) -> Node:
    while isinstance(node, MappingNode | SequenceNode) and node.items and not node.flow:
        last = node.items[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def content_end(text: str, node: Node) -> int:
    """End of a node's text without the trailing blank lines a block scalar swallows.

    A ``|+``/``>+`` scalar keeps its trailing blank lines as content: they stay inside.
    """
    end = node.end.offset
    leaf = _last_leaf(node)
    if isinstance(leaf, ScalarNode) and leaf.style in ("literal", "folded"):
        header = text[leaf.start.offset : line_end(text, leaf.start.offset)].split("#", maxsplit=1)[
            0
        ]
        if "+" in header:  # end on the last kept line, before its line break
            if end > node.start.offset and text[end - 1] == "\n":
                end -= 2 if text[end - 2 : end] == "\r\n" else 1
            return end
    while end > node.start.offset and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def colon_after(text: str, key: Node) -> int | None:
    """Offset just after the ``:`` that follows ``key`` (None for ``{a, b}``-style keys)."""
    i = skip_trivia(text, key.end.offset)
    return i + 1 if i < len(text) and text[i] == ":" else None


def dash_before(text: str, seq: SequenceNode, index: int) -> int:
    """Offset of the ``-`` that introduces block sequence item ``index``."""
    start = seq.start.offset if index == 0 else seq.items[index - 1].end.offset
    i = skip_properties(text, start) if index == 0 else skip_trivia(text, start)
    if i >= len(text) or text[i] != "-":
        raise Refused("cannot find the '-' of this sequence item", seq.items[index].start.lineno)
    return i


def indicator_end(text: str, step: Step) -> int | None:
    """Offset just after the ``:`` or ``-`` that introduces ``step``'s value (block context)."""
    if isinstance(step.container, MappingNode):
        assert step.key is not None
        return colon_after(text, step.key)
    return dash_before(text, step.container, step.index) + 1


# --- indentation ----------------------------------------------------------------------------


def _common(values: list[int], default: int) -> int:
    return Counter(values).most_common(1)[0][0] if values else default


Indents = tuple[int, int | None]
"""A file's usual indentation: mapping step, and where a block sequence's dash sits under its
key (``None``: no block sequence under a key, use the step)."""


def _offsets(node: MappingNode, steps: list[int], seqs: list[int]) -> None:
    for key, value in node.items:
        if value.start.line <= key.start.line or getattr(value, "flow", True):
            continue
        offset = value.start.column - key.start.column
        if isinstance(value, MappingNode) and offset > 0:
            steps.append(offset)
        elif isinstance(value, SequenceNode) and offset >= 0:
            seqs.append(offset)


def file_indents(root: Node | None, skip: Node | None = None) -> Indents:
    """The most common indentation offsets of the block mappings under ``root`` (but ``skip``)."""
    steps: list[int] = []
    seqs: list[int] = []
    for node in root.walk() if root is not None else ():
        if isinstance(node, MappingNode) and not node.flow and node is not skip:
            _offsets(node, steps, seqs)
    return _common(steps, 2), (_common(seqs, 0) if seqs else None)


def detect_layout(
    root: Node | None,
    newline: str,
    near: Node | None = None,
    indents: Indents | None = None,
    quote: Quote | None = None,
) -> Layout:
    """The indentation habits of the file, preferring those of ``near`` (the edited container).

    ``indents`` and ``quote``: the whole file's habits, when ``root`` is only a fragment of it.
    """
    usual_step, usual_seq = indents if indents is not None else file_indents(root, near)
    local_steps: list[int] = []
    local_seqs: list[int] = []
    if isinstance(near, MappingNode) and not near.flow:
        _offsets(near, local_steps, local_seqs)
    step = _common(local_steps, usual_step)
    seq = _common(local_seqs, usual_seq if usual_seq is not None else step)
    habit = quote if quote is not None else quote_habit(root)
    return Layout(step=step, seq_offset=seq, newline=newline, quote=habit)


def quote_habit(root: Node | None) -> Quote:
    """``single`` when the file single-quotes more scalars than it double-quotes."""
    styles = Counter(
        n.style for n in (root.walk() if root is not None else ()) if isinstance(n, ScalarNode)
    )
    return "single" if styles["single"] > styles["double"] else "double"
