"""Typed exceptions that carry their context, and the documented exit codes.

Every error a user can cause is a :class:`HepciError`: the CLI prints it as one line
(``path:line:col: message`` when a place is known) and exits with its code. Anything
else is an internal error. ``--debug`` adds the traceback and never changes the exit code.
:data:`EXIT_CODES` is the one table of codes; README.md's "Exit codes" table mirrors it (a
test compares them).
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes shared by every command (documented in README.md)."""

    OK = 0
    FINDINGS = (
        1  # lint/audit found something at or above the threshold; upgrade --check: would change
    )
    USAGE = 2  # bad arguments, bad config, unreadable or hostile input
    INCOMPLETE = 3  # some targets could not be processed (audit/upgrade of many projects)
    INTERNAL = 4  # a bug in hepci; run with --debug and report it
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM (128 + 15)


EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "success, nothing found",
    ExitCode.FINDINGS: "findings at or above the threshold (`lint`, `audit --fail-on`); "
    "`upgrade --check`: something would change; an edit refused as unsafe; "
    "`upgrade --scaffold`: conflicts to resolve",
    ExitCode.USAGE: "usage, configuration or input error (missing path, unreadable, binary, "
    "over the 2 MiB cap, YAML bomb, a path leaving the repository root) or an output that "
    "cannot be written (read-only, disk full, a symbolic link): one line on stderr",
    ExitCode.INCOMPLETE: "some targets could not be processed (listed in the report and "
    "counted on stderr)",
    ExitCode.INTERNAL: "internal error (run with `--debug` for the traceback, and report it)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); temporary files are removed",
    ExitCode.TERMINATED: "terminated (SIGTERM); temporary files are removed",
}
"""What each exit code means, for every command (README.md's "Exit codes" table)."""


class HepciError(Exception):
    """Base class: a problem the user can fix, reported as one line."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    def location(self) -> str:
        """``path:line:col`` with as much as is known, or ``""``."""
        if self.path is None:
            return ""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class UsageError(HepciError):
    """Bad command-line arguments or option values."""


class ConfigError(HepciError):
    """A configuration file (``[tool.hepci]``, ``.hepci.toml``, ``--config``) is invalid."""


class InputFileError(HepciError):
    """A file cannot be read safely: missing, unreadable, binary, not UTF-8, too large, hostile."""


class OutsideRootError(InputFileError):
    """A path (an ``include: local``, a symbolic link on the way) leaves the repository root."""


class OutputError(HepciError):
    """A file cannot be written: read-only folder, disk full, a symbolic link we do not follow."""


class YamlSyntaxError(InputFileError):
    """A YAML file does not parse."""


class UnsafeEditError(HepciError):
    """An edit could not be applied as a minimal text patch; the file was left untouched."""

    exit_code = ExitCode.FINDINGS


class RemoteError(HepciError):
    """A remote service (GitLab, a registry) refused or failed a request."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(
        self, message: str, *, target: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message, path=target)
        self.status = status
