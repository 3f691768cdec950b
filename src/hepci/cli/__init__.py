"""The ``hepci`` command: a thin typer app; each command lives in its own module.

Commands import their service lazily so that ``hepci lint`` never pays for python-gitlab
or cookiecutter.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from hepci import __version__
from hepci.cli import _state
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
    from hepci.cli import audit, lint, new, upgrade

    for module in (lint, audit, upgrade, new):
        module.register(app)


_register_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code. User errors are one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    _state.STATE.debug = "--debug" in args
    try:
        result = app(args=args, prog_name="hepci", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo("hepci: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except HepciError as exc:
        if _state.STATE.debug:
            raise
        typer.echo(f"hepci: error: {exc}", err=True)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("hepci: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        if _state.STATE.debug:
            raise
        typer.echo(
            f"hepci: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            err=True,
        )
        return int(ExitCode.INTERNAL)
    return int(result) if isinstance(result, int) else 0


__all__ = ["app", "main"]
