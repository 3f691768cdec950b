"""Text patches for each edit kind, computed from the positions the parser gave.

Every function here returns patches against the text it was given; nothing is re-serialised.
Block context keeps the container's indentation, flow context writes flow syntax, inserted
lines use the file's line ending, and comments outside the edited node stay where they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from hepci.core.yamledit.locate import (
    Indents,
    Refused,
    Step,
    anchored_in,
    content_end,
    dash_before,
    detect_layout,
    explicit_key,
    format_path,
    indicator_end,
    line_end,
    line_start,
    merged_keys,
    next_line,
    only_space,
    resolve_path,
    skip_properties,
)
from hepci.core.yamledit.nodes import MappingNode, Node, ScalarNode, SequenceNode
from hepci.core.yamledit.render import (
    Layout,
    Quote,
    is_multiline,
    needs_block,
    render_atom,
    render_block,
    render_inline,
    render_key,
    render_literal,
    render_string,
)


@dataclass(frozen=True)
class Patch:
    """Replace ``text[start:end]`` with ``replacement`` (offsets into the original text)."""

    start: int
    end: int
    replacement: str


@dataclass
class Ctx:
    """What planning an edit needs: the current text and the edited document."""

    text: str
    root: Node | None
    data: Any
    newline: str
    aliased: AbstractSet[str]
    quote: Quote = "double"
    indents: Indents | None = None  # the whole file's, when ``root`` is a fragment of it

    def layout(self, near: Node | None = None) -> Layout:
        return detect_layout(self.root, self.newline, near, self.indents, self.quote)

    def lines(self, lines: Sequence[str]) -> str:
        return self.newline.join(lines)


def _prefer(node: Node) -> Quote:
    if isinstance(node, ScalarNode) and node.style in ("single", "double"):
        return "single" if node.style == "single" else "double"
    return "plain"


def target(ctx: Ctx, path: Sequence[Any], *, changes_target: bool) -> tuple[list[Step], Node]:
    """Resolve ``path``; refuse when an anchored node that aliases reuse would change."""
    steps = resolve_path(ctx.root, path, ctx.data)
    node = steps[-1].node if steps else ctx.root
    if node is None:
        raise Refused("the document is empty")
    for step in steps:
        holder = step.container
        if holder.anchor is not None and holder.anchor in ctx.aliased:
            raise Refused(
                f"{format_path(path)} is inside &{holder.anchor}, which aliases reuse; "
                "the edit would change them too",
                holder.start.lineno,
            )
    found = anchored_in(node, ctx.aliased) if changes_target else None
    if found is not None:
        raise Refused(
            f"{format_path(path)} holds anchor &{found.anchor}, which aliases use",
            found.start.lineno,
        )
    return steps, node


def no_explicit_keys(ctx: Ctx, mapping: MappingNode) -> None:
    """Refuse to restructure a block mapping written with explicit ``? key`` entries."""
    if not mapping.flow and any(explicit_key(ctx.text, key) for key, _ in mapping.items):
        raise Refused("the mapping uses explicit '? key' entries", mapping.start.lineno)


def _space_before(text: str, at: int, rendered: str) -> str:
    return rendered if at == 0 or text[at - 1] in " \t\n[{," else " " + rendered


# --- set / replace --------------------------------------------------------------------------


def set_scalar(ctx: Ctx, path: Sequence[Any], value: Any) -> list[Patch]:
    steps, node = target(ctx, path, changes_target=True)
    if (
        not isinstance(node, ScalarNode)
        or node.style in ("literal", "folded")
        or is_multiline(value)
        or node.tag is not None
    ):
        return replace_value(ctx, path, value)
    flow = bool(steps) and steps[-1].container.flow
    if isinstance(value, str):
        rendered = render_string(value, _prefer(node), flow=flow, fallback=ctx.quote)
    else:
        rendered = render_atom(value)
    start = skip_properties(ctx.text, node.start.offset) if node.anchor else node.start.offset
    if node.start.offset == node.end.offset:
        start = node.start.offset
    return [Patch(start, node.end.offset, _space_before(ctx.text, start, rendered))]


def replace_value(ctx: Ctx, path: Sequence[Any], value: Any) -> list[Patch]:
    steps, node = target(ctx, path, changes_target=True)
    if not steps:
        return _replace_root(ctx, node, value)
    step, text = steps[-1], ctx.text
    end = content_end(text, node)
    if step.container.flow:
        rendered = render_inline(value, _prefer(node), flow=True, fallback=ctx.quote)
        return [Patch(node.start.offset, end, _space_before(text, node.start.offset, rendered))]
    ind = indicator_end(text, step)
    if ind is None:
        raise Refused("cannot find the ':' after this key", node.start.lineno)
    hanging = node.start.line > text.count("\n", 0, ind)
    clean = not text[ind : node.start.offset].strip()
    if not needs_block(value):
        rendered = " " + render_inline(value, _prefer(node), fallback=ctx.quote)
        if not hanging:
            return [Patch(ind, end, rendered)]
        if clean:
            return [Patch(ind, line_end(text, end), rendered)]
        # `key:  # comment` then the value: the new value goes before the comment
        return [
            Patch(ind, ind, rendered),
            Patch(line_start(text, node.start.offset), next_line(text, end), ""),
        ]
    if isinstance(step.container, SequenceNode):
        if not clean:
            raise Refused("a comment sits between the '-' and its value", node.start.lineno)
        return [
            _block_item(ctx, step, value, ind=ind, end=end, rest=text[end : line_end(text, end)])
        ]
    return _block_value(ctx, step, node, value, ind=ind, hanging=hanging, clean=clean)


def _literal_indent(text: str, node: Node, default: int) -> int:
    """Content indentation for a literal replacing ``node``: deeper than the comment lines that
    follow it (a comment indented like the content would become content)."""
    indent = default
    if isinstance(node, ScalarNode) and node.style in ("literal", "folded"):
        first = next_line(text, node.start.offset)
        body = text[first : node.end.offset]
        if body.strip():
            line = next(x for x in body.splitlines() if x.strip())
            indent = max(indent, len(line) - len(line.lstrip(" ")))
    at = next_line(text, content_end(text, node))
    while at < len(text):
        line = text[at : line_end(text, at)]
        if line.strip() and not line.lstrip().startswith("#"):
            break
        if line.strip():
            indent = max(indent, len(line) - len(line.lstrip(" ")) + 1)
        at = next_line(text, at)
    return indent


def _block_value(
    ctx: Ctx, step: Step, node: Node, value: Any, *, ind: int, hanging: bool, clean: bool
) -> list[Patch]:
    """A block collection or literal string as the value of a block mapping key."""
    text = ctx.text
    end = content_end(text, node)
    rest = text[end : line_end(text, end)]
    assert step.key is not None
    parent_col = step.key.start.column
    layout = ctx.layout(step.container)
    if isinstance(value, str):
        indent = _literal_indent(text, node, parent_col + layout.step)
        header, literal = render_literal(value, indent)
        if clean:
            return [
                Patch(ind, line_end(text, end), f" {header}{rest}{ctx.newline}{ctx.lines(literal)}")
            ]
        lines = Patch(line_start(text, node.start.offset), next_line(text, end), "")
        return [
            Patch(ind, ind, f" {header}"),
            lines,
            Patch(lines.end, lines.end, ctx.lines(literal) + ctx.newline),
        ]
    is_list = isinstance(value, list | tuple)
    if hanging and (is_list or node.start.column > parent_col):
        indent = node.start.column
    else:
        indent = parent_col + (layout.seq_offset if is_list else layout.step)
    body = ctx.lines(render_block(value, indent, layout))
    if not hanging:
        return [Patch(ind, line_end(text, end), f"{rest}{ctx.newline}{body}")]
    if clean:
        return [Patch(ind, line_end(text, end), f"{ctx.newline}{body}{rest}")]
    return [Patch(line_start(text, node.start.offset), line_end(text, end), body + rest)]


def _block_item(ctx: Ctx, step: Step, value: Any, *, ind: int, end: int, rest: str) -> Patch:
    assert isinstance(step.container, SequenceNode)
    dash = ind - 1
    dash_col = dash - line_start(ctx.text, dash)
    layout = ctx.layout(None)
    if isinstance(value, str):
        header, body = render_literal(value, _literal_indent(ctx.text, step.node, dash_col + 2))
        return Patch(ind, line_end(ctx.text, end), f" {header}{rest}{ctx.newline}{ctx.lines(body)}")
    lines = render_block(value, dash_col + 2, layout)
    first = " " + lines[0].lstrip(" ") + rest
    return Patch(ind, line_end(ctx.text, end), ctx.lines([first, *lines[1:]]))


def _replace_root(ctx: Ctx, node: Node, value: Any) -> list[Patch]:
    end = content_end(ctx.text, node)
    if isinstance(value, Mapping | list | tuple) and value and not getattr(node, "flow", True):
        body = render_block(value, node.start.column, ctx.layout())
        return [Patch(node.start.offset, end, ctx.lines(body)[node.start.column :])]
    if needs_block(value):
        raise Refused("cannot replace a whole document by a multi-line string")
    return [Patch(node.start.offset, end, render_inline(value, _prefer(node), fallback=ctx.quote))]


# --- rename / delete ------------------------------------------------------------------------


def rename_key(ctx: Ctx, path: Sequence[Any], new_key: str) -> list[Patch]:
    if not path:
        raise Refused("an empty path names no key")
    steps, _ = target(ctx, path, changes_target=False)
    step = steps[-1]
    key, mapping = step.key, step.container
    if key is None or not isinstance(mapping, MappingNode):
        raise Refused(f"{format_path(path)} ends with an index; only keys can be renamed")
    no_explicit_keys(ctx, mapping)
    if key.value == new_key:
        return []
    others = [k for k, _, _ in mapping.pairs()]
    if new_key in others:
        raise Refused(f"the mapping already has a key {new_key!r}", key.start.lineno)
    if others.count(key.value) > 1:
        raise Refused(
            f"key {key.value!r} appears {others.count(key.value)} times", key.start.lineno
        )
    if key.anchor is not None and key.anchor in ctx.aliased:
        raise Refused(f"key {key.value!r} holds anchor &{key.anchor}", key.start.lineno)
    rendered = render_key(new_key, flow=mapping.flow, prefer=_prefer(key), fallback=ctx.quote)
    start = skip_properties(ctx.text, key.start.offset) if (key.anchor or key.tag) else None
    return [Patch(start if start is not None else key.start.offset, key.end.offset, rendered)]


def delete_key(ctx: Ctx, path: Sequence[Any]) -> list[Patch]:
    if not path:
        raise Refused("an empty path names no key")
    steps, _ = target(ctx, path, changes_target=True)
    step = steps[-1]
    mapping = step.container
    if step.key is None or not isinstance(mapping, MappingNode):
        raise Refused(f"{format_path(path)} ends with an index; use DeleteItem")
    no_explicit_keys(ctx, mapping)
    name = step.key.value
    doomed = [i for i, (k, _) in enumerate(mapping.items) if key_is(k, name)]
    for index in doomed:
        key, value = mapping.items[index]
        found = anchored_in(key, ctx.aliased) or anchored_in(value, ctx.aliased)
        if found is not None:
            raise Refused(f"key {name!r} holds anchor &{found.anchor}, which aliases use")
    if name in merged_keys(mapping):
        raise Refused(
            f"a merge key (<<) also supplies {name!r}; deleting it would expose that value",
            step.key.start.lineno,
        )
    if len(doomed) == len(mapping.items):
        return replace_value(ctx, path[:-1], {})
    if mapping.flow:
        if len(doomed) > 1:
            raise Refused(f"key {name!r} appears {len(doomed)} times in a flow mapping")
        entries = [(k.start.offset, v.end.offset) for k, v in mapping.items]
        return [_delete_flow_entry(entries, doomed[0])]
    return [_delete_block_key(ctx, mapping, index) for index in doomed]


def key_is(key: Node, name: str) -> bool:
    return isinstance(key, ScalarNode) and key.value == name


def _delete_flow_entry(entries: list[tuple[int, int]], index: int) -> Patch:
    if index > 0:
        return Patch(entries[index - 1][1], entries[index][1], "")
    return Patch(entries[0][0], entries[1][0], "")


def _delete_block_key(ctx: Ctx, mapping: MappingNode, index: int) -> Patch:
    text = ctx.text
    key, value = mapping.items[index]
    begin = line_start(text, key.start.offset)
    if only_space(text, begin, key.start.offset):
        return Patch(begin, next_line(text, content_end(text, value)), "")
    if index + 1 < len(mapping.items):
        return Patch(key.start.offset, mapping.items[index + 1][0].start.offset, "")
    raise Refused("cannot delete the last key of a mapping that shares its line", key.start.lineno)


def delete_item(ctx: Ctx, path: Sequence[Any]) -> list[Patch]:
    if not path:
        raise Refused("an empty path names no item")
    steps, node = target(ctx, path, changes_target=True)
    step = steps[-1]
    seq = step.container
    if not isinstance(seq, SequenceNode):
        raise Refused(f"{format_path(path)} ends with a key; use DeleteKey")
    if len(seq.items) == 1:
        return replace_value(ctx, path[:-1], [])
    index = step.index
    if seq.flow:
        return [_delete_flow_entry([(i.start.offset, i.end.offset) for i in seq.items], index)]
    text = ctx.text
    dash = dash_before(text, seq, index)
    begin = line_start(text, dash)
    if only_space(text, begin, dash):
        return [Patch(begin, next_line(text, content_end(text, node)), "")]
    if index + 1 < len(seq.items):
        return [Patch(dash, dash_before(text, seq, index + 1), "")]
    raise Refused("cannot delete the last item of a sequence that shares its line")
