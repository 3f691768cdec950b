"""Upgrading one repository's CI files (a checkout, or a GitLab project read into memory).

Which files: the root ``.gitlab-ci.yml`` (or ``.gitlab-ci.yaml``) and every file it pulls in
with ``include: local``, or exactly the files given. The same :func:`plan_repo` serves
``hepci upgrade PATH`` and each project of a group run.

Locally the repository root is the directory given, or for a file the nearest folder above
it holding ``.git`` (else its folder). Nothing outside it is read or written
(:mod:`hepci.core.safefs`); a symbolic link inside it is written through to its target. Any
input error (a file that cannot be read or parsed, a path leaving the root) stops a local run
before anything is written: one line, exit 2 like ``hepci lint`` (a YAML syntax error: exit 1,
as lint's HL001 finding). ``--write`` stages every
changed file before renaming any, so a full disk leaves every file untouched.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hepci.core.cilocal import follow_local_includes
from hepci.core.repo import LocalRepo, Repo
from hepci.core.safefs import relative_inside, write_inside_many
from hepci.core.yamledit import parse_bytes
from hepci.errors import ExitCode, HepciError, InputFileError, YamlSyntaxError
from hepci.upgrade.base import Codemod, UpgradeContext
from hepci.upgrade.engine import FileUpgrade, upgrade_bytes

ROOT_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")


@dataclass
class RepoPlan:
    """Every CI file of one repository and what the codemods do to it."""

    name: str
    files: list[FileUpgrade] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failures: list[HepciError] = field(default_factory=list)  # the errors raised, when known

    def fail(self, error: HepciError) -> None:
        self.errors.append(str(error))
        self.failures.append(error)

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


def ci_files(repo: Repo, problems: list[HepciError] | None = None) -> list[str]:
    """The root CI file and its local includes (repo-relative, existing files only).

    Included files that do not parse are added to ``problems``; other input errors (a path
    leaving the root, a YAML bomb) raise.
    """
    root = next((p for p in ROOT_FILES if repo.read(p) is not None), None)
    if root is None:
        return []
    parsed = parse_bytes(repo.read(root) or b"", root)
    listing = repo.files()

    def glob(pattern: str) -> list[str]:
        names = [f.path for f in listing or []]
        return sorted(n for n in names if fnmatch.fnmatch(n, pattern.lstrip("/")))

    tree = follow_local_includes(
        parsed, repo.read, root_path=root, glob=glob if listing is not None else None
    )
    if problems is not None:
        problems.extend(p.error for p in tree.problems if p.error is not None)
    return list(dict.fromkeys(loaded.path for loaded in tree.files))


def plan_repo(
    repo: Repo,
    codemods: Sequence[type[Codemod]],
    ctx: UpgradeContext,
    paths: Sequence[str] | None = None,
) -> RepoPlan:
    """Run the codemods over the repository's CI files and Dockerfiles (nothing is written)."""
    from hepci.core.dockerfiles import dockerfile_paths, is_dockerfile
    from hepci.upgrade.cm_pin import PinDigests, upgrade_dockerfile

    plan = RepoPlan(repo.name)
    problems: list[HepciError] = []
    try:
        targets = list(paths) if paths is not None else ci_files(repo, problems)
    except HepciError as exc:
        plan.fail(exc)
        return plan
    for problem in problems:
        plan.fail(problem)
    if paths is None and PinDigests in codemods:
        listing = repo.files()
        listed = [f.path for f in listing] if listing is not None else None
        targets += dockerfile_paths(listed, lambda p: repo.read(p) is not None)
    for path in targets:
        try:
            data = repo.read(path)
        except HepciError as exc:
            plan.fail(exc)
            continue
        if data is None:
            plan.errors.append(f"{path}: no such file")
            continue
        if is_dockerfile(path):
            found = upgrade_dockerfile(data, path, codemods, ctx)
            if found is None:
                continue
            outcome = found
        else:
            outcome = upgrade_bytes(data, path, codemods, ctx)
        if outcome.error is not None:
            plan.errors.append(outcome.error)
        plan.files.append(outcome)
    return plan


def write_plan(root: Path, plan: RepoPlan) -> list[str]:
    """Write every changed file atomically (its own encoding); return the paths written.

    All or nothing while staging; a symbolic link inside the root is written through to its
    target (the link stays), one leaving the root is refused.
    """
    items = [(outcome.path, outcome.encoded()) for outcome in plan.changed]
    write_inside_many(root, items)
    return [path for path, _ in items]


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
    root = target.absolute().parent
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            root = folder
            break
    return root, [relative_inside(root, target.absolute())]


def _first_failure(plan: RepoPlan, repo: Repo) -> HepciError:
    """The first error as raised (a file's parse error is re-raised from its bytes)."""
    if plan.failures:
        return plan.failures[0]
    for outcome in plan.files:
        if outcome.error is not None:
            try:
                parse_bytes(repo.read(outcome.path) or b"", outcome.path)
            except HepciError as exc:
                return exc
    return InputFileError(plan.errors[0])


def _from_cwd(error: HepciError, root: Path) -> HepciError:
    """The error naming its file from the current directory, like ``hepci lint`` does."""
    if error.path is not None and not Path(error.path).is_absolute():
        full = root / error.path
        try:
            error.path = full.relative_to(Path.cwd()).as_posix()
        except ValueError:
            error.path = str(full)
    return error


def run_local(options: LocalOptions, codemods: Sequence[type[Codemod]], ctx: UpgradeContext) -> int:
    """``hepci upgrade PATH``: diff (default), ``--write`` or ``--check``; returns the exit code."""
    root, paths = _local_targets(Path(options.target))
    repo = LocalRepo(root)
    plan = plan_repo(repo, codemods, ctx, paths)
    if plan.errors:  # nothing is shown or written when an input is bad: one line
        error = _from_cwd(_first_failure(plan, repo), root)
        if isinstance(error, YamlSyntaxError):  # like lint's HL001: a finding, exit 1
            sys.stderr.write(f"hepci: error: {error} (not upgraded)\n")
            return int(ExitCode.FINDINGS)
        raise error
    if not plan.files:
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
    if options.write:
        for path in write_plan(root, plan):
            err.write(f"upgraded {path}\n")
    if not options.quiet:
        summary = ", ".join(plan.codemods) or "nothing to change"
        err.write(f"{len(plan.changed)} of {len(plan.files)} file(s) would change: {summary}\n")
    if options.check and plan.changed:
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)
