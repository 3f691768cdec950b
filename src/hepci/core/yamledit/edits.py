"""Edit a parsed YAML file by minimal text patches, and prove each edit did what it says.

Edits apply in order. Each one is planned against the current text (:mod:`.ops`), applied,
re-parsed, and the re-parsed data must equal the previous data with the edit applied to a deep
copy; anything else raises :class:`~hepci.errors.UnsafeEditError` and nothing is written.
The patches of all edits are composed into patches against the *original* text.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepci.core.yamledit.document import PathKey, YamlDocument, YamlFile, load_file, parse_source
from hepci.core.yamledit.inserts import insert_item, insert_key
from hepci.core.yamledit.intent import first_difference, plain, walk
from hepci.core.yamledit.locate import (
    Indents,
    Refused,
    aliased_anchors,
    file_indents,
    format_path,
    quote_habit,
    resolve_path,
)
from hepci.core.yamledit.ops import (
    Ctx,
    Patch,
    delete_item,
    delete_key,
    rename_key,
    replace_value,
    set_scalar,
)
from hepci.core.yamledit.pieces import Pieces
from hepci.core.yamledit.render import Quote, RenderError
from hepci.core.yamledit.source import Limits, SourceText, write_atomic
from hepci.errors import HepciError, UnsafeEditError


@dataclass(frozen=True)
class SetScalar:
    """Set the value at ``path`` to a scalar (keeps the quoting style when it can)."""

    path: tuple[PathKey, ...]
    value: str | int | float | bool | None
    document: int | None = None


@dataclass(frozen=True)
class RenameKey:
    """Rename the key that ``path`` ends with."""

    path: tuple[PathKey, ...]
    new_key: str
    document: int | None = None


@dataclass(frozen=True)
class ReplaceValue:
    """Replace the whole value at ``path`` with plain data."""

    path: tuple[PathKey, ...]
    value: Any
    document: int | None = None


@dataclass(frozen=True)
class InsertKey:
    """Add ``key: value`` to the mapping at ``path`` (at the end, or after/before a key)."""

    path: tuple[PathKey, ...]
    key: str
    value: Any
    after: str | None = None
    before: str | None = None
    document: int | None = None


@dataclass(frozen=True)
class InsertItem:
    """Insert ``value`` into the sequence at ``path`` at ``index`` (``len`` appends)."""

    path: tuple[PathKey, ...]
    index: int
    value: Any
    document: int | None = None


@dataclass(frozen=True)
class DeleteKey:
    """Delete the key that ``path`` ends with (every occurrence, when duplicated)."""

    path: tuple[PathKey, ...]
    document: int | None = None


@dataclass(frozen=True)
class DeleteItem:
    """Delete the sequence item that ``path`` ends with."""

    path: tuple[PathKey, ...]
    document: int | None = None


Edit = SetScalar | RenameKey | ReplaceValue | InsertKey | InsertItem | DeleteKey | DeleteItem


@dataclass(frozen=True)
class EditResult:
    """The edited text, whether it differs, and the patches against the original text."""

    text: str
    changed: bool
    patches: tuple[Patch, ...]


def describe(edit: Edit) -> str:
    """A short human description of an edit, for messages."""
    where = format_path(edit.path)
    if isinstance(edit, SetScalar | ReplaceValue):
        return f"{type(edit).__name__} {where} = {edit.value!r}"[:120]
    if isinstance(edit, RenameKey):
        return f"RenameKey {where} -> {edit.new_key!r}"
    if isinstance(edit, InsertKey):
        return f"InsertKey {where}.{edit.key}"
    if isinstance(edit, InsertItem):
        return f"InsertItem {where}[{edit.index}]"
    return f"{type(edit).__name__} {where}"


# --- the intended data ----------------------------------------------------------------------


def intended(doc: YamlDocument, edit: Edit) -> Any:
    """The document's data with ``edit`` applied to a deep copy (what the text must parse to)."""
    data = copy.deepcopy(doc.data)
    keys = [step.data_key for step in resolve_path(doc.root, edit.path, doc.data)]
    parent: Any = walk(data, keys[:-1]) if keys else None
    if isinstance(edit, SetScalar | ReplaceValue):
        if not keys:
            return plain(edit.value)
        parent[keys[-1]] = plain(edit.value)
    elif isinstance(edit, RenameKey):
        parent_dict: dict[Any, Any] = parent
        items = [(edit.new_key if k == keys[-1] else k, v) for k, v in parent_dict.items()]
        parent_dict.clear()
        parent_dict.update(items)
    elif isinstance(edit, DeleteKey | DeleteItem):
        del parent[keys[-1]]
    else:
        holder = walk(data, keys)
        new = plain(edit.value)
        if holder is None:
            holder = {edit.key: new} if isinstance(edit, InsertKey) else [new]
            if not keys:
                return holder
            parent[keys[-1]] = holder
        elif isinstance(edit, InsertKey):
            holder[edit.key] = new
        else:
            holder.insert(edit.index, new)
    return data


# --- applying -------------------------------------------------------------------------------


def _document(file: YamlFile, edit: Edit) -> YamlDocument:
    if edit.document is None:
        doc = file.body
        if doc is None:
            raise UnsafeEditError(
                f"cannot apply {describe(edit)}: no YAML document", path=file.path
            )
        return doc
    if not 0 <= edit.document < len(file.documents):
        raise UnsafeEditError(
            f"cannot apply {describe(edit)}: no document {edit.document}", path=file.path
        )
    return file.documents[edit.document]


