"""Run codemods over one CI file: propose, apply through the edit core, record what happened.

Codemods run one after another, each on the text the previous one produced. A codemod's
edits come in units (the edits of one job, one include...), applied one unit at a time, all
or nothing: when the edit core refuses a unit (:class:`UnsafeEditError`), that unit is
reported and the others still apply. Nothing here writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hepci.core.cimodel import ci_config
from hepci.core.yamledit import SourceText, YamlFile, parse_bytes
from hepci.core.yamledit.batch import apply_units
from hepci.core.yamledit.edits import Edit
from hepci.core.yamledit.nodes import no_cycle_collection
from hepci.errors import HepciError
from hepci.upgrade.base import Codemod, Manual, UpgradeContext
from hepci.upgrade.textdiff import changed_lines, unified_diff


@dataclass
class CodemodRun:
    """One codemod on one file."""

    codemod: str
    rules: tuple[str, ...]
    applied: int = 0
    refused: list[str] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)
    lines_before: int = 0
    lines_after: int = 0


@dataclass
class FileUpgrade:
    """The outcome for one file: original and new text, and what each codemod did."""

    path: str
    original: str
    text: str
    source: SourceText | None = None
    runs: list[CodemodRun] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def changed_by(self) -> list[str]:
        return [run.codemod for run in self.runs if run.applied]

    @property
    def rules(self) -> list[str]:
        return sorted({rule for run in self.runs if run.applied for rule in run.rules})

    @property
    def manual(self) -> list[Manual]:
        return [m for run in self.runs for m in run.manual]

    @property
    def refused(self) -> list[tuple[str, str]]:
        return [(run.codemod, why) for run in self.runs for why in run.refused]

    def encoded(self) -> bytes:
        """The new content in the file's own encoding (BOM, UTF-16) and line endings."""
        source = self.source or SourceText(self.original)
        return source.encode(self.text)

    def diff(self, label: str | None = None) -> str:
        name = label or self.path
        lines = unified_diff(
            self.original.splitlines(keepends=True),
            self.text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _apply(file: YamlFile, units: list[list[Edit]], run: CodemodRun) -> YamlFile:
    """Apply each unit on its own (all or nothing per unit); refused units are recorded.

    :func:`~hepci.core.yamledit.batch.apply_units` does it in linear time: units inside one
    job are edited and verified on that job's text, then the file is re-parsed and verified once.
    """
    result = apply_units(file, units)
    for outcome in result.outcomes:
        if outcome.error is not None:
            run.refused.append(outcome.error.message)
        elif outcome.changed:
            run.applied += 1
    return result.file


def upgrade_file(
    file: YamlFile, codemods: Sequence[type[Codemod]], ctx: UpgradeContext
) -> FileUpgrade:
    """Run ``codemods`` in order over ``file``; return the new text and the report."""
    with no_cycle_collection():  # node trees and data make no reference cycles
        return _upgrade_file(file, codemods, ctx)


def _upgrade_file(
    file: YamlFile, codemods: Sequence[type[Codemod]], ctx: UpgradeContext
) -> FileUpgrade:
    outcome = FileUpgrade(file.path, file.text, file.text, source=file.source)
    current = file
    for cls in codemods:
        run = CodemodRun(cls.id, cls.rules)
        outcome.runs.append(run)
        try:
            proposal = cls().propose(current, ci_config(current), ctx)
        except HepciError as exc:
            run.refused.append(exc.message)
            continue
        run.manual.extend(proposal.manual)
        if not proposal.units:
            continue
        edited = _apply(current, proposal.units, run)
        if edited.text != current.text:
            run.lines_before, run.lines_after = changed_lines(current.text, edited.text)
            current = edited
    outcome.text = current.text
    return outcome


def upgrade_bytes(
    data: bytes, path: str, codemods: Sequence[type[Codemod]], ctx: UpgradeContext
) -> FileUpgrade:
    """Decode and parse ``data`` (any source), then :func:`upgrade_file`; errors are recorded."""
    try:
        file = parse_bytes(data, path)
    except HepciError as exc:
        return FileUpgrade(path, "", "", error=str(exc))
    return upgrade_file(file, codemods, ctx)
