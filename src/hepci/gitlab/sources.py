"""Remote ``Repo`` sources: ``gitlab:group/project``, ``gitlab:group`` and project URLs.

:func:`audit_remote` is the hook the audit CLI calls for ``gitlab:`` targets: it lists the
projects once, keeps this shard's, skips archived/empty/no-access ones with a reason, reads
every candidate file (cache, batched GraphQL, REST fallback) and calls ``audit_one`` on a
:class:`~hepci.core.repo.MemoryRepo` per project as soon as its files are in. Every listed
project ends up in exactly one of ``results``, ``skipped`` or ``failed``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from hepci.core.repo import Repo
from hepci.errors import HepciError, RemoteError, UsageError
from hepci.gitlab.cache import SnapshotCache
from hepci.gitlab.client import ClientPool
from hepci.gitlab.collect import Collector
from hepci.gitlab.model import Failed, ProjectInfo, Skipped, Snapshot
from hepci.gitlab.rest import get_project, group_project_pages
from hepci.gitlab.settings import DEFAULT_URL, RemoteSettings, Shard

R = TypeVar("R")
ProgressFn = Callable[[int, int, str], None]  # (done, total, project path)
PREFIX = "gitlab:"


@dataclass(frozen=True)
class Target:
    """A parsed ``gitlab:`` target: the instance URL (when the target named one) and path."""

    path: str
    url: str | None = None


def is_remote_target(text: str) -> bool:
    return text.startswith((PREFIX, "http://", "https://"))


def parse_target(text: str) -> Target:
    """``gitlab:group/project``, ``gitlab:https://host/group``, or a project/group URL."""
    rest = text[len(PREFIX) :] if text.startswith(PREFIX) else text
    url = None
    if rest.startswith(("http://", "https://")):
        parts = urlsplit(rest)
        if not parts.netloc:
            raise UsageError(f"{text!r}: not a GitLab URL")
        url = f"{parts.scheme}://{parts.netloc}"
        rest = parts.path
    path = rest.split("/-/", 1)[0].strip("/")
    path = path.removesuffix(".git")
    path = path.removeprefix("groups/")
    if not path or any(seg in ("", ".", "..") for seg in path.split("/")):
        raise UsageError(f"{text!r}: expected gitlab:GROUP[/SUBGROUP]/PROJECT")
    return Target(path, url)


