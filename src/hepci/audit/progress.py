"""Progress reporting for group sweeps, and the sweep loop that never stops on one failure.

The remote sweep calls :func:`audit_many` (or drives a :class:`Progress` itself): one
``advance`` per project, a bar with ETA on stderr when it is a terminal, nothing otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TextIO

from hepci.audit.config import AuditConfig
from hepci.audit.model import AuditRun, TargetFailure
from hepci.core.repo import Repo
from hepci.errors import ExitCode, HepciError


class Progress(Protocol):
    """Callbacks a sweep makes: ``start`` once, ``advance`` per target, ``finish`` once."""

    def start(self, total: int | None) -> None: ...

    def set_total(self, total: int) -> None: ...

    def advance(self, target: str, ok: bool = True) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """Shows nothing (non-terminal stderr, ``--quiet``, tests)."""

    def start(self, total: int | None) -> None:
        return None

    def set_total(self, total: int) -> None:
        return None

    def advance(self, target: str, ok: bool = True) -> None:
        return None

    def finish(self) -> None:
        return None


class RichProgress:
    """A rich progress bar with counts and ETA on stderr."""

    def __init__(self, stream: TextIO | None = None, description: str = "auditing") -> None:
        self._stream = stream or sys.stderr
        self._description = description
        self._bar: Any = None
        self._task: Any = None
        self._failed = 0

    def start(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=Console(file=self._stream),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._description, total=total, failed=0, current="")

    def set_total(self, total: int) -> None:
        """A group's total grows while it is still being listed."""
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def advance(self, target: str, ok: bool = True) -> None:
        if self._bar is None:
            return
        self._failed += 0 if ok else 1
        self._bar.update(self._task, advance=1, failed=self._failed, current=target)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_for(stream: TextIO | None = None, *, enabled: bool = True) -> Progress:
    """A bar on ``stream`` (stderr) when it is a terminal and ``enabled``, else nothing."""
    stream = stream or sys.stderr
    if enabled and stream.isatty():
        return RichProgress(stream)
    return NullProgress()


def audit_many(
    targets: Iterable[tuple[str, Callable[[], Repo]]],
    config: AuditConfig,
    progress: Progress | None = None,
    total: int | None = None,
) -> AuditRun:
    """Audit each ``(name, open_repo)``; a target that fails is recorded and the sweep goes on."""
    from hepci.audit.engine import audit_repo

    progress = progress or NullProgress()
    run = AuditRun()
    progress.start(total)
    try:
        for name, open_repo in targets:
            try:
                run.reports.append(audit_repo(open_repo(), config))
                progress.advance(name, ok=True)
            except HepciError as exc:
                run.failures.append(TargetFailure(name, str(exc), int(exc.exit_code)))
                progress.advance(name, ok=False)
            except Exception as exc:  # one broken project must not stop a group sweep
                message = f"internal error: {type(exc).__name__}: {exc}"
                run.failures.append(TargetFailure(name, message, int(ExitCode.INTERNAL)))
                progress.advance(name, ok=False)
    finally:
        progress.finish()
    return run
