"""Apply many units of edits to one file in linear time, with the guarantees of :mod:`.edits`.

A unit is a list of edits applied all or nothing. Applied one after another on the whole file,
each edit costs a parse of the whole file, so a file with thousands of jobs costs thousands of
parses. Most units stay inside one top-level entry (one job): those are applied to that entry's
text alone -- a *fragment*, parsed with the anchors defined before it and planned with the whole
file's habits (:class:`~.edits.Habits`) -- where every edit is still planned, applied,
re-parsed and compared with its intended data. The fragments are then put back into the file
in one splice, and the file is re-parsed and compared once: its data must be the original data
with each edited entry replaced by that entry's verified data. If that last check fails, the
units are applied again the slow way (whole file, one edit at a time), so the result is never
less safe than applying them one by one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hepci.core.yamledit.document import YamlFile, parse_source
from hepci.core.yamledit.edits import Edit, Habits, InsertItem, InsertKey, apply_unit
from hepci.core.yamledit.intent import first_difference
from hepci.core.yamledit.locate import content_end, line_start
from hepci.core.yamledit.nodes import (
    AliasNode,
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    no_cycle_collection,
)
from hepci.core.yamledit.source import SourceText
from hepci.errors import HepciError, UnsafeEditError

_DOCUMENT_MARK = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)


@dataclass(frozen=True)
class UnitOutcome:
    """What happened to one unit: changed the text, or refused (with the error)."""

    changed: bool = False
    error: UnsafeEditError | None = None


@dataclass(frozen=True)
class BatchResult:
    """The file after every unit that could be applied, and one outcome per unit."""

    file: YamlFile
    outcomes: list[UnitOutcome]

    @property
    def changed(self) -> bool:
        return any(o.changed for o in self.outcomes)


@dataclass(eq=False)
class _Entry:
    """One top-level entry of the body and its text as a fragment being edited."""

    key: str
    start: int
    end: int
    line: int
    fragment: YamlFile
    changed: bool = False


@dataclass(eq=False)
class _Batch:
    """Units applied to fragments of ``base`` since the last splice (spans, habits: lazily)."""

    base: YamlFile
    entries: dict[str, _Entry | None] = field(default_factory=dict)
    units: list[tuple[int, list[Edit]]] = field(default_factory=list)
    _spans: dict[str, tuple[int, int]] | None = None
    _habits: Habits | None = None
    _looked: bool = False

    def spans(self) -> dict[str, tuple[int, int]] | None:
        if not self._looked:
            self._looked = True
            self._spans = _spans(self.base)
            body = self.base.body
            if self._spans and body is not None:
                self._habits = Habits.of(self.base, body)
        return self._spans

    @property
    def habits(self) -> Habits | None:
        return self._habits


def apply_units(file: YamlFile, units: Sequence[Sequence[Edit]]) -> BatchResult:
    """Apply each unit all or nothing; a refused unit leaves the text as it was."""
    with no_cycle_collection():
        return _apply_units(file, units)


def _apply_units(file: YamlFile, units: Sequence[Sequence[Edit]]) -> BatchResult:
    outcomes: list[UnitOutcome] = [UnitOutcome() for _ in units]
    batch = _Batch(file)
    for index, unit in enumerate(units):
        edits = list(unit)
        entry = _entry_for(batch, edits)
        if entry is None:
            current = _finish(batch, outcomes)
            current = _apply_whole(current, index, edits, outcomes)
            batch = _Batch(current)
            continue
        batch.units.append((index, edits))
        try:
            edited = apply_unit(entry.fragment, _in_fragment(edits), batch.habits)
        except UnsafeEditError as exc:
            outcomes[index] = UnitOutcome(error=_relocated(exc, entry, file.path))
            continue
        if edited.text != entry.fragment.text:
            entry.fragment, entry.changed = edited, True
            outcomes[index] = UnitOutcome(changed=True)
    return BatchResult(_finish(batch, outcomes), outcomes)


# --- the whole-file path ---------------------------------------------------------------------


def _apply_whole(
    file: YamlFile, index: int, edits: list[Edit], outcomes: list[UnitOutcome]
) -> YamlFile:
    try:
        result = apply_unit(file, edits)
    except UnsafeEditError as exc:
        outcomes[index] = UnitOutcome(error=exc.with_traceback(None))  # keep no frames alive
        return file
    outcomes[index] = UnitOutcome(changed=result.text != file.text)
    return result


def _finish(batch: _Batch, outcomes: list[UnitOutcome]) -> YamlFile:
    """Splice the edited fragments into the file, re-parse it once and check it."""
    changed = sorted((e for e in batch.entries.values() if e and e.changed), key=lambda e: e.start)
    if not changed:
        return batch.base
    base = batch.base
    parts: list[str] = []
    cursor = 0
    for entry in changed:
        parts += [base.text[cursor : entry.start], entry.fragment.text]
        cursor = entry.end
    parts.append(base.text[cursor:])
    source = SourceText("".join(parts), base.source.encoding, base.source.bom)
    limits = base.documents[0].limits if base.documents else None
    try:
        result = parse_source(source, base.path, limits)
        problem = _difference(base, result, changed)
    except HepciError as exc:
        problem = exc.message
    if problem is None:
        return result
    current = base  # never less safe than one unit at a time: redo this batch that way
    for index, edits in batch.units:
        current = _apply_whole(current, index, edits, outcomes)
    return current


def _difference(base: YamlFile, result: YamlFile, changed: list[_Entry]) -> str | None:
    if len(result.documents) != len(base.documents) or base.body is None:
        return "the documents changed"
    body = base.body
    expected: Any = dict(body.data)
    for entry in changed:
        fragment = entry.fragment.body
        data = fragment.data if fragment is not None else None
        if not isinstance(data, dict) or len(data) != 1:
            return f"entry {entry.key!r} is no longer one key"
        ((key, value),) = data.items()
        if key not in expected:
            return f"entry {entry.key!r} changed its key"
        expected[key] = value
    for before, after in zip(base.documents, result.documents, strict=True):
        found = first_difference(after.data, expected if before is body else before.data)
        if found is not None:
            return found
    return None


# --- fragments -------------------------------------------------------------------------------


def _spans(file: YamlFile) -> dict[str, tuple[int, int]] | None:
    """Text span of each top-level entry that can be edited alone: a block mapping at column 0,
    keys written once, plainly (no tag, anchor or ``? key``), not ``<<``."""
    body = file.body
    root = body.mapping() if body is not None else None
    if body is None or root is None or root is not body.root or root.flow or not root.items:
        return None
    text = file.text
    counts: dict[str, int] = {}
    for name, _, _ in root.pairs():
        counts[name] = counts.get(name, 0) + 1
    spans: dict[str, tuple[int, int]] = {}
    for index, (key, value) in enumerate(root.items):
        start = line_start(text, key.start.offset)
        if index + 1 < len(root.items):
            end = line_start(text, root.items[index + 1][0].start.offset)
        else:
            end = _body_end(file, content_end(text, value))
        if (
            isinstance(key, ScalarNode)
            and counts.get(key.value) == 1
            and key.tag is None
            and key.anchor is None
            and key.value != "<<"
            and key.start.column == 0
            and start == key.start.offset
        ):
            spans[key.value] = (start, end)
    return spans


def _body_end(file: YamlFile, after: int) -> int:
    """Where the body's text ends: before a ``---``/``...`` line after ``after``, or the end."""
    body = file.body
    assert body is not None
    limit = len(file.text)
    if body.index + 1 < len(file.documents):
        limit = file.documents[body.index + 1].start.offset
    mark = _DOCUMENT_MARK.search(file.text, line_start(file.text, after) + 1, limit)
    if mark is not None and mark.start() >= after:
        return mark.start()
    return limit


