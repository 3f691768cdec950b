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
    branch: str = typer.Option("hepci/upgrade", "--branch", help="Group: the MR source branch."),
    gitlab_url: str = typer.Option(None, "--gitlab-url", help="GitLab URL (or GITLAB_URL)."),
    token: str = typer.Option(
        None, "--token", help="GitLab token (or GITLAB_TOKEN).", show_default=False
    ),
    scaffold: bool = typer.Option(
        False, "--scaffold", help="Update a `hepci new` repository to a newer template."
    ),
    template_repo: str = typer.Option(
        None, "--template-repo", help="--scaffold: git repository of the template (tags)."
    ),
    list_codemods: bool = typer.Option(False, "--list", help="List the codemods and exit."),
) -> int:
    """Upgrade CI files: template versions, deprecated GitLab CI, legacy image builds.

    Locally prints a unified diff (dry run); --write applies, --check exits 1 when something
    would change. With gitlab:GROUP prints a plan; --apply opens one MR per project.
    Exit codes: 0 ok, 1 would change (--check) or merge conflicts (--scaffold), 2 usage,
    3 some files or projects could not be upgraded.
    """
    from hepci.upgrade.service import UpgradeOptions, list_codemods_text, run_upgrade

    if list_codemods:
        typer.echo(list_codemods_text())
        raise typer.Exit(0)
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
            branch=branch,
            gitlab_url=gitlab_url,
            token=token,
            quiet=_state.STATE.verbosity < 0,
            scaffold=scaffold,
            template_repo=template_repo,
        )
    )
    raise typer.Exit(code)
