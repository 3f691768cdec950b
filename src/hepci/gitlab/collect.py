"""Fetch snapshots of many projects: cache first, then batched GraphQL, then REST per project.

Round 1 reads every candidate file of not-cached projects, many projects per GraphQL request,
on ``concurrency`` threads that take batches from a :class:`~hepci.gitlab.feed.Feed` while the
group is still being listed (a batch too complex for the server teaches the cost per path and
goes back to the feed, to be taken again in smaller batches). Round 2.. read the local
includes of ``.gitlab-ci.yml`` files that are not candidates, all projects in one shared-path
request, up to three levels deep. Projects GraphQL could not read are read with REST one by
one; a project REST cannot read either is reported as failed. Single files GraphQL lists without
text (``rawTextBlob`` null: UTF-16, NUL bytes) are read with REST file by file, their local
includes followed the same way.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

from hepci.errors import RemoteError
from hepci.gitlab.cache import SnapshotCache
from hepci.gitlab.candidates import (
    CANDIDATE_FILES,
    CI_FILE,
    MAX_INCLUDE_DEPTH,
    candidates_digest,
    local_includes,
)
from hepci.gitlab.client import ClientPool, remote_error
from hepci.gitlab.feed import Feed
from hepci.gitlab.graphql import MAX_QUERY_CHARS, BatchResult, BlobFetcher, Item
from hepci.gitlab.model import Details, Failed, FetchedFile, ProjectInfo, Skipped, Snapshot
from hepci.gitlab.rest import read_details, read_files, read_raw

SnapshotSink = Callable[[Snapshot], None]
_T = TypeVar("_T")


@dataclass
class Outcome:
    """What could not be handed to the sink (finished snapshots go there, not here: a sweep
    of 10,000 projects must not keep every project's files until the end)."""

    skipped: list[Skipped] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


QUEUE_BOUND = 64  # finished snapshots (and batch results) waiting for a slower consumer


def _put(q: queue.Queue[_T], item: _T, abort: threading.Event) -> bool:
    """Put ``item`` on the bounded queue ``q``, waiting for room unless the run was aborted
    (a consumer that stopped on an error must not leave producers blocked forever)."""
    while not abort.is_set():
        try:
            q.put(item, timeout=0.1)
        except queue.Full:
            continue
        return True
    return False


class _Handover:
    """Finished snapshots from the fetching threads to the consumer, in arrival order.

    At most :data:`QUEUE_BOUND` snapshots wait (a slower consumer makes fetching wait; a sweep
    must not hold every project's files); listing entries the cache can serve
    (:meth:`put_cached`) never wait: they are small and the consumer reads their snapshots.
    """

    def __init__(self, abort: threading.Event) -> None:
        self._items: queue.SimpleQueue[Snapshot | ProjectInfo | None] = queue.SimpleQueue()
        self._room = threading.BoundedSemaphore(QUEUE_BOUND)
        self._abort = abort

    def put(self, snap: Snapshot) -> None:
        while not self._abort.is_set():
            if self._room.acquire(timeout=0.1):
                self._items.put(snap)
                return

    def put_cached(self, info: ProjectInfo) -> None:
        self._items.put(info)

    def end(self) -> None:
        self._items.put(None)

    def get(self) -> Snapshot | ProjectInfo | None:
        item = self._items.get()
        if isinstance(item, Snapshot):
            self._room.release()
        return item


def pending_includes(files: dict[str, FetchedFile], tried: set[str]) -> list[str]:
    """Local includes named by fetched CI files that were neither fetched nor tried."""
    wanted: list[str] = []
    for path, fetched in files.items():
        if path == CI_FILE or path in tried:
            for include in local_includes(fetched.content, path):
                if include not in files and include not in tried and include not in wanted:
                    wanted.append(include)
    return wanted


class Collector:
    """Reads snapshots for a list of projects; one instance per run."""

    def __init__(
        self, pool: ClientPool, cache: SnapshotCache | None, *, details: bool = False
    ) -> None:  # details: read HEAD, protection and pipeline with REST when GraphQL cannot
        self.pool = pool
        self.cache = cache
        self.details = details
        self.paths = list(CANDIDATE_FILES)
        self.digest = candidates_digest(self.paths)
        self.fetcher = BlobFetcher(pool, max_batch=pool.settings.batch_size)
        self.executor = ThreadPoolExecutor(pool.settings.concurrency, thread_name_prefix="hepci")
        self.now = time.time()
        self.textless: dict[str, set[str]] = {}  # full_path -> paths GraphQL gave no text of
        self._discovery: Future[None] | None = None
        self._abort = threading.Event()  # set when the consumer stops early: producers end

    def start_discovery(self) -> None:
        """Learn the GraphQL schema's capabilities in the background (or from the cache)."""
        if not self.pool.graphql_available:
            return
        known = self.cache.load_schema() if self.cache else None
        if known is not None:
            self.fetcher.apply_schema(known)
            return

        def probe() -> None:
            self.fetcher.discover()
            if self.cache is not None and self.fetcher.discovered:
                self.cache.store_schema(self.fetcher.schema_facts())

        self._discovery = self.executor.submit(probe)

    def close(self) -> None:
        self._abort.set()
        self.executor.shutdown(wait=True, cancel_futures=True)

    def collect(self, infos: Iterable[ProjectInfo], sink: SnapshotSink) -> Outcome:
        """Snapshots of ``infos``; each finished snapshot is handed to ``sink`` at once.

        ``infos`` may be a generator still listing the group: batches go out as it yields.

        Fetching runs on a background thread and ``sink`` on the calling one, so the next
        requests (the include rounds, the REST fallback) never wait for ``sink``'s work. A
        project the cache can serve is handed over as its listing entry and read from the
        cache on the calling thread: the listing never waits for a slower ``sink`` to make
        room, so the projects that do need reading are sent as soon as they are listed.
        """
        out = Outcome()
        handover = _Handover(self._abort)
        crashed: list[BaseException] = []

        def produce() -> None:
            try:
                self._produce(infos, out, handover)
            except BaseException as exc:  # re-raised on the calling thread below
                crashed.append(exc)
            finally:
                handover.end()

        producer = threading.Thread(target=produce, name="hepci-collect", daemon=True)
        producer.start()
        stale: list[ProjectInfo] = []  # valid when listed, unusable when read: read again
        try:
            while (item := handover.get()) is not None:
                snap = self._from_cache(item) if isinstance(item, ProjectInfo) else item
                if snap is not None:
                    sink(snap)
                elif isinstance(item, ProjectInfo):
                    stale.append(item)
        except BaseException:
            self._abort.set()  # the producer and the workers stop instead of blocking
            raise
        producer.join()
        if crashed:
            raise crashed[0]
        if stale:
            self._rest_all(stale, out, sink)
        return out

    def _from_cache(self, info: ProjectInfo) -> Snapshot | None:
        return self.cache.load(info, self.digest) if self.cache is not None else None

    def _produce(self, infos: Iterable[ProjectInfo], out: Outcome, handover: _Handover) -> None:
        """Read ``infos`` (which may still be arriving) and hand over finished snapshots."""
        feed: Feed[ProjectInfo] = Feed()
        by_path: dict[str, ProjectInfo] = {}  # every project that needs reading
        listing_failed: list[BaseException] = []
        sink = handover.put

        def feed_all() -> None:  # the cache is consulted as the listing arrives
            try:
                for info in infos:
                    if self.cache is not None and self.cache.fresh(info, self.digest):
                        handover.put_cached(info)
                    else:
                        by_path[info.full_path] = info
                        feed.put(info)
            except BaseException as exc:  # raised below, once the batches already sent are in
                listing_failed.append(exc)
            finally:
                feed.close()

        if not self.pool.graphql_available:
            feed_all()
            self._rest_all(list(by_path.values()), out, sink)
        else:
            feeder = threading.Thread(target=feed_all, name="hepci-feed", daemon=True)
            feeder.start()
            try:
                self._graphql_rounds(feed, by_path, out, sink)
            finally:
                feed.close()
                feeder.join()
        if listing_failed:
            raise listing_failed[0]

    def _graphql_rounds(
        self,
        feed: Feed[ProjectInfo],
        by_path: dict[str, ProjectInfo],
        out: Outcome,
        sink: SnapshotSink,
    ) -> None:
        first = BatchResult()  # what needs a second look; the files go to ``sink`` only
        partial: dict[str, Snapshot] = {}
        for result in self._batches(feed):
            first.no_code.update(result.no_code)
            first.failed.update(result.failed)
            self._take(result, by_path, partial, out, sink)
        include_failed = self._follow_includes(partial, out, sink)
        for path, reason in first.no_code.items():
            out.skipped.append(Skipped(path, reason))
        retry = [by_path[p] for p in [*first.failed, *include_failed] if p in by_path]
        self._rest_all(retry, out, sink)

    # -- GraphQL rounds -----------------------------------------------------------------------
    def _batches(self, feed: Feed[ProjectInfo]) -> Iterator[BatchResult]:
        """Results of round 1 as they arrive; workers size each batch as they take it.

        The first batches go out at the largest size at once (no probe request first): a
        batch the server finds too complex teaches the cost per path and comes back to the
        feed, to be taken again in smaller batches.
        """
        if self._discovery is not None:
            self._discovery.result()  # ran while the first page was listed
        results: queue.Queue[BatchResult | None] = queue.Queue(QUEUE_BOUND)

        def worker() -> None:
            try:
                while chunk := feed.take(lambda: self.fetcher.size_for(len(self.paths))):
                    result = self.fetcher.fetch(self._items(chunk), self.paths, split=False)
                    if result.retry:
                        feed.put_front(item.info for item in result.retry)
                        result.retry = []
                    if not _put(results, result, self._abort):
                        return
            finally:
                _put(results, None, self._abort)

        workers = self.pool.settings.concurrency
        futures = [self.executor.submit(worker) for _ in range(workers)]
        finished = 0
        while finished < workers:  # every worker ends with exactly one None (unless aborted)
            try:
                result = results.get(timeout=0.1)
            except queue.Empty:
                if self._abort.is_set():
                    return
                continue
            if result is None:
                finished += 1
            else:
                yield result
        for future in futures:
            future.result()  # a bug in a worker surfaces here

    def _items(self, infos: list[ProjectInfo]) -> list[Item]:
        return [Item(info, self.paths) for info in infos]

    def _take(
        self,
        result: BatchResult,
        infos: dict[str, ProjectInfo],
        partial: dict[str, Snapshot],
        out: Outcome,
        sink: SnapshotSink,
    ) -> None:
        ready = []
        for path, textless in result.binary.items():
            self.textless.setdefault(path, set()).update(textless)
        for path, files in result.files.items():
            snap = Snapshot(infos[path], files, result.details.get(path, Details()), self.now)
            if self.details and self._needs_details(snap.details):
                partial[path] = snap  # details come from REST below
            elif pending_includes(dict(files), set()) or path in result.binary:
                partial[path] = snap
            else:
                ready.append(snap)
        self._done_all(ready, sink)

    def _follow_includes(
        self, partial: dict[str, Snapshot], out: Outcome, sink: SnapshotSink
    ) -> list[str]:
        """Read includes of ``partial`` snapshots; return the projects to read with REST."""
        tried: dict[str, set[str]] = {path: set() for path in partial}
        files = {path: dict(snap.files) for path, snap in partial.items()}
        failed: list[str] = []
        for _ in range(MAX_INCLUDE_DEPTH):
            items = []
            for path, snap in partial.items():
                wanted = pending_includes(files[path], tried[path])
                tried[path].update(wanted)
                if wanted:
                    items.append(Item(snap.info, wanted))
            if not items:
                break
            futures = [
                self.executor.submit(self.fetcher.fetch, chunk, shared)
                for chunk, shared in self._pack(items)
            ]
            for future in as_completed(futures):
                result = future.result()
                for path, found in result.files.items():
                    files[path].update(found)
                for path, textless in result.binary.items():
                    self.textless.setdefault(path, set()).update(textless)
                for path in {**result.failed, **result.no_code}:
                    if partial.pop(path, None) is not None:
                        failed.append(path)
        done = {
            self.executor.submit(self._finish, snap, files[path]): snap.info
            for path, snap in partial.items()
        }
        self._drain(list(done), out, sink, done)
        return failed

    def _pack(self, items: list[Item]) -> list[tuple[list[Item], list[str] | None]]:
        """Batches of projects that each want their own paths, and the shared path list to ask.

        With ``projects(fullPaths:)`` a batch asks every project for the union of its paths
        (a missing path costs nothing, and each project keeps only the files it wanted): the
        connection counts the paths once, so all includes of a sweep fit in a request or two.
        Otherwise each project lists its own paths, within the learned complexity and the
        query length limit, so that no batch has to be split (one part after the other) later.
        """
        if self.fetcher.connection:
            return [(chunk, _union(chunk)) for chunk in self._pack_shared(items)]
        size = self.fetcher.size_for(max(len(item.paths) for item in items), shared=False)
        chunks: list[list[Item]] = [[]]
        for item in items:
            chunk = chunks[-1]
            if chunk and (
                len(chunk) >= size
                or len(self.fetcher.build([*chunk, item], None)[0]) > MAX_QUERY_CHARS
            ):
                chunks.append(chunk := [])
            chunk.append(item)
        return [(chunk, None) for chunk in chunks]

    def _pack_shared(self, items: list[Item]) -> list[list[Item]]:
        chunks: list[list[Item]] = [[]]
        for item in items:
            chunk = chunks[-1]
            grown = len(_union([*chunk, item]))
            if chunk and len(chunk) + 1 > self.fetcher.size_for(grown):
                chunks.append(chunk := [])
            chunk.append(item)
        return chunks

    def _finish(self, snap: Snapshot, files: dict[str, FetchedFile]) -> Snapshot:
        textless = self.textless.get(snap.info.full_path)
        if textless:  # GraphQL gave no text for them (UTF-16, binary): REST, file by file
            files = {**files, **read_raw(self.pool, snap.info, sorted(textless))}
            tried = set(textless)
            for _ in range(MAX_INCLUDE_DEPTH):
                wanted = pending_includes(files, tried)
                if not wanted:
                    break
                tried.update(wanted)
                files.update(read_files(self.pool, snap.info, wanted))
        details = snap.details
        if self.details and self._needs_details(details):
            details = _merge(details, read_details(self.pool, snap.info))
        return Snapshot(snap.info, files, details, snap.fetched_at, snap.source)

    def _needs_details(self, details: Details) -> bool:
        """Whether REST must complete what batched GraphQL read (``--details`` only)."""
        asked = self.fetcher.enabled  # the HEAD commit's latest pipeline, when still asked for
        pipeline_unread = not {"head", "pipeline"} <= asked
        return _needs_details(details) or (
            pipeline_unread and details.latest_pipeline_status is None
        )

    # -- REST fallback ------------------------------------------------------------------------
    def _rest_one(self, info: ProjectInfo) -> Snapshot:
        files = read_files(self.pool, info, self.paths)
        tried: set[str] = set()
        for _ in range(MAX_INCLUDE_DEPTH):
            wanted = pending_includes(files, tried)
            if not wanted:
                break
            tried.update(wanted)
            files.update(read_files(self.pool, info, wanted))
        details = read_details(self.pool, info) if self.details else Details()
        return Snapshot(info, files, details, self.now, "rest")

    def _rest_all(self, infos: Sequence[ProjectInfo], out: Outcome, sink: SnapshotSink) -> None:
        futures = {self.executor.submit(self._rest_one, info): info for info in infos}
        self._drain(list(futures), out, sink, futures)

    def _drain(
        self,
        futures: list[Future[Snapshot]],
        out: Outcome,
        sink: SnapshotSink,
        owners: dict[Future[Snapshot], ProjectInfo] | None = None,
    ) -> None:
        for future in as_completed(futures):
            try:
                snap = future.result()
            except Exception as exc:
                info = owners.get(future) if owners else None
                error = remote_error(exc, info.full_path if info else None, self.pool.settings)
                out.failed.append(Failed(error.path or "?", error.message, error.status))
                continue
            self._done_all([snap], sink)

    def _done_all(self, snaps: list[Snapshot], sink: SnapshotSink) -> None:
        """Keep finished snapshots (one cache transaction) and hand them to ``sink``."""
        if self.cache is not None and snaps:
            self.cache.store_many(snaps, self.digest)
        for snap in snaps:
            sink(snap)


def _union(items: Sequence[Item]) -> list[str]:
    return sorted({path for item in items for path in item.paths})


def _needs_details(details: Details) -> bool:
    return details.head_sha is None or details.default_branch_protected is None


def _merge(first: Details, second: Details) -> Details:
    return Details(
        head_sha=first.head_sha or second.head_sha,
        default_branch_protected=first.default_branch_protected
        if first.default_branch_protected is not None
        else second.default_branch_protected,
        latest_pipeline_status=first.latest_pipeline_status or second.latest_pipeline_status,
    )


__all__ = ["Collector", "Outcome", "RemoteError", "pending_includes"]