def _plan(ctx: Ctx, edit: Edit) -> list[Patch]:
    if isinstance(edit, SetScalar):
        return set_scalar(ctx, edit.path, edit.value)
    if isinstance(edit, ReplaceValue):
        return replace_value(ctx, edit.path, edit.value)
    if isinstance(edit, RenameKey):
        return rename_key(ctx, edit.path, edit.new_key)
    if isinstance(edit, InsertKey):
        return insert_key(
            ctx, edit.path, edit.key, edit.value, after=edit.after, before=edit.before
        )
    if isinstance(edit, InsertItem):
        return insert_item(ctx, edit.path, edit.index, edit.value)
    if isinstance(edit, DeleteKey):
        return delete_key(ctx, edit.path)
    return delete_item(ctx, edit.path)


def _splice(text: str, patches: Sequence[Patch]) -> str:
    ordered = sorted(patches, key=lambda p: p.start)
    for before, after in itertools.pairwise(ordered):
        if before.end > after.start:
            raise Refused("the edit's patches overlap")
    for patch in reversed(ordered):
        text = text[: patch.start] + patch.replacement + text[patch.end :]
    return text


@dataclass(frozen=True)
class Habits:
    """What planning an edit reads from the whole file: the anchors that aliases use, the line
    ending, quoting and indentation habits. Given when the edited text is a fragment of it."""

    aliased: frozenset[str]
    newline: str
    quote: Quote
    indents: Indents

    @classmethod
    def of(cls, file: YamlFile, doc: YamlDocument) -> Habits:
        return cls(
            frozenset(aliased_anchors(doc.root)),
            file.source.newline,
            quote_habit(doc.root),
            file_indents(doc.root),
        )


def _context(file: YamlFile, doc: YamlDocument, habits: Habits | None) -> Ctx:
    if habits is None:
        return Ctx(
            file.text,
            doc.root,
            doc.data,
            file.source.newline,
            aliased_anchors(doc.root),
            quote_habit(doc.root),
        )
    return Ctx(
        file.text,
        doc.root,
        doc.data,
        habits.newline,
        habits.aliased,
        habits.quote,
        habits.indents,
    )


def _apply_one(
    file: YamlFile, edit: Edit, limits: Limits, habits: Habits | None = None
) -> tuple[YamlFile, list[Patch]]:
    doc = _document(file, edit)
    try:
        ctx = _context(file, doc, habits)
        patches = _plan(ctx, edit)
        want = intended(doc, edit)
        new_text = _splice(file.text, patches)
    except Refused as exc:
        raise UnsafeEditError(
            f"cannot apply {describe(edit)}: {exc.reason}; file left untouched",
            path=file.path,
            line=exc.line,
        ) from None
    except (RenderError, KeyError, IndexError, TypeError) as exc:
        raise UnsafeEditError(
            f"cannot apply {describe(edit)}: {exc}; file left untouched", path=file.path
        ) from None
    if not patches:
        return file, []
    source = SourceText(new_text, file.source.encoding, file.source.bom)
    try:
        result = parse_source(source, file.path, limits, file.anchors)
        problem = _check(file, result, doc.index, want)
    except HepciError as exc:
        problem = f"the result does not parse ({exc.message})"
    if problem is not None:
        raise UnsafeEditError(
            f"cannot apply {describe(edit)}: {problem}; file left untouched", path=file.path
        )
    return result, patches


def _check(before: YamlFile, after: YamlFile, index: int, want: Any) -> str | None:
    if len(after.documents) != len(before.documents):
        return f"the result has {len(after.documents)} documents, not {len(before.documents)}"
    for doc, new in zip(before.documents, after.documents, strict=True):
        expected = want if doc.index == index else doc.data
        found = first_difference(new.data, expected)
        if found is not None:
            return f"the result differs from the intended data at {found}"
    return None


def apply_edits(file: YamlFile, edits: Sequence[Edit]) -> EditResult:
    """Apply ``edits`` in order as minimal text patches; raise UnsafeEditError when unsafe."""
    limits = file.documents[0].limits if file.documents else Limits()
    pieces = Pieces(file.text)
    current = file
    for edit in edits:
        current, patches = _apply_one(current, edit, limits)
        pieces.apply(patches)
    text = pieces.text()
    return EditResult(text=text, changed=text != file.text, patches=pieces.patches())


def apply_unit(file: YamlFile, edits: Sequence[Edit], habits: Habits | None = None) -> YamlFile:
    """Like :func:`apply_edits` (each edit planned, applied, re-parsed and verified in turn),
    but return the parsed result; ``habits`` are the whole file's when ``file`` is a fragment."""
    limits = file.documents[0].limits if file.documents else Limits()
    current = file
    for edit in edits:
        current, _ = _apply_one(current, edit, limits, habits)
    return current


def write_edits(
    path: str | Path, edits: Sequence[Edit], limits: Limits | None = None
) -> EditResult:
    """Load ``path``, apply ``edits``, and write it atomically in its own encoding if changed."""
    file = load_file(path, limits)
    result = apply_edits(file, edits)
    if result.changed:
        write_atomic(path, file.source.encode(result.text))
    return result


__all__ = [
    "DeleteItem",
    "DeleteKey",
    "Edit",
    "EditResult",
    "Habits",
    "InsertItem",
    "InsertKey",
    "Patch",
    "RenameKey",
    "ReplaceValue",
    "SetScalar",
    "apply_edits",
    "apply_unit",
    "describe",
    "intended",
    "write_edits",
]