def _entry_for(batch: _Batch, edits: list[Edit]) -> _Entry | None:
    """The one top-level entry all ``edits`` stay strictly inside, as a fragment; else None."""
    names = {edit.path[0] if edit.path else None for edit in edits}
    if len(names) != 1:
        return None
    (name,) = names
    spans = batch.spans()
    body = batch.base.body
    if not isinstance(name, str) or spans is None or name not in spans or body is None:
        return None
    root = body.mapping()
    value = root.get(name) if root is not None else None
    for edit in edits:
        if edit.document not in (None, body.index) or not _inside(edit, value):
            return None
    if name not in batch.entries:
        batch.entries[name] = _fragment(batch, name)
    return batch.entries[name]


def _inside(edit: Edit, value: Node | None) -> bool:
    """Whether ``edit`` changes text strictly inside the entry's value (its container is never
    the top-level mapping, whose indentation habits a fragment does not see)."""
    if len(edit.path) >= 2:
        return True
    collection = isinstance(value, MappingNode | SequenceNode)
    return len(edit.path) == 1 and isinstance(edit, InsertKey | InsertItem) and collection


def _fragment(batch: _Batch, name: str) -> _Entry | None:
    """The entry's text parsed alone; None unless it reads exactly as in the whole file."""
    spans = batch.spans()
    body = batch.base.body
    root = body.mapping() if body is not None else None
    assert spans is not None and body is not None and root is not None
    start, end = spans[name]
    value = root.get(name)
    if value is None:
        return None
    text = batch.base.text
    source = SourceText(text[start:end], batch.base.source.encoding, batch.base.source.bom)
    limits = body.limits
    try:
        fragment = parse_source(source, batch.base.path, limits, _outer_anchors(value, start))
        data = fragment.body.data if fragment.body is not None else None
        whole = body.data
    except HepciError:
        return None
    if len(fragment.documents) != 1 or not isinstance(data, dict) or len(data) != 1:
        return None
    ((key, got),) = data.items()
    if not isinstance(whole, dict) or key not in whole or first_difference(got, whole[key]):
        return None
    key_node = root.key_node(name)
    assert key_node is not None
    return _Entry(name, start, end, key_node.start.line, fragment)


def _outer_anchors(value: Node, start: int) -> Mapping[str, Node]:
    """Anchors defined before the entry that its aliases name (as the whole file resolved them)."""
    found: dict[str, Node] = {}
    for node in value.walk():
        if not isinstance(node, AliasNode) or node.target is None or node.name in found:
            continue
        if node.target.start.offset < start:
            found[node.name] = node.target
    return found


def _in_fragment(edits: list[Edit]) -> list[Edit]:
    """The edits addressed to the fragment's only document."""
    return [replace(e, document=None) if e.document is not None else e for e in edits]


def _relocated(exc: UnsafeEditError, entry: _Entry, path: str) -> UnsafeEditError:
    """The fragment's error with the line counted in the whole file."""
    line = exc.line + entry.line if exc.line is not None else None
    return UnsafeEditError(exc.message, path=path, line=line, column=exc.column)


__all__ = ["BatchResult", "UnitOutcome", "apply_units"]
