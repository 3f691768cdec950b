"""`hepci new`: create an analysis repository from the shipped template (thin command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hepci.cli import _state


def new(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help="Directory to create (absent or empty); default: ./<repository name>.",
            show_default=False,
        ),
    ] = None,
    no_input: Annotated[
        bool,
        typer.Option("--no-input", help="Do not prompt: use the defaults and the --set values."),
    ] = False,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Answer a template question (repeatable)."),
    ] = None,
) -> None:
    """Create a new analysis repository: Dockerfile, CI, tests, Snakemake/REANA workflow."""
    from hepci import scaffold

    result = scaffold.create(
        directory, answers=scaffold.parse_assignments(assignments or []), no_input=no_input
    )
    if _state.STATE.verbosity >= 0:
        answers = result.answers
        typer.echo(
            f"created {result.path} ({answers['flavour']}, workflow: {answers['workflow']}); "
            f"next: cd {result.path} && git init && see README.md"
        )


def register(app: typer.Typer) -> None:
    """Add ``hepci new`` to ``app``."""
    app.command("new")(new)
