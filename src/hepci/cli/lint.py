"""``hepci lint``: a thin command over :mod:`hepci.lint` (imported only when it runs)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from hepci.cli._state import STATE


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def _prefixes(values: list[str] | None) -> tuple[str, ...]:
    return tuple(p.strip().upper() for v in values or [] for p in v.split(",") if p.strip())


def lint(
    *,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Files or directories (a directory means its .gitlab-ci.yml and ci-templates/*.yml). Default: the current directory.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="text: path:line:col: CODE message; json: an array."),
    ] = OutputFormat.text,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Only codes with these prefixes (comma-separated or repeated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(help="Skip codes with these prefixes (comma-separated or repeated)."),
    ] = None,
    templates_project: Annotated[
        str, typer.Option(help="GitLab project path of the hepci templates.")
    ] = "hepci/hepci",
    list_codes: Annotated[
        bool, typer.Option("--list-codes", help="List the finding codes and exit.")
    ] = False,
) -> int:
    """Validate GitLab CI files, their local includes and templates (exit 1 on findings)."""
    from hepci.lint import LintOptions, lint_paths, render

    if list_codes:
        from hepci.lint.codes import code_table

        typer.echo("\n".join(code_table()))
        return 0

    options = LintOptions(
        select=_prefixes(select),
        ignore=_prefixes(ignore),
        templates_project=templates_project.strip("/"),
    )
    report = lint_paths(list(paths or []), options)
    text = render(report.findings, output_format.value)
    if text:
        typer.echo(text)
    if STATE.verbosity >= 0 and output_format is OutputFormat.text:
        found = f"{len(report.findings)} finding(s)" if report.findings else "no findings"
        typer.echo(f"hepci lint: {found} in {len(report.files)} file(s)", err=True)
    return int(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add ``hepci lint`` to the app."""
    app.command("lint")(lint)
