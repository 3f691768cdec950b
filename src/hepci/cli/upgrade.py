"""``hepci upgrade``: a thin typer command over :mod:`hepci.upgrade`."""

from __future__ import annotations

import typer

from hepci.cli import _state


def register(app: typer.Typer) -> None:
    app.command("upgrade")(upgrade)


def upgrade(  # noqa: PLR0917 - one parameter per CLI option
    target: str = typer.Argument(
        ".",
        help="A repository, a CI file, or gitlab:GROUP (or gitlab:GROUP/PROJECT) for merge requests.",
    ),
    write: bool = typer.Option(False, "--write", help="Local: apply the changes (atomically)."),
    check: bool = typer.Option(
        False, "--check", help="Local: exit 1 when something would change (pre-commit)."
    ),
    select: list[str] = typer.Option(None, "--select", help="Only these codemods or rule IDs."),  # noqa: B008
    ignore: list[str] = typer.Option(None, "--ignore", help="Skip these codemods or rule IDs."),  # noqa: B008
    to: str = typer.Option(None, "--to", help="Template version to move includes to."),
    allow_major: bool = typer.Option(False, "--allow-major", help="Allow a new major version."),
    cern: bool = typer.Option(False, "--cern", help="CERN profile: also `cvmfs` -> `k8s-cvmfs`."),
    templates_project: str = typer.Option(
        "hepci/hepci", "--templates-project", help="GitLab project holding the hepci templates."
    ),
    apply: bool = typer.Option(False, "--apply", help="Group: push branches and open MRs."),
    max_mrs: int = typer.Option(0, "--max-mrs", help="Group: stop after N new MRs (0: no cap)."),
    jobs: int = typer.Option(4, "--jobs", help="Group: parallel write workers."),
    skip_ci: bool = typer.Option(
        False,
        "--skip-ci",
        help="Group: add \\[skip ci] to the commit message (no push pipeline).",
    ),
    journal: str = typer.Option(None, "--journal", help="Group: journal file (resume)."),
    shard: str = typer.Option(
        None,
        "--shard",
        help="Group: only shard K/N of the projects (default: CI_NODE_INDEX/CI_NODE_TOTAL).",
    ),
    branch: str = typer.Option("hepci/upgrade", "--branch", help="Group: the MR source branch."),
    gitlab_url: str = typer.Option(None, "--gitlab-url", help="GitLab URL (or GITLAB_URL)."),
    token: str = typer.Option(
        None, "--token", help="GitLab token (or GITLAB_TOKEN).", show_default=False
    ),
    timeout: float = typer.Option(
        None, "--timeout", help="Group: seconds per GitLab request, retries included [30]."
    ),
    max_response_mb: int = typer.Option(
        None, "--max-response-mb", help="Group: largest GitLab answer read, in MiB [64]."
    ),
    scaffold: bool = typer.Option(
        False, "--scaffold", help="Update a `hepci new` repository to a newer template."
    ),
    template_repo: str = typer.Option(
        None, "--template-repo", help="--scaffold: git repository of the template (tags)."
    ),
    refresh_digests: bool = typer.Option(
        False,
        "--refresh-digests",
        help="Also run pin-digests: add or refresh image digests (asks the registries).",
    ),
    list_codemods: bool = typer.Option(False, "--list", help="List the codemods and exit."),
    trace: str = typer.Option(
        None,
        "--trace",
        help="Group, debug: record every GitLab request and answer, tokens removed, to this "
        "JSON-lines file.",
    ),
) -> int:
    """Upgrade CI files: template versions, deprecated GitLab CI, legacy image builds.

    Locally prints a unified diff (dry run); --write applies, --check exits 1 when something
    would change. With gitlab:GROUP prints a plan; --apply opens one MR per project.
    Exit codes: 0 ok, 1 would change (--check), a file is not valid YAML, or merge conflicts
    (--scaffold), 2 usage, input or write error, 3 some projects could not be upgraded.
    """
    from hepci.upgrade.service import UpgradeOptions, list_codemods_text, run_upgrade

    if list_codemods:
        typer.echo(list_codemods_text())
        raise typer.Exit(0)
    from hepci.cli.audit import _recording

    with _recording(trace):
        code = run_upgrade(
            UpgradeOptions(
                target=target,
                write=write,
                check=check,
                select=tuple(select or ()),
                ignore=tuple(ignore or ()),
                to=to,
                allow_major=allow_major,
                cern=cern,
                templates_project=templates_project,
                apply=apply,
                max_mrs=max_mrs,
                jobs=jobs,
                skip_ci=skip_ci,
                journal=journal,
                shard=shard,
                branch=branch,
                gitlab_url=gitlab_url,
                token=token,
                timeout=timeout,
                max_response_mb=max_response_mb,
                quiet=_state.STATE.verbosity < 0,
                scaffold=scaffold,
                template_repo=template_repo,
                refresh_digests=refresh_digests,
            )
        )
    raise typer.Exit(code)
