"""The ``hepci`` command: a thin typer app; each command lives in its own module.

Commands import their service lazily so that ``hepci lint`` never pays for python-gitlab
or cookiecutter.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

import typer

from hepci import __version__
from hepci.cli import _state
from hepci.cli._signals import Terminated, terminate_as_exception
from hepci.errors import ExitCode, HepciError

try:  # typer >= 0.22 vendors click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer
    from click import ClickException  # type: ignore[assignment]

app = typer.Typer(
    name="hepci",
    help="Lint, audit and upgrade reproducible HEP analysis repositories on GitLab.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hepci {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True, help="More output (repeatable)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only errors and findings."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Lint, audit and upgrade reproducible HEP analysis repositories on GitLab."""
    _state.STATE.verbosity = -1 if quiet else verbose
    _state.STATE.debug = debug


def _register_commands() -> None:
    from hepci.cli import audit, lint, metadata, new, upgrade

    for module in (lint, audit, upgrade, new, metadata):
        module.register(app)


_register_commands()


_ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
)
"""OSErrors that are the machine's state (disk full, read-only), not a bug: exit 2, one line."""


def _fail(message: str, code: int) -> int:
    """Print the one line (after the traceback with ``--debug``) and return ``code``."""
    if _state.STATE.debug:
        traceback.print_exc()
    with contextlib.suppress(OSError):
        typer.echo(message, err=True)
    return code


class _WatchedStdout:
    """``sys.stdout`` during a command, remembering whether a write to it failed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """After stdout failed (disk full, closed pipe), let the final flush go to /dev/null."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _run(args: list[str], stdout: _WatchedStdout) -> int:
    saved, sys.stdout = sys.stdout, stdout
    try:
        result = app(args=args, prog_name="hepci", standalone_mode=False)
        sys.stdout.flush()  # a full disk or closed pipe on stdout fails here, not at exit
    finally:
        sys.stdout = saved
    if result == ExitCode.INTERRUPTED:  # typer returns Ctrl-C as 130: no command does
        typer.echo("hepci: interrupted", err=True)
    return int(result) if isinstance(result, int) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code. User errors are one line on stderr.

    ``--debug`` adds the traceback before that line and never changes the exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    _state.STATE.debug = "--debug" in args
    stdout = _WatchedStdout(sys.stdout)
    try:
        with terminate_as_exception():
            return _run(args, stdout)
    except typer.Exit as exc:
        with contextlib.suppress(OSError):
            sys.stdout.flush()
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("hepci: interrupted", int(ExitCode.INTERRUPTED))
    except Terminated:
        return _fail("hepci: terminated", int(ExitCode.TERMINATED))
    except ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except HepciError as exc:
        return _fail(f"hepci: error: {exc}", int(exc.exit_code))
    except BrokenPipeError:
        _silence_stdout()  # `hepci lint | head`: the reader is gone, nothing to say
        return int(ExitCode.USAGE)
    except OSError as exc:
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            return _internal(exc)
        if exc.filename is not None:
            return _fail(f"hepci: error: {exc.filename}: {exc.strerror}", int(ExitCode.USAGE))
        if stdout.failed:
            _silence_stdout()
            return _fail(
                f"hepci: error: <stdout>: cannot write: {exc.strerror}", int(ExitCode.USAGE)
            )
        return _fail(
            f"hepci: error: cannot write a temporary file: {exc.strerror}", int(ExitCode.USAGE)
        )
    except Exception as exc:
        return _internal(exc)


def _internal(exc: Exception) -> int:
    return _fail(
        f"hepci: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
        int(ExitCode.INTERNAL),
    )


__all__ = ["app", "main"]
