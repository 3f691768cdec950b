"""The ``hepci upgrade`` service: option checks, then local mode or group mode."""

from __future__ import annotations

from dataclasses import dataclass, fields

from hepci.errors import UsageError
from hepci.upgrade.base import UpgradeContext, select_codemods
from hepci.upgrade.cm_pin import digest_lookup
from hepci.upgrade.codemods import ALL_CODEMODS
from hepci.upgrade.versions import release_policy


@dataclass(frozen=True)
class UpgradeOptions:
    target: str = "."
    write: bool = False
    check: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    to: str | None = None
    allow_major: bool = False
    cern: bool = False
    templates_project: str = "hepci/hepci"
    apply: bool = False
    max_mrs: int = 0
    jobs: int = 4
    skip_ci: bool = False
    journal: str | None = None
    branch: str = "hepci/upgrade"
    gitlab_url: str | None = None
    token: str | None = None
    timeout: float | None = None
    max_response_mb: int | None = None
    shard: str | None = None  # group: K/N (default: CI_NODE_INDEX/CI_NODE_TOTAL of parallel jobs)
    quiet: bool = False
    scaffold: bool = False
    template_repo: str | None = None
    refresh_digests: bool = False


def list_codemods_text() -> str:
    lines = []
    for cls in ALL_CODEMODS:
        profile = {"cern": " (--cern)", "network": " (--refresh-digests)"}.get(
            cls.profile or "", ""
        )
        lines.append(f"{cls.id:22} {','.join(cls.rules):10} {cls.summary()}{profile}")
    return "\n".join(lines)


def _validate(options: UpgradeOptions) -> None:
    known = {c.id for c in ALL_CODEMODS} | {r for c in ALL_CODEMODS for r in c.rules}
    for name in (*options.select, *options.ignore):
        if name not in known:
            raise UsageError(f"unknown codemod or rule {name!r} (see hepci upgrade --list)")
    if options.write and options.check:
        raise UsageError("--write and --check exclude each other")
    if options.max_mrs < 0 or options.jobs < 1:
        raise UsageError("--max-mrs must be >= 0 and --jobs >= 1")


def run_upgrade(options: UpgradeOptions) -> int:
    """Run ``hepci upgrade`` and return its exit code."""
    _validate(options)
    codemods = select_codemods(
        ALL_CODEMODS, options.select, options.ignore, cern=options.cern,
        network=options.refresh_digests,
    )  # fmt: skip
    remote = options.target.startswith(("gitlab:", "http://", "https://"))
    if options.scaffold:
        if remote or options.check:
            raise UsageError("--scaffold works on a local repository (dry run, or --write)")
        from pathlib import Path

        from hepci.upgrade.scaffold_update import run_scaffold

        return run_scaffold(
            Path(options.target), to=options.to, template_repo=options.template_repo,
            write=options.write,
        )  # fmt: skip
    if not remote:
        if options.apply:
            raise UsageError("--apply is for gitlab: targets; use --write locally")
        from hepci.upgrade.local import LocalOptions, run_local

        ctx = UpgradeContext(
            release_policy(options.to, options.allow_major),
            cern=options.cern,
            templates_project=options.templates_project,
            digests=digest_lookup(codemods),
        )
        local = LocalOptions(options.target, options.write, options.check, options.quiet)
        return run_local(local, codemods, ctx)
    if options.write or options.check:
        raise UsageError("--write/--check are for local paths; use --apply for gitlab: targets")
    from hepci.upgrade.group import GroupOptions, run_group

    # every group setting has the same name on UpgradeOptions: copy them all, none forgotten
    group = GroupOptions(**{f.name: getattr(options, f.name) for f in fields(GroupOptions)})
    return run_group(group, codemods)
