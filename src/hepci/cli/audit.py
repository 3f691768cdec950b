"""``hepci audit``: a thin typer command over :mod:`hepci.audit.service`."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from hepci.cli import _state

REMOTE = "Remote (gitlab:) targets"
Opt = typer.Option


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Local directories (default: .), gitlab:GROUP, gitlab:GROUP/PROJECT or URLs.",
            show_default=False,
        ),
    ] = None,
    *,
    fmt: Annotated[
        list[str] | None,
        Opt(
            "--format",
            "-f",
            help="terminal, json, markdown, html, catalogue, codequality, junit, sarif; FMT=PATH writes a "
            "file. Repeatable or comma-separated: -f terminal -f json=audit.json,html=dash.html",
        ),
    ] = None,
    output: Annotated[
        str | None, Opt("--output", "-o", help="File for the one format without =PATH.")
    ] = None,
    select: Annotated[list[str] | None, Opt(help="Only rules with these ID prefixes.")] = None,
    ignore: Annotated[list[str] | None, Opt(help="Skip rules with these ID prefixes.")] = None,
    config: Annotated[
        str | None, Opt("--config", help="Group-wide config file (.hepci.toml keys).")
    ] = None,
    fail_on: Annotated[
        str | None,
        Opt(help="Exit 1 on failures at or above: error, warning (default), info, never."),
    ] = None,
    list_rules: Annotated[bool, Opt("--list-rules", help="List every rule and exit.")] = False,
    merge: Annotated[
        bool,
        Opt(
            "--merge",
            help="The targets are JSON reports of --shard K/N runs: check that every shard is "
            "there once and write them as one run in the --format(s) given.",
        ),
    ] = False,
    progress: Annotated[bool, Opt(help="Progress bar on stderr.", rich_help_panel=REMOTE)] = True,
    gitlab_url: Annotated[str | None, Opt(help="GitLab URL.", rich_help_panel=REMOTE)] = None,
    token: Annotated[
        str | None,
        Opt(
            help="GitLab token (prefer GITLAB_TOKEN: options show in the process list).",
            rich_help_panel=REMOTE,
        ),
    ] = None,
    gitlab: Annotated[
        str | None, Opt(help="python-gitlab config section.", rich_help_panel=REMOTE)
    ] = None,
    shard: Annotated[
        str | None, Opt(help="Audit shard K/N of a group.", rich_help_panel=REMOTE)
    ] = None,
    concurrency: Annotated[
        int | None, Opt(help="Requests in flight at once (default 4).", rich_help_panel=REMOTE)
    ] = None,
    cache: Annotated[bool, Opt(help="Reuse unchanged projects.", rich_help_panel=REMOTE)] = True,
    cache_dir: Annotated[
        str | None,
        Opt(
            help="Cache folder (default ~/.cache/hepci, or HEPCI_CACHE_DIR).",
            rich_help_panel=REMOTE,
        ),
    ] = None,
    details: Annotated[
        bool,
        Opt(
            help="Read branch protection and pipelines with REST where GraphQL cannot tell "
            "(GL001 for tokens below Maintainer; 2 requests per such project).",
            rich_help_panel=REMOTE,
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        Opt(
            help="Seconds per GitLab request, every retry included (default 30).",
            rich_help_panel=REMOTE,
        ),
    ] = None,
    max_response_mb: Annotated[
        int | None,
        Opt(
            help="Largest GitLab answer read, in MiB (default 64); a larger one fails that "
            "project.",
            rich_help_panel=REMOTE,
        ),
    ] = None,
    trace: Annotated[
        str | None,
        Opt(
            help="Debug: record every GitLab request and answer, tokens removed, to this "
            "JSON-lines file (README: dry run against a live GitLab).",
            rich_help_panel=REMOTE,
        ),
    ] = None,
) -> None:
    """Audit analysis repositories: CI, image, workflow, tests, hygiene, GitLab settings.

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or write error,
    3 some targets could not be audited (always counted on stderr), 4 internal error.
    """
    if list_rules:
        from hepci.audit.docs import rules_table

        typer.echo(rules_table())
        raise typer.Exit(0)
    from hepci.audit.service import AuditOptions, run_audit

    remote: dict[str, object] = {
        "url": gitlab_url,
        "token": token,
        "gitlab_name": gitlab,
        "shard": shard,
        "concurrency": concurrency,
        "cache": cache,
        "cache_dir": cache_dir,
        "project_details": details or None,
        "timeout": timeout,
        "max_response_bytes": max_response_mb * 2**20 if max_response_mb else None,
    }
    with _recording(trace):
        code = run_audit(
            AuditOptions(
                targets=list(targets or ["."]),
                formats=list(fmt or []),
                output=output,
                select=list(select) if select else None,
                ignore=list(ignore or []),
                config_file=config,
                fail_on=fail_on,
                progress=progress,
                verbose=_state.STATE.verbosity > 0,
                quiet=_state.STATE.verbosity < 0,
                remote=remote,
                merge=merge,
            )
        )
    raise typer.Exit(code)


def _recording(path: str | None) -> contextlib.AbstractContextManager[object]:
    """``--trace FILE``: record the run's GitLab exchanges (imported only when asked)."""
    if not path:
        return contextlib.nullcontext()
    from hepci.gitlab.trace import recording

    return recording(path)
