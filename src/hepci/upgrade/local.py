"""Upgrading one repository's CI files (a checkout, or a GitLab project read into memory).

Which files: the root ``.gitlab-ci.yml`` (or ``.gitlab-ci.yaml``) and every file it pulls in
with ``include: local``, or exactly the files given. The same :func:`plan_repo` serves
``hepci upgrade PATH`` and each project of a group run.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hepci.core.cilocal import follow_local_includes
from hepci.core.repo import LocalRepo, Repo
from hepci.core.yamledit import parse_bytes, write_atomic
from hepci.errors import ExitCode, HepciError, InputFileError
from hepci.upgrade.base import Codemod, UpgradeContext
from hepci.upgrade.engine import FileUpgrade, upgrade_bytes

ROOT_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")


@dataclass
class RepoPlan:
    """Every CI file of one repository and what the codemods do to it."""

    name: str
    files: list[FileUpgrade] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[FileUpgrade]:
        return [f for f in self.files if f.changed]

    @property
    def codemods(self) -> list[str]:
        return sorted({c for f in self.changed for c in f.changed_by})

    @property
    def rules(self) -> list[str]:
        return sorted({r for f in self.changed for r in f.rules})

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed)


def ci_files(repo: Repo) -> list[str]:
    """The root CI file and its local includes (repo-relative, existing files only)."""
    root = next((p for p in ROOT_FILES if repo.read(p) is not None), None)
    if root is None:
        return []
    data = repo.read(root) or b""
    try:
        parsed = parse_bytes(data, root)
    except HepciError:
        return [root]
    listing = repo.files()

    def glob(pattern: str) -> list[str]:
        names = [f.path for f in listing or []]
        return sorted(n for n in names if fnmatch.fnmatch(n, pattern.lstrip("/")))

    tree = follow_local_includes(
        parsed, repo.read, root_path=root, glob=glob if listing is not None else None
    )
    return list(dict.fromkeys(loaded.path for loaded in tree.files))


def plan_repo(
    repo: Repo,
    codemods: Sequence[type[Codemod]],
    ctx: UpgradeContext,
    paths: Sequence[str] | None = None,
) -> RepoPlan:
    """Run the codemods over the repository's CI files (nothing is written)."""
    plan = RepoPlan(repo.name)
    for path in paths if paths is not None else ci_files(repo):
        data = repo.read(path)
        if data is None:
            plan.errors.append(f"{path}: no such file")
            continue
        outcome = upgrade_bytes(data, path, codemods, ctx)
        if outcome.error is not None:
            plan.errors.append(outcome.error)
        plan.files.append(outcome)
    return plan


def write_plan(root: Path, plan: RepoPlan) -> list[str]:
    """Write every changed file atomically (its own encoding); return the paths written."""
    written: list[str] = []
    for outcome in plan.changed:
        write_atomic(root / outcome.path, outcome.encoded())
        written.append(outcome.path)
    return written


@dataclass(frozen=True)
class LocalOptions:
    target: str = "."
    write: bool = False
    check: bool = False
    quiet: bool = False


def _local_targets(target: Path) -> tuple[Path, list[str] | None]:
    """(repository root, explicit files or ``None`` for the root CI file and its includes)."""
    if target.is_dir():
        return target, None
    if not target.exists():
        raise InputFileError("no such file or directory", path=target)
    root = target.parent.resolve()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            root = folder
            break
    return root, [target.resolve().relative_to(root).as_posix()]


def run_local(options: LocalOptions, codemods: Sequence[type[Codemod]], ctx: UpgradeContext) -> int:
    """``hepci upgrade PATH``: diff (default), ``--write`` or ``--check``; returns the exit code."""
    root, paths = _local_targets(Path(options.target))
    plan = plan_repo(LocalRepo(root), codemods, ctx, paths)
    if not plan.files and not plan.errors:
        raise InputFileError("no .gitlab-ci.yml here (give a CI file or a repository)", path=root)
    out, err = sys.stdout, sys.stderr
    if not options.write and not options.check:
        out.write(plan.diff())
    for outcome in plan.files:
        for manual in outcome.manual:
            where = f"{outcome.path}:{manual.line}" if manual.line else outcome.path
            err.write(f"{where}: {manual.rule} [{manual.codemod}] manual: {manual.message}\n")
        for codemod, why in outcome.refused:
            err.write(f"{outcome.path}: [{codemod}] refused: {why}\n")
    for error in plan.errors:
        err.write(f"hepci: error: {error}\n")
    if options.write:
        for path in write_plan(root, plan):
            err.write(f"upgraded {path}\n")
    if not options.quiet:
        summary = ", ".join(plan.codemods) or "nothing to change"
        err.write(f"{len(plan.changed)} of {len(plan.files)} file(s) would change: {summary}\n")
    if plan.errors:
        return int(ExitCode.INCOMPLETE)
    if options.check and plan.changed:
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)
