"""``hepci upgrade --scaffold``: bring a ``hepci new`` repository to a newer template, copier-style.

``.cruft.json`` (written by ``hepci new``) records the template, the release it was rendered
from (``commit``) and the answers. The update renders the template at that release (*base*)
and at the target release (*theirs*) with the same answers, and merges per file:

* template unchanged -> nothing; repository file unchanged since rendering -> take theirs;
* both changed -> ``git merge-file`` three-way merge; conflicts are written with inline
  ``<<<<<<<``/``>>>>>>>`` markers, listed, and the exit code is 1 -- never a silent success;
* files the user deleted stay deleted; files new in the template are added; files the template
  dropped are removed only when the user never changed them.

Template source: ``--template-repo`` (a git repository with release tags; a local path or a
URL ``git`` can clone), else the ``template`` URL of ``.cruft.json``. Dry run by default.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepci.core.safefs import read_inside
from hepci.errors import ExitCode, HepciError, InputFileError, OutputError, UsageError

CRUFT_FILE = ".cruft.json"
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass
class ScaffoldPlan:
    old: str
    new: str
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)


def _git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            # core.fsmonitor off: a hostile work tree's .git/config must not run a command
            ["git", "-c", "core.fsmonitor=false", *args],
            cwd=cwd,
            capture_output=True,
            check=check,
            timeout=300,
        )
    except FileNotFoundError:
        raise UsageError("--scaffold needs git on PATH") from None
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode(errors="replace").strip().splitlines()
        raise HepciError(f"git {args[0]} failed: {detail[-1] if detail else exc}") from None


def _fetch_template(source: str, ref: str, directory: str, into: Path) -> Path:
    """The template folder at ``ref`` (a local repository or a clonable URL)."""
    local = Path(source)
    repo = local if (local / ".git").exists() or (local / "HEAD").is_file() else None
    if repo is None:
        clone = into / "clone"
        _git("clone", "--quiet", "--depth", "1", "--branch", ref, source, str(clone))
        repo, ref = clone, "HEAD"
    tar = _git("archive", "--format=tar", ref, directory, cwd=repo).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True, timeout=300)
    return into / directory


def _render(template: Path, context: dict[str, Any], out: Path) -> dict[str, bytes]:
    from cookiecutter.generate import generate_files

    from hepci.scaffold import safe_context

    try:  # the recorded answers are data: validated, never rendered (see hepci.scaffold)
        safe = safe_context(template, context)
    except HepciError as exc:
        raise InputFileError(f"recorded answer refused: {exc.message}", path=CRUFT_FILE) from None
    safe["cookiecutter"]["_output_dir"] = str(out)
    rendered = Path(generate_files(str(template), safe, output_dir=str(out)))
    return {
        p.relative_to(rendered).as_posix(): p.read_bytes()
        for p in sorted(rendered.rglob("*"))
        if p.is_file()
    }


def _merge(ours: bytes, base: bytes, theirs: bytes, tmp: Path, path: str) -> tuple[bytes, bool]:
    files = []
    for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
        file = tmp / f"{name}"
        file.write_bytes(data)
        files.append(str(file))
    done = _git(
        "merge-file", "-p", "-L", f"{path} (yours)", "-L", f"{path} (template base)",
        "-L", f"{path} (template new)", *files, check=False,
    )  # fmt: skip
    if done.returncode < 0 or done.returncode > 127:
        raise HepciError(f"git merge-file failed on {path}")
    return done.stdout, done.returncode > 0


def plan_scaffold(root: Path, to: str | None, template_repo: str | None) -> ScaffoldPlan:
    record_path = root / CRUFT_FILE
    raw = read_inside(root, CRUFT_FILE, MAX_FILE_BYTES)
    if raw is None:
        raise InputFileError("no .cruft.json: not a repository made by `hepci new`", path=root)
    try:
        record = json.loads(raw.decode("utf-8"))
        context = dict(record["context"]["cookiecutter"])
        old, directory = str(record["commit"]), str(record.get("directory") or ".")
    except (ValueError, KeyError, TypeError) as exc:
        raise InputFileError(f"invalid .cruft.json: {exc}", path=record_path) from None
    source = template_repo or str(record.get("template", ""))
    new = to or _newest_tag(source)
    plan = ScaffoldPlan(old, new)
    if new == old:
        return plan
    skip = [str(s) for s in record.get("skip", [])]
    with tempfile.TemporaryDirectory(prefix="hepci-scaffold-") as tmp_name:
        tmp = Path(tmp_name)
        for name in ("old", "new", "out-old", "out-new", "merge"):
            (tmp / name).mkdir()
        base = _render(
            _fetch_template(source, old, directory, tmp / "old"), context, tmp / "out-old"
        )
        theirs = _render(
            _fetch_template(source, new, directory, tmp / "new"), context, tmp / "out-new"
        )
        for path in sorted(set(base) | set(theirs)):
            if path == CRUFT_FILE or any(fnmatch.fnmatch(path, f"{s}*") for s in skip):
                continue
            _plan_file(plan, root, path, (base.get(path), theirs.get(path)), tmp / "merge")
    record["commit"] = record["checkout"] = new
    context["_checkout"] = new
    record["context"]["cookiecutter"] = context
    plan.writes[CRUFT_FILE] = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
    return plan


def _plan_file(
    plan: ScaffoldPlan,
    root: Path,
    path: str,
    versions: tuple[bytes | None, bytes | None],
    tmp: Path,
) -> None:
    base, theirs = versions
    ours = read_inside(root, path, MAX_FILE_BYTES)
    if theirs in (base, ours):
        return
    if theirs is None:
        if ours == base:
            plan.deletes.append(path)
        return
    if ours is None:
        if base is None:
            plan.writes[path] = theirs
        else:
            plan.kept_deleted.append(path)
        return
    if ours == base:
        plan.writes[path] = theirs
        return
    merged, conflicted = _merge(ours, base or b"", theirs, tmp, path)
    plan.writes[path] = merged
    if conflicted:
        plan.conflicts.append(path)


def _write_plan(root: Path, plan: ScaffoldPlan) -> None:
    """Every write staged before any rename (all or nothing), then the deletions."""
    from hepci.core.safefs import remove_inside, resolve_inside, write_inside_many

    for path in plan.writes:
        folder = resolve_inside(root, str(Path(path).parent))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=folder) from None
    write_inside_many(root, sorted(plan.writes.items()))
    for path in plan.deletes:
        remove_inside(root, path)


def _newest_tag(source: str) -> str:
    from hepci.upgrade.versions import format_version, parse_version

    local = Path(source)
    if local.is_dir():
        out = _git("tag", "--list", cwd=local).stdout.decode()
    else:
        out = _git("ls-remote", "--tags", source).stdout.decode()
    versions = [v for v in (parse_version(t.rsplit("/", 1)[-1]) for t in out.split()) if v]
    if not versions:
        raise UsageError(f"no release tags in {source}; pass --to VERSION")
    return format_version(max(versions))


def run_scaffold(root: Path, *, to: str | None, template_repo: str | None, write: bool) -> int:
    """``hepci upgrade PATH --scaffold``; returns the exit code (1 when conflicts remain)."""
    if write and (root / ".git").exists():
        dirty = _git("status", "--porcelain", cwd=root).stdout.strip()
        if dirty:
            raise UsageError("the repository has uncommitted changes: commit or stash them first")
    plan = plan_scaffold(root, to, template_repo)
    err = sys.stderr
    if plan.old == plan.new:
        err.write(f"scaffold is at {plan.new} already\n")
        return int(ExitCode.OK)
    for path in sorted(plan.writes):
        mark = " (CONFLICT)" if path in plan.conflicts else ""
        err.write(f"{'update' if (root / path).exists() else 'create'} {path}{mark}\n")
    for path in plan.deletes:
        err.write(f"delete {path}\n")
    for path in plan.kept_deleted:
        err.write(f"keep deleted {path} (you removed it; the template changed it)\n")
    if write:
        _write_plan(root, plan)
    verb = "updated" if write else "would update"
    err.write(f"scaffold {plan.old} -> {plan.new}: {verb} {len(plan.writes)} file(s)\n")
    if plan.conflicts:
        where = ", ".join(plan.conflicts)
        err.write(f"{len(plan.conflicts)} conflict(s) to resolve (<<<<<<< markers): {where}\n")
        return int(ExitCode.FINDINGS)
    return int(ExitCode.OK)
