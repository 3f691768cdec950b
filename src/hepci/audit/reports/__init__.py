"""Report formats: each is ``chunks(run, fail_on) -> Iterator[str]`` over a :class:`RunView`,
and ``render(run, fail_on) -> str`` joins them.

``terminal`` (plain text), ``json`` (stable schema, docs/audit-json.md), ``markdown`` (merge
request or issue), ``html`` (group dashboard, one self-contained page), ``catalogue`` (the
group's preservation records, one self-contained page), ``codequality``
(GitLab Code Quality), ``junit`` (JUnit XML), ``sarif`` (SARIF 2.1.0). Modules are imported on
demand. Writers stream: they walk ``run.reports`` once, one project at a time, and yield text
as they go, so a group sweep's reports can come from the on-disk spool
(:mod:`hepci.audit.spool`) and be written to a file without the whole run in memory.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from hepci.audit.model import RepoReport, SkippedTarget, TargetFailure

FORMATS: dict[str, str] = {
    "terminal": "hepci.audit.reports.terminal",
    "json": "hepci.audit.reports.jsonfmt",
    "markdown": "hepci.audit.reports.markdown",
    "html": "hepci.audit.reports.html",
    "catalogue": "hepci.audit.reports.catalogue",
    "codequality": "hepci.audit.reports.codequality",
    "junit": "hepci.audit.reports.junit",
    "sarif": "hepci.audit.reports.sarif",
}
ALIASES = {
    "md": "markdown",
    "code-quality": "codequality",
    "gitlab": "codequality",
    "text": "terminal",
}


class RunView(Protocol):
    """What a report reads: an :class:`~hepci.audit.model.AuditRun` (in memory) or a
    :class:`~hepci.audit.spool.SpooledRun` (reports read back from disk one by one)."""

    @property
    def reports(self) -> Sequence[RepoReport]: ...

    @property
    def failures(self) -> Sequence[TargetFailure]: ...

    @property
    def skipped(self) -> Sequence[SkippedTarget]: ...

    def counts(self) -> dict[str, int]: ...

    def exit_code(self, fail_on: str | None = None) -> int: ...


def run_scope(run: RunView) -> dict[str, Any] | None:
    """What the run covered (targets, shard), when it knows: the JSON report records it so
    that ``hepci audit --merge`` can check shards."""
    scope = getattr(run, "scope", None)
    return dict(scope) if isinstance(scope, dict) else None


def canonical(name: str) -> str | None:
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    return name if name in FORMATS else None


def chunks(run: RunView, fmt: str, fail_on: str | None = None) -> Iterator[str]:
    """The report of ``run`` in format ``fmt`` (a key of :data:`FORMATS`), piece by piece."""
    module = importlib.import_module(FORMATS[fmt])
    pieces: Iterator[str] = module.chunks(run, fail_on)
    return pieces


def render(run: RunView, fmt: str, fail_on: str | None = None) -> str:
    """The whole report text of ``run`` in format ``fmt``."""
    return "".join(chunks(run, fmt, fail_on))
