"""``hepci metadata``: a thin command over :mod:`hepci.metadata.service`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hepci.cli import _state

Opt = typer.Option


def register(app: typer.Typer) -> None:
    app.command("metadata")(metadata)


def metadata(
    directory: Annotated[
        Path, typer.Argument(help="Analysis repository (default: .).", show_default=False)
    ] = Path(),
    *,
    fmt: Annotated[str, Opt("--format", "-f", help="terminal or json.")] = "terminal",
    output: Annotated[
        Path | None,
        Opt("--output", "-o", help="Crate file (default: DIRECTORY/ro-crate-metadata.json)."),
    ] = None,
    image: Annotated[
        str | None, Opt(help="Analysis image reference (default: $IMAGE_BUILD_IMAGE).")
    ] = None,
    image_digest: Annotated[
        str | None, Opt(help="Its digest, sha256:… (default: $IMAGE_BUILD_DIGEST).")
    ] = None,
    outputs: Annotated[
        list[str] | None,
        Opt(
            "--run-output",
            help="Workflow output file or directory (repeatable): records a run (Workflow "
            "Run Crate) with each file's size and sha256.",
        ),
    ] = None,
    packages: Annotated[
        Path | None,
        Opt(help="Packages installed in the image: `pip list --format=json` output."),
    ] = None,
    dry_run: Annotated[bool, Opt("--dry-run", help="Report only; write no file.")] = False,
    codemeta: Annotated[
        bool, Opt("--codemeta/--no-codemeta", help="Also write codemeta.json next to the crate.")
    ] = True,
    log_summary: Annotated[
        bool,
        Opt(
            "--log-summary",
            help="End with one machine-readable summary line (`hepci-preservation/1 {…}`): "
            "the metadata CI template prints it for group catalogues.",
        ),
    ] = False,
) -> None:
    """Write the analysis's preservation record as an RO-Crate (ro-crate-metadata.json)
    and as CodeMeta (codemeta.json).

    Code (repository, commit, license, authors), software (image and digest, base images,
    Python/CMSSW), data (declared inputs with DOIs/record IDs), workflow (engine, steps,
    outputs) and CI templates; missing pieces are listed (CITATION.cff is checked against
    CFF 1.2.0). Exit codes: 0 written, 2 usage error.
    """
    from hepci.metadata.service import (
        MetadataOptions,
        json_report,
        run_metadata,
        terminal_report,
    )

    if fmt not in ("terminal", "json"):
        raise typer.BadParameter("choose terminal or json", param_hint="--format")
    result = run_metadata(
        MetadataOptions(
            directory=directory,
            output=output,
            image=image,
            image_digest=image_digest,
            outputs=list(outputs) if outputs is not None else None,
            packages=packages,
            write=not dry_run,
            codemeta=codemeta,
        )
    )
    if fmt == "json":
        typer.echo(json_report(result), nl=False)
    elif _state.STATE.verbosity >= 0:
        typer.echo(terminal_report(result), nl=False)
    if log_summary:  # last, after any other output (json goes to stdout as well)
        from hepci.metadata.summary import log_summary as summary_line

        typer.echo(summary_line(result.record, result.crate_sha256))