def in_shard(full_path: str, shard: Shard | None) -> bool:
    """Stable assignment of a project to shard K of N by a hash of its full path."""
    if shard is None or shard.total == 1:
        return True
    digest = hashlib.sha256(full_path.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shard.total == shard.index - 1


@dataclass(frozen=True)
class ProjectResult(Generic[R]):
    full_path: str
    result: R
    source: str  # graphql | rest | cache


@dataclass
class RunStats:
    listed: int = 0
    in_shard: int = 0
    from_cache: int = 0
    requests: dict[str, int] = field(default_factory=dict)  # by kind: rest, graphql
    statuses: dict[int, int] = field(default_factory=dict)
    batch_size: int = 0
    seconds: float = 0.0

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@dataclass
class RemoteRun(Generic[R]):
    """What a remote run did with every project of its target."""

    target: str
    url: str
    results: list[ProjectResult[R]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)

    @property
    def complete(self) -> bool:
        return not self.failed


def settings_for(target: Target, settings: RemoteSettings) -> RemoteSettings:
    """``settings`` pointed at the target's instance when the target is a URL."""
    if target.url is None or target.url == settings.url:
        return settings
    if settings.url != DEFAULT_URL:
        raise UsageError(f"target is on {target.url} but --gitlab-url is {settings.url}")
    return replace(settings, url=target.url)


def _discover(pool: ClientPool, path: str) -> tuple[Iterator[list[ProjectInfo]], bool]:
    """The projects behind ``path``, page by page as they are listed, and whether it named a
    single project. Raises :class:`RemoteError` when it names neither."""
    if pool.settings.token_kind == "job":  # a CI job token reaches its own project only
        try:
            return iter([[get_project(pool, path)]]), True
        except RemoteError as exc:
            if exc.status not in (401, 403, 404):
                raise
    pages = group_project_pages(pool, path)
    if pages is not None:
        return pages, False
    try:
        return iter([[get_project(pool, path)]]), True
    except RemoteError as exc:
        if exc.status == 404:
            raise RemoteError(
                "no such group or project, or the token cannot see it", target=path, status=404
            ) from None
        raise


class _Intake(Generic[R]):
    """The listing as it arrives, filtered: this shard's projects that can be read; the others
    are counted or recorded as skipped with their reason."""

    def __init__(self, run: RemoteRun[R], shard: Shard | None, single: bool) -> None:
        self.run = run
        self.shard = None if single else shard
        self.todo: list[ProjectInfo] = []

    def __call__(self, pages: Iterator[list[ProjectInfo]]) -> Iterator[ProjectInfo]:
        stats = self.run.stats
        for page in pages:
            for info in page:
                stats.listed += 1
                if not in_shard(info.full_path, self.shard):
                    continue
                stats.in_shard += 1
                reason = info.skip_reason()
                if reason is not None:
                    self.run.skipped.append(Skipped(info.full_path, reason))
                    continue
                self.todo.append(info)
                yield info


def audit_remote(
    target: str,
    settings: RemoteSettings,
    audit_one: Callable[[Repo], R],
    progress: ProgressFn | None = None,
) -> RemoteRun[R]:
    """Audit every project behind ``target``; see the module docstring.

    Raises :class:`RemoteError` when the target itself cannot be listed (bad token, no such
    group); per-project problems are recorded in the run instead.
    """
    return run_remote(target, settings, lambda snapshot: audit_one(snapshot.repo()), progress)


def run_remote(
    target: str,
    settings: RemoteSettings,
    handle: Callable[[Snapshot], R],
    progress: ProgressFn | None = None,
    pool: ClientPool | None = None,
) -> RemoteRun[R]:
    """Like :func:`audit_remote` with a handler that receives each :class:`Snapshot`.

    ``pool``: the caller's clients (one budget and one health for a whole command); it is
    left open. Otherwise the run has its own, closed at the end."""
    parsed = parse_target(target)
    settings = settings_for(parsed, settings)
    started = time.monotonic()
    own_pool = pool is None or pool.settings != settings
    if own_pool:
        pool = ClientPool(settings)
    assert pool is not None
    run: RemoteRun[R] = RemoteRun(target, settings.url)
    cache = SnapshotCache(settings.cache_dir, settings.url) if settings.cache_dir else None
    collector = Collector(pool, cache)
    try:
        collector.start_discovery()  # the schema probe runs while the group is listed
        pages, single = _discover(pool, parsed.path)
        collector.details = settings.project_details or single
        intake = _Intake(run, settings.shard, single)
        _collect(collector, intake, pages, run=run, handle=handle, progress=progress)
    finally:
        collector.close()
        if own_pool:
            pool.close()
        if cache is not None:
            cache.close()
        run.stats.requests = dict(pool.budget.requests)
        run.stats.statuses = dict(pool.budget.statuses)
        run.stats.seconds = time.monotonic() - started
    run.stats.from_cache = cache.hits if cache else 0
    run.results.sort(key=lambda r: r.full_path)
    run.skipped.sort(key=lambda s: s.full_path)
    run.failed.sort(key=lambda f: f.full_path)
    return run


def _collect(
    collector: Collector,
    intake: _Intake[R],
    pages: Iterator[list[ProjectInfo]],
    *,
    run: RemoteRun[R],
    handle: Callable[[Snapshot], R],
    progress: ProgressFn | None,
) -> None:
    def sink(snapshot: Snapshot) -> None:
        path = snapshot.info.full_path
        try:
            result = handle(snapshot)
        except HepciError as exc:
            run.failed.append(Failed(path, f"audit: {exc}"))
        else:
            run.results.append(ProjectResult(path, result, snapshot.source))
        if progress is not None:
            progress(len(run.results) + len(run.failed), len(intake.todo), path)  # grows

    outcome = collector.collect(intake(pages), sink)
    run.skipped.extend(outcome.skipped)
    run.failed.extend(outcome.failed)
    run.stats.batch_size = (
        collector.fetcher.size_for(len(collector.paths)) if collector.fetcher.calibrated else 0
    )
    seen = {r.full_path for r in run.results} | {s.full_path for s in run.skipped}
    seen |= {f.full_path for f in run.failed}
    for info in intake.todo:  # a project must never vanish from the report
        if info.full_path not in seen:
            run.failed.append(Failed(info.full_path, "not read (internal: no outcome)"))


def remote_snapshots(
    target: str,
    settings: RemoteSettings,
    progress: ProgressFn | None = None,
    pool: ClientPool | None = None,
) -> RemoteRun[Snapshot]:
    """The fetched snapshots themselves: files with blob ids, default branch, details.

    For the upgrade service (it needs each file's blob id and the default branch) and tests.
    """
    return run_remote(target, settings, lambda snapshot: snapshot, progress, pool)
