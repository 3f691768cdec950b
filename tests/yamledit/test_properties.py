"""Property-based tests: generated data, rendered in varied styles by a small renderer of our own
(block/flow, indent 2/4, indentless sequences, plain/single/double quoting, comments, CRLF).

Invariants: the text parses back to the data; a no-op is byte-identical; every edit kind changes
only the original lines it targets and re-parses to the expected data (computed here on plain
Python data, independently of the library's own check); two edits in one call equal two calls.

Deterministic by default; ``HEPCI_YAMLEDIT_RANDOM=1 HEPCI_YAMLEDIT_EXAMPLES=2000`` hunts wider.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yamledit.edit_checks import changed_lines, only_lines_changed

from hepci.core.yamledit import (
    DeleteItem,
    DeleteKey,
    InsertItem,
    InsertKey,
    MappingNode,
    Node,
    RenameKey,
    ReplaceValue,
    SequenceNode,
    SetScalar,
    apply_edits,
    parse_text,
)
from hepci.errors import UnsafeEditError

SETTINGS = settings(
    max_examples=int(os.environ.get("HEPCI_YAMLEDIT_EXAMPLES", "60")),
    deadline=None,
    derandomize=os.environ.get("HEPCI_YAMLEDIT_RANDOM") is None,  # deterministic by default
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ./-]*$")
_KEYWORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}

keys = st.text(alphabet="abcxyz_-0123456789", min_size=1, max_size=6).filter(
    lambda k: k[0].isalpha()
)
strings = st.one_of(
    st.text(alphabet="ab c:#'\"-,[]{}é\n\\!&*%@`|>?", max_size=12),
    st.sampled_from(
        ["yes", "no", "on", "true", "null", "1.0", "012", "~", "", "- x", "a: b", "#c"]
    ),
    keys,
)
scalars = st.one_of(
    strings,
    st.integers(-1000, 10**12),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=5)


@dataclass(frozen=True)
class Style:
    step: int
    indentless: bool
    quote: str
    flow_depth: int
    comments: bool
    crlf: bool


styles = st.builds(
    Style,
    step=st.sampled_from([2, 4]),
    indentless=st.booleans(),
    quote=st.sampled_from(["plain", "single", "double"]),
    flow_depth=st.sampled_from([1, 2, 99]),
    comments=st.booleans(),
    crlf=st.booleans(),
)


def scalar_text(value: Any, style: Style) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    simple = _SIMPLE.fullmatch(value) and not value.endswith(" ")
    if style.quote == "plain" and simple and value.lower() not in _KEYWORDS:
        return value
    if style.quote == "single" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def inline(value: Any, style: Style) -> str:
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{scalar_text(k, style)}: {inline(v, style)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(inline(v, style) for v in value) + "]"
    return scalar_text(value, style)


def block(value: Any, indent: int, style: Style, depth: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for number, (key, item) in enumerate(value.items()):
            if style.comments and number == 1:
                lines.append(f"{pad}# about {key}")
            head = f"{pad}{scalar_text(key, style)}:"
            if isinstance(item, dict | list) and item and depth + 1 < style.flow_depth:
                child = indent + (0 if style.indentless and isinstance(item, list) else style.step)
                lines.append(head + ("  # opens" if style.comments else ""))
                lines.extend(block(item, child, style, depth + 1))
            else:
                lines.append(
                    f"{head} {inline(item, style)}" + ("  # why" if style.comments else "")
                )
        return lines
    for item in value:
        if isinstance(item, dict | list) and item and depth + 1 < style.flow_depth:
            sub = block(item, indent + 2, style, depth + 1)
            lines.append(f"{pad}- {sub[0].lstrip()}")
            lines.extend(sub[1:])
        else:
            lines.append(f"{pad}- {inline(item, style)}")
    return lines


def render(data: dict[str, Any], style: Style) -> str:
    lines = ["# generated", *block(data, 0, style, 0)]
    newline = "\r\n" if style.crlf else "\n"
    return newline.join(lines) + newline


@SETTINGS
@given(documents, styles)
def test_rendered_documents_parse_back_and_no_op_is_identical(data, style) -> None:
    text = render(data, style)
    file = parse_text(text)
    assert file.body is not None and file.body.data == data
    result = apply_edits(file, [])
    assert result.text == text and not result.changed
    assert file.source.encode(result.text) == text.encode("utf-8")


# --- edits ----------------------------------------------------------------------------------


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(paths(v, (*prefix, i)))
    return out


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def node_lines(node: Node, text: str) -> set[int]:
    end = node.end.offset
    while end > node.start.offset and text[end - 1] in " \t\r\n":
        end -= 1
    return set(range(node.start.line, text.count("\n", 0, end) + 1))


def entry_lines(file, path: tuple[Any, ...]) -> set[int]:
    """Lines of the entry at ``path``: its key (or dash) line through the end of its value."""
    doc = file.body
    node = doc.find(path)
    text = file.text
    lines = node_lines(node, text)
    if path:
        parent = doc.find(path[:-1])
        first = node
        if isinstance(parent, MappingNode):
            first = parent.key_node(path[-1])
            lines |= node_lines(first, text)
        if parent.flow:
            lines |= node_lines(parent, text)
        elif text[text.rfind("\n", 0, first.start.offset) + 1 : first.start.offset].strip():
            # `- key: v`: deleting the first entry re-homes the next one onto the dash line
            siblings = (
                [k for k, _ in parent.items] if isinstance(parent, MappingNode) else parent.items
            )
            later = [s for s in siblings if s.start.offset > node.end.offset]
            if later:
                lines.add(later[0].start.line)
    return set(range(min(lines), max(lines) + 1))


@st.composite
def edit_cases(draw):
    data = draw(documents)
    style = draw(styles)
    text = render(data, style)
    file = parse_text(text)
    everything = paths(data)
    kind = draw(
        st.sampled_from(["set", "replace", "rename", "insert-key", "insert-item", "delete"])
    )
    want = copy.deepcopy(data)
    path = draw(st.sampled_from(everything))
    if kind in {"set", "replace"}:
        if not path:
            path = (next(iter(data)),)
        value = draw(scalars if kind == "set" else values)
        edit = (SetScalar if kind == "set" else ReplaceValue)(path, value)
        get(want, path[:-1])[path[-1]] = value
        return file, edit, want, entry_lines(file, path), False
    if kind == "rename":
        dict_paths = [p for p in everything if p and isinstance(p[-1], str)]
        path = draw(st.sampled_from(dict_paths))
        parent = get(want, path[:-1])
        new = draw(keys.filter(lambda k: k not in parent))
        items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        key = file.body.find(path[:-1]).key_node(path[-1])
        return file, RenameKey(path, new), want, node_lines(key, text), False
    if kind == "insert-key":
        dicts = [p for p in everything if isinstance(get(data, p), dict) and get(data, p)]
        path = draw(st.sampled_from(dicts))
        holder = get(want, path)
        key = draw(keys.filter(lambda k: k not in holder))
        after = draw(st.sampled_from([None, *holder]))
        value = draw(values)
        holder[key] = value
        node = file.body.find(path)
        targets = node_lines(node, text) if node.flow else set()
        return file, InsertKey(path, key, value, after=after), want, targets, not node.flow
    if kind == "insert-item":
        lists = [p for p in everything if isinstance(get(data, p), list) and get(data, p)]
        if not lists:
            return file, None, data, set(), False
        path = draw(st.sampled_from(lists))
        holder = get(want, path)
        index = draw(st.integers(0, len(holder)))
        value = draw(values)
        holder.insert(index, value)
        node = file.body.find(path)
        assert isinstance(node, SequenceNode)
        if node.flow:
            return file, InsertItem(path, index, value), want, node_lines(node, text), False
        if index < len(node.items):
            item = node.items[index]
            prefix = text[text.rfind("\n", 0, item.start.offset) + 1 : item.start.offset]
            if prefix.strip() not in {"", "-"}:  # `- - x`: the new item shares the dash line
                return file, InsertItem(path, index, value), want, {item.start.line}, False
        return file, InsertItem(path, index, value), want, set(), True
    # delete a key or an item
    if not path:
        path = (next(iter(data)),)
    parent = get(want, path[:-1])
    del parent[path[-1]]
    edit = DeleteKey(path) if isinstance(path[-1], str) else DeleteItem(path)
    targets = entry_lines(file, path)
    if not parent:  # the container becomes {} or [] in place of its block
        targets |= entry_lines(file, path[:-1]) if path[:-1] else set()
    return file, edit, want, targets, False


@SETTINGS
@given(edit_cases())
def test_each_edit_changes_only_its_lines_and_reparses_to_the_intent(case) -> None:
    file, edit, want, targets, insert_only = case
    if edit is None:
        return
    try:
        result = apply_edits(file, [edit])
    except UnsafeEditError as exc:
        # the only refusals allowed: a whole document emptied (no alias in generated data)
        assert "document" in exc.message or "empty path" in exc.message, exc.message
        return
    assert parse_text(result.text).body.data == want  # type: ignore[union-attr]
    changed, inserted = changed_lines(file.text, result.text)
    assert only_lines_changed(file.text, result.text, targets), (sorted(changed), sorted(targets))
    if insert_only:
        assert not changed and inserted > 0
    if "\r\n" in file.text:
        assert result.text.count("\n") == result.text.count("\r\n")


@SETTINGS
@given(edit_cases(), st.data())
def test_two_edits_in_one_call_equal_two_calls(case, more) -> None:
    file, first, _, _, _ = case
    if first is None:
        return
    try:
        once = parse_text(apply_edits(file, [first]).text)
    except UnsafeEditError:
        return
    data = once.body.data  # type: ignore[union-attr]
    lists = [p for p in paths(data) if isinstance(get(data, p), list)]
    dicts = [p for p in paths(data) if isinstance(get(data, p), dict)]
    if lists and more.draw(st.booleans()):
        path = more.draw(st.sampled_from(lists))
        index = more.draw(st.integers(0, len(get(data, path))))
        second = InsertItem(path, index, more.draw(values))
    elif dicts:
        path = more.draw(st.sampled_from(dicts))
        second = InsertKey(path, "zz_new", more.draw(values))  # keys are at most 6 chars
    else:
        return
    try:
        expected = apply_edits(once, [second]).text
    except UnsafeEditError:
        return
    together = apply_edits(file, [first, second])
    assert together.text == expected
    rebuilt = file.text
    for patch in sorted(together.patches, key=lambda p: p.start, reverse=True):
        rebuilt = rebuilt[: patch.start] + patch.replacement + rebuilt[patch.end :]
    assert rebuilt == together.text
