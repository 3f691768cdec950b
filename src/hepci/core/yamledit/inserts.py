"""Text patches that insert: a key into a mapping, an item into a sequence (block or flow).

Block insertions add whole lines at the container's indentation (above the comments that lead
the entry they precede); flow insertions write flow syntax inside the brackets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hepci.core.yamledit.locate import (
    Refused,
    content_end,
    dash_before,
    format_path,
    line_start,
    next_line,
    only_space,
    skip_properties,
)
from hepci.core.yamledit.nodes import MappingNode, Node, ScalarNode, SequenceNode
from hepci.core.yamledit.ops import (
    Ctx,
    Patch,
    key_is,
    no_explicit_keys,
    replace_value,
    target,
)
from hepci.core.yamledit.render import render_block, render_inline, render_key


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.resolved_tag.endswith(":null") and not node.tag


def _insert_lines(ctx: Ctx, at: int, lines: list[str]) -> Patch:
    block = ctx.lines(lines)
    if at >= len(ctx.text) and ctx.text and not ctx.text.endswith("\n"):
        return Patch(at, at, ctx.newline + block)
    return Patch(at, at, block + ctx.newline)


def _insert_before(
    ctx: Ctx, start: int, col: int, lines: list[str], *, floor: int | None = None
) -> Patch:
    """Insert block lines before the entry at ``start``, above the comments that lead it."""
    text = ctx.text
    begin = line_start(text, start)
    if only_space(text, begin, start):
        while floor is not None and begin > 0:
            above = line_start(text, begin - 1)
            if above <= floor or not text[above:begin].strip().startswith("#"):
                break
            begin = above
        return _insert_lines(ctx, begin, lines)
    return Patch(start, start, ctx.lines(lines)[col:] + ctx.newline + " " * col)


def _open_bracket(ctx: Ctx, node: Node) -> int:
    return skip_properties(ctx.text, node.start.offset) + 1


def insert_key(
    ctx: Ctx, path: Sequence[Any], key: str, value: Any, *, after: str | None, before: str | None
) -> list[Patch]:
    _, node = target(ctx, path, changes_target=False)
    if _is_null(node):
        return replace_value(ctx, path, {key: value})
    if not isinstance(node, MappingNode):
        raise Refused(f"{format_path(path)} is not a mapping", node.start.lineno)
    if node.anchor is not None and node.anchor in ctx.aliased:
        raise Refused(f"{format_path(path)} is &{node.anchor}, which aliases reuse")
    if after is not None and before is not None:
        raise Refused("give 'after' or 'before', not both")
    no_explicit_keys(ctx, node)
    names = node.keys()
    if key in names:
        raise Refused(f"{format_path(path)} already has a key {key!r}", node.start.lineno)
    anchor_key = after if after is not None else before
    if anchor_key is not None and anchor_key not in names:
        raise Refused(f"{format_path(path)} has no key {anchor_key!r}", node.start.lineno)
    if node.flow:
        entry = f"{render_key(key, flow=True, fallback=ctx.quote)}: " + render_inline(
            value, flow=True, fallback=ctx.quote
        )
        return [_flow_insert(ctx, node, entry, after=after, before=before)]
    col = node.items[0][0].start.column
    lines = render_block({key: value}, col, ctx.layout(node))
    if before is not None:
        index = next(i for i, (k, _) in enumerate(node.items) if key_is(k, before))
        floor = node.items[index - 1][1].end.offset if index else None
        return [_insert_before(ctx, node.items[index][0].start.offset, col, lines, floor=floor)]
    last = node.get(after) if after is not None else node.items[-1][1]
    assert last is not None
    return [_insert_lines(ctx, next_line(ctx.text, content_end(ctx.text, last)), lines)]


def _flow_insert(
    ctx: Ctx, node: MappingNode, entry: str, *, after: str | None, before: str | None
) -> Patch:
    items = node.items
    if not items:
        at = _open_bracket(ctx, node)
        return Patch(at, at, entry)
    if before is not None:
        at = next(k for k, _ in node.items if key_is(k, before)).start.offset
        return Patch(at, at, entry + ", ")
    value = node.get(after) if after is not None else items[-1][1]
    assert value is not None
    return Patch(value.end.offset, value.end.offset, ", " + entry)


def insert_item(ctx: Ctx, path: Sequence[Any], index: int, value: Any) -> list[Patch]:
    _, node = target(ctx, path, changes_target=False)
    if _is_null(node) and index == 0:
        return replace_value(ctx, path, [value])
    if not isinstance(node, SequenceNode):
        raise Refused(f"{format_path(path)} is not a sequence", node.start.lineno)
    if node.anchor is not None and node.anchor in ctx.aliased:
        raise Refused(f"{format_path(path)} is &{node.anchor}, which aliases reuse")
    size = len(node.items)
    if isinstance(index, bool) or not 0 <= index <= size:
        raise Refused(f"{format_path(path)} has {size} items; cannot insert at {index}")
    if node.flow:
        rendered = render_inline(value, flow=True, fallback=ctx.quote)
        if not node.items:
            at = _open_bracket(ctx, node)
            return [Patch(at, at, rendered)]
        if index < size:
            at = node.items[index].start.offset
            return [Patch(at, at, rendered + ", ")]
        return [Patch(node.items[-1].end.offset, node.items[-1].end.offset, ", " + rendered)]
    text = ctx.text
    first = dash_before(text, node, 0)
    col = first - line_start(text, first)
    lines = render_block([value], col, ctx.layout(None))
    if index < size:
        floor = node.items[index - 1].end.offset if index else None
        return [_insert_before(ctx, dash_before(text, node, index), col, lines, floor=floor)]
    return [_insert_lines(ctx, next_line(text, content_end(text, node.items[-1])), lines)]
