"""``hepci upgrade gitlab:GROUP``: plan every project, then (``--apply``) one MR per project.

Reading reuses the remote-audit machinery (:func:`hepci.gitlab.sources.remote_snapshots`:
one listing, batched GraphQL blob reads with blob ids, REST fallback), on the same clients
(one budget, one deadline policy for the whole command). Only the group's own projects are
listed (``with_shared=false``: a project shared into the group is another group's). Released
template versions come from the templates project's tags (one request; the local list if
unreadable). Skipped with a reason: archived, empty, mirrored, repository disabled, role
below Developer (when ``--apply``: GitLab's group listing has no ``permissions``, so the
projects the token may push to come from a second listing with ``min_access_level=30``; an
admin may push everywhere). Writes: see :mod:`hepci.upgrade.group_write`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hepci.errors import ExitCode, RemoteError
from hepci.gitlab.client import ClientPool, remote_error
from hepci.gitlab.model import Snapshot
from hepci.gitlab.settings import Shard
from hepci.upgrade.base import Codemod, UpgradeContext
from hepci.upgrade.cm_pin import digest_lookup
from hepci.upgrade.group_write import (
    Journal,
    JournalEntry,
    ScopeError,
    apply_project,
    check_write_scope,
    existing_mrs,
)
from hepci.upgrade.local import RepoPlan, plan_repo
from hepci.upgrade.versions import release_policy

DEVELOPER = 30


@dataclass(frozen=True)
class GroupOptions:
    target: str
    apply: bool = False
    max_mrs: int = 0
    jobs: int = 4
    skip_ci: bool = False
    journal: str | None = None
    branch: str = "hepci/upgrade"
    to: str | None = None
    allow_major: bool = False
    cern: bool = False
    templates_project: str = "hepci/hepci"
    gitlab_url: str | None = None
    token: str | None = None
    quiet: bool = False
    timeout: float | None = None  # seconds per request, retries included (None: the default)
    max_response_mb: int | None = None
    shard: str | None = None  # K/N; None: CI_NODE_INDEX/CI_NODE_TOTAL when set (parallel jobs)


@dataclass
class GroupResult:
    """Every project of the target ends up in exactly one bucket."""

    plans: dict[str, RepoPlan] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    entries: dict[str, JournalEntry] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    probe_project: int | None = None  # a readable project id, for the write-scope check

    @property
    def created(self) -> list[str]:
        return sorted(p for p, e in self.entries.items() if e.status == "mr-created")


def _releases(pool: ClientPool, project: str) -> list[str]:
    try:
        tags = pool.rest().projects.get(project, lazy=True).tags.list(per_page=100, get_all=False)
    except Exception:
        return []
    return [str(t.name) for t in tags]


NO_PUSH = "no permission to push (role below Developer)"


def _skip_reason(snapshot: Snapshot, apply: bool, writable: set[int] | None) -> str | None:
    info = snapshot.info
    if info.mirror:
        return "pull mirror (changes would be overwritten)"
    if info.repository_access_level == "disabled":
        return "repository disabled"
    if apply and info.access_level is not None and info.access_level < DEVELOPER:
        return NO_PUSH
    if apply and info.access_level is None and writable is not None and info.id not in writable:
        return NO_PUSH
    return None


def _writable(pool: ClientPool, target: str, snapshots: list[Snapshot]) -> set[int] | None:
    """Ids of the target's projects the token may push to; ``None``: do not filter (a single
    project, whose own entry tells, or an admin token)."""
    from hepci.gitlab.rest import writable_project_ids
    from hepci.gitlab.sources import parse_target

    if all(s.info.access_level is not None for s in snapshots):
        return None
    if (pool.current_user() or {}).get("is_admin"):
        return None
    group = parse_target(target).path
    try:
        return writable_project_ids(pool, group)
    except Exception as exc:
        raise remote_error(exc, group, pool.settings) from None


def plan_group(
    options: GroupOptions, codemods: Sequence[type[Codemod]], pool: ClientPool
) -> tuple[GroupResult, dict[str, Snapshot]]:
    """Read every project and run the codemods; nothing is written."""
    from hepci.gitlab.sources import remote_snapshots

    policy = release_policy(
        options.to,
        options.allow_major,
        extra_releases=_releases(pool, options.templates_project),
    )
    ctx = UpgradeContext(
        policy, cern=options.cern, templates_project=options.templates_project,
        digests=digest_lookup(codemods),
    )  # fmt: skip
    run = remote_snapshots(options.target, pool.settings, pool=pool)
    result = GroupResult()
    snapshots: dict[str, Snapshot] = {}
    result.skipped.update({s.full_path: s.reason for s in run.skipped})
    result.failed.update({f.full_path: f.reason for f in run.failed})
    read = [item.result for item in run.results]
    writable = _writable(pool, options.target, read) if options.apply and read else None
    for snapshot in read:
        path = snapshot.info.full_path
        result.probe_project = result.probe_project or snapshot.info.id
        reason = _skip_reason(snapshot, options.apply, writable)
        if reason is not None:
            result.skipped[path] = reason
            continue
        plan = plan_repo(snapshot.repo(), codemods, ctx)
        if plan.errors and not plan.changed:
            result.skipped[path] = "cannot upgrade: " + plan.errors[0]
        elif plan.changed:
            result.plans[path] = plan
            snapshots[path] = snapshot
        else:
            result.unchanged.append(path)
    return result, snapshots


def _pending(
    options: GroupOptions, pool: ClientPool, result: GroupResult, journal: Journal,
    snapshots: dict[str, Snapshot],
) -> list[str]:  # fmt: skip
    """Changed projects still to write: not journaled as done, no open MR, under --max-mrs."""
    from hepci.gitlab.sources import parse_target

    ids = {path: snap.info.id for path, snap in snapshots.items()}
    single = next(iter(ids.values())) if len(snapshots) == 1 else None
    group = parse_target(options.target).path
    open_mrs = existing_mrs(pool, group, options.branch, single) if snapshots else {}
    todo: list[str] = []
    for path in sorted(result.plans):
        if journal.done(path):
            result.entries[path] = journal.entries[path]
        elif ids[path] in open_mrs:
            entry = JournalEntry(path, "mr-exists", "open MR already there", open_mrs[ids[path]])
            journal.record(entry)
            result.entries[path] = entry
        else:
            todo.append(path)
    budget = options.max_mrs or len(todo)
    for path in todo[budget:]:
        result.skipped[path] = f"--max-mrs {options.max_mrs} reached"
    return todo[:budget]


def apply_group(
    options: GroupOptions,
    pool: ClientPool,
    result: GroupResult,
    snapshots: dict[str, Snapshot],
    on_done: Callable[[JournalEntry], None] | None = None,
) -> None:
    """One branch + commit + MR per changed project; journaled; idempotent."""
    journal = Journal(Path(options.journal) if options.journal else None)
    check_write_scope(pool, result.probe_project)
    todo = _pending(options, pool, result, journal, snapshots)
    stop = threading.Event()

    def work(path: str) -> None:
        if stop.is_set():
            return
        try:
            entry = apply_project(
                pool, snapshots[path], result.plans[path], options.branch, options.skip_ci
            )
        except ScopeError:
            stop.set()
            raise
        except RemoteError as exc:
            entry = JournalEntry(path, "failed", exc.message)
        journal.record(entry)
        result.entries[path] = entry
        if on_done is not None:
            try:
                on_done(entry)
            except BaseException:
                stop.set()
                raise

    with ThreadPoolExecutor(max_workers=options.jobs) as executor:
        futures = [executor.submit(work, path) for path in todo]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()
            executor.shutdown(cancel_futures=True)
            raise
    for path, entry in result.entries.items():
        if entry.status == "failed":
            result.failed[path] = entry.detail
        elif entry.status == "skipped":
            result.skipped[path] = entry.detail


def print_plan(result: GroupResult, *, diffs: bool, out: TextIO | None = None) -> None:
    write = (out or sys.stdout).write
    width = max([len(p) for p in result.plans] + [7])
    write(f"{'project':{width}}  codemods\n")
    for path, plan in sorted(result.plans.items()):
        entry = result.entries.get(path)
        status = (
            f"  [{entry.status}{' !' + str(entry.mr) if entry and entry.mr else ''}]"
            if entry
            else ""
        )
        write(f"{path:{width}}  {', '.join(plan.codemods)}{status}\n")
        for outcome in plan.files:
            for note in outcome.manual:
                write(f"{'':{width}}    manual ({note.rule}): {outcome.path}: {note.message}\n")
    for path, reason in sorted(result.skipped.items()):
        write(f"{path:{width}}  skipped: {reason}\n")
    for path, reason in sorted(result.failed.items()):
        write(f"{path:{width}}  failed: {reason}\n")
    if diffs:
        for path, plan in sorted(result.plans.items()):
            write(f"\n# {path}\n{plan.diff()}")
    write(
        f"{len(result.plans)} to upgrade, {len(result.unchanged)} up to date, "
        f"{len(result.skipped)} skipped, {len(result.failed)} failed, "
        f"{len(result.created)} merge request(s) created\n"
    )


def _shard(text: str | None) -> Shard | None:
    """``--shard K/N``, else the ``parallel:`` job's ``CI_NODE_INDEX``/``CI_NODE_TOTAL``: each
    project falls in exactly one shard (a hash of its path), so no project is written twice."""
    import os

    return Shard.parse(text) if text else Shard.from_env(os.environ)


def run_group(
    options: GroupOptions,
    codemods: Sequence[type[Codemod]],
    on_done: Callable[[JournalEntry], None] | None = None,
) -> int:
    """Plan (and with ``--apply`` write) a group; return the exit code."""
    from hepci.gitlab.settings import resolve_settings

    limits: dict[str, Any] = {}
    if options.timeout is not None:
        limits["timeout"] = options.timeout
    if options.max_response_mb is not None:
        limits["max_response_bytes"] = options.max_response_mb * 2**20
    limits["shard"] = _shard(options.shard)
    settings = resolve_settings(url=options.gitlab_url, token=options.token, **limits)
    pool = ClientPool(settings)
    try:
        result, snapshots = plan_group(options, codemods, pool)
        if options.apply:
            apply_group(options, pool, result, snapshots, on_done)
    finally:
        pool.close()
    print_plan(result, diffs=not options.apply and not options.quiet)
    return int(ExitCode.INCOMPLETE if result.failed else ExitCode.OK)
