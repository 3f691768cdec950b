"""Reports of a big run kept on disk, not in memory: the group sweep's report spool.

A sweep of 10,000 projects produces 10,000 :class:`RepoReport` objects of ~40 rule results
each; keeping them all until the reports are written cost more memory than everything else.
:class:`ReportSpool` appends each report to an unnamed temporary file as one JSON line (the
JSON report's ``projects[]`` form, :func:`~hepci.audit.reports.jsonfmt.project_dict`),
zlib-compressed (a fifth of the size; the findings cache stores the same bytes, so a cached
report is spooled without being decompressed), and keeps only its offset and a few numbers
(failed severities, errors, threshold). It is a read-only ``Sequence``: report writers
iterate it and get the reports back one at a time, ordered by target then name (the order of
an unsharded run, whatever order the sweep finished them in).
:class:`SpooledRun` is the :class:`~hepci.audit.reports.RunView` over it; counts and the exit
code come from the kept numbers, without reading a report back.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, overload

from hepci.audit.model import (
    RepoReport,
    SkippedTarget,
    TargetFailure,
    run_exit_code,
    severity_counts,
)
from hepci.core import fastjson


@dataclass(frozen=True)
class _Entry:
    order: tuple[int, str]  # (target number, name)
    offset: int
    length: int
    fail_on: str
    failed: tuple[str, ...]  # severities of the failed rules
    errors: bool


def pack_line(report: RepoReport) -> bytes:
    """``report`` as one compact JSON line (no newline), zlib-compressed at level 1."""
    from hepci.audit.reports.jsonfmt import project_json

    return zlib.compress(project_json(report), 1)


class ReportSpool(Sequence[RepoReport]):
    """Append-only, on-disk list of reports; thread-safe for one writer at a time."""

    def __init__(self, folder: str | None = None) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder, prefix="hepci-spool-")  # noqa: SIM115
        self._entries: list[_Entry] = []
        self._sorted = True
        self._end = 0
        self._read_since_write = False
        self.target = 0  # bumped by the caller between targets: their reports stay apart

    def add(self, report: RepoReport) -> bytes:
        """Spool ``report``; returns its packed JSON line (the findings cache keeps the same)."""
        packed = pack_line(report)
        failed = tuple(r.severity for r in report.failed())
        self.add_packed(packed, report.name, report.fail_on, failed, bool(report.errors()))
        return packed

    def add_packed(
        self, packed: bytes, name: str, fail_on: str, failed: tuple[str, ...], errors: bool
    ) -> None:
        """Add a report already in its spooled form (:func:`pack_line`), with the numbers
        :class:`SpooledRun` keeps: the findings cache's hits take this path."""
        if self._read_since_write:
            self._file.seek(self._end)
            self._read_since_write = False
        self._file.write(packed)
        entry = _Entry((self.target, name), self._end, len(packed), fail_on, failed, errors)
        if self._entries and entry.order < self._entries[-1].order:
            self._sorted = False
        self._entries.append(entry)
        self._end += len(packed)

    def raw_lines(self) -> Iterator[str]:
        """The spooled reports as their JSON lines, in order (the JSON writer copies them)."""
        for entry in list(self._order()):
            yield self._read(entry).decode("utf-8")

    def _read(self, entry: _Entry) -> bytes:
        self._file.flush()
        self._read_since_write = True
        self._file.seek(entry.offset)
        return zlib.decompress(self._file.read(entry.length))

    def extend(self, reports: Iterable[RepoReport]) -> None:
        for report in reports:
            self.add(report)

    def _order(self) -> list[_Entry]:
        if not self._sorted:
            self._entries.sort(key=lambda e: e.order)
            self._sorted = True
        return self._entries

    def _load(self, entry: _Entry) -> RepoReport:
        from hepci.audit.reports.jsonfmt import project_from_dict

        return project_from_dict(fastjson.loads(self._read(entry)))

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> RepoReport: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[RepoReport]: ...
    def __getitem__(self, index: int | slice) -> RepoReport | Sequence[RepoReport]:
        entries = self._order()
        if isinstance(index, slice):
            return [self._load(e) for e in entries[index]]
        return self._load(entries[index])

    def __iter__(self) -> Iterator[RepoReport]:
        for entry in list(self._order()):
            yield self._load(entry)

    def summaries(self) -> list[_Entry]:
        return self._order()

    def close(self) -> None:
        self._file.close()


@dataclass
class SpooledRun:
    """An audit run whose reports live in a :class:`ReportSpool`."""

    reports: ReportSpool = field(default_factory=ReportSpool)
    failures: list[TargetFailure] = field(default_factory=list)
    skipped: list[SkippedTarget] = field(default_factory=list)
    scope: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        return severity_counts(entry.failed for entry in self.reports.summaries())

    def exit_code(self, fail_on: str | None = None) -> int:
        """As :meth:`hepci.audit.model.AuditRun.exit_code`, from the spooled summaries."""
        outcomes = [(e.errors, e.fail_on, e.failed) for e in self.reports.summaries()]
        return run_exit_code(outcomes, bool(self.failures), fail_on)

    def close(self) -> None:
        self.reports.close()
