"""REST reads, one project at a time: the listing, the fallback file reader and details.

These are the slow paths and the building blocks the upgrade service reuses: list a group's
projects once (pages fetched in parallel after the first), read candidate files of one project
(tree listings tell which exist, then one raw read per existing file), and a file's
``last_commit_id`` for optimistic locking.

Every listing is walked page by page with :class:`PageGuard`: an item seen before is handed
out once, and a page that brings nothing new, or a next page that points back, ends the
walk with a warning (a server whose pagination loops must not make a sweep run forever or
count a project twice). Group listings send ``with_shared=false`` and keep only projects in
the group's namespace: projects of other groups shared into it are not the group's to audit
or to upgrade.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import gitlab
from gitlab.client import GitlabList

from hepci.errors import RemoteError
from hepci.gitlab.client import ClientPool, remote_error
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo

LIST_FILTERS: dict[str, Any] = {
    "include_subgroups": True,
    "with_shared": False,  # GitLab's default is true: other namespaces' projects shared in
    "order_by": "id",
    "sort": "asc",
    "per_page": 100,
}
MAX_PAGES = 1_000  # 100,000 projects: a bound on every listing loop
DEVELOPER = 30
log = logging.getLogger("hepci.gitlab")


def _status(exc: Exception) -> int | None:
    return getattr(exc, "response_code", None)


# -- pages ---------------------------------------------------------------------------------------
@dataclass
class Page:
    number: int
    items: list[Any]
    next_page: int | None
    total_pages: int | None


def fetch_page(pool: ClientPool, path: str, query: dict[str, Any], number: int) -> Page:
    """Page ``number`` of a list endpoint, with GitLab's pagination headers."""
    listing = GitlabList(pool.rest(), path, {**query, "page": number}, get_next=False)
    try:
        items = list(listing)
    except (KeyError, TypeError):  # a JSON object, not a list
        raise RemoteError(f"GitLab: {path} answered a page that is not a list") from None
    return Page(number, items, listing.next_page, listing.total_pages)


class PageGuard:
    """Hands out each item of a paginated listing once and tells when the listing loops."""

    def __init__(self, what: str, key: Callable[[Any], Any]) -> None:
        self.what = what
        self.key = key
        self.seen: set[Any] = set()

    def fresh(self, page: Page) -> list[Any] | None:
        """The items of ``page`` not seen before; ``None`` when the page repeats earlier ones
        only (the listing loops: stop, with a warning)."""
        items = [item for item in page.items if _keyable(self.key, item)]
        new = []
        for item in items:
            key = self.key(item)
            if key not in self.seen:
                self.seen.add(key)
                new.append(item)
        if items and not new:
            self.stop(f"page {page.number} repeats earlier pages")
            return None
        return new

    def stop(self, why: str) -> None:
        log.warning("hepci: warning: %s: pagination loops (%s); stopped there", self.what, why)


def _keyable(key: Callable[[Any], Any], item: Any) -> bool:
    try:
        hash(key(item))
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return True


def walk(
    pool: ClientPool, path: str, query: dict[str, Any], *, what: str,
    key: Callable[[Any], Any] = lambda item: item["id"],
) -> Iterator[Any]:  # fmt: skip
    """Every item of a list endpoint, page after page, each once, bounded and loop-safe."""
    guard = PageGuard(what, key)
    number = 1
    for _ in range(MAX_PAGES):
        page = fetch_page(pool, path, query, number)
        new = guard.fresh(page)
        if new is None:
            return
        yield from new
        following = page.next_page
        if following is None and len(page.items) >= int(query.get("per_page", 20)):
            following = number + 1  # no X-Next-Page, but a full page: ask for the next one
        if not page.items or following is None:
            return
        if following <= number:
            guard.stop(f"the next page of page {number} is page {following}")
            return
        number = following


# -- projects ------------------------------------------------------------------------------------
def get_project(pool: ClientPool, path_or_id: str | int) -> ProjectInfo:
    """One project's listing entry (``GET /projects/:id``); ``RemoteError`` when unreachable."""
    try:
        project = pool.rest().projects.get(path_or_id)
    except Exception as exc:
        raise remote_error(exc, str(path_or_id), pool.settings) from None
    return ProjectInfo.from_rest(project.asdict())


def list_group_projects(
    pool: ClientPool, group: str, *, archived: bool | None = None
) -> list[ProjectInfo] | None:
    """Every project of ``group`` and its subgroups, or ``None`` when ``group`` is not a group."""
    pages = group_project_pages(pool, group, archived=archived)
    if pages is None:
        return None
    return sorted((info for page in pages for info in page), key=lambda i: i.full_path)


def _infos(items: Iterable[Any], namespace: str) -> list[ProjectInfo]:
    """Listing entries that are projects of ``namespace`` (or below), as :class:`ProjectInfo`."""
    out = []
    for item in items:
        try:
            info = ProjectInfo.from_rest(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("hepci: warning: a listing entry that is not a project was ignored")
            continue
        owner = ((item.get("namespace") or {}).get("full_path") or "").casefold()
        owner = owner or info.full_path.rpartition("/")[0].casefold()
        if owner == namespace or owner.startswith(namespace + "/"):
            out.append(info)
    return out


def _namespace(pool: ClientPool, group: str) -> str:
    """The group's full path, lower-cased (GitLab paths are case-insensitive)."""
    if group.isdigit():
        try:
            found = pool.rest().http_get(f"/groups/{group}", query_data={"with_projects": False})
        except Exception as exc:
            raise remote_error(exc, group, pool.settings) from None
        if isinstance(found, dict) and found.get("full_path"):
            return str(found["full_path"]).casefold()
    return group.strip("/").casefold()


def group_project_pages(
    pool: ClientPool,
    group: str,
    *,
    archived: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> Iterator[list[ProjectInfo]] | None:
    """The projects of ``group`` and its subgroups page by page as they arrive, or ``None`` when
    ``group`` is not a group (the first page is read before this returns).

    When the first page tells how many pages there are (``X-Total-Pages``), the others are
    fetched in parallel and handed out as each arrives, so callers start on them while the
    listing goes on. Past 10,000 projects GitLab omits the total: pages are then fetched in
    waves until one comes back short or empty. A project seen on two pages (pages shift while
    a group is listed) is handed out once; a page with nothing new ends the listing.
    """
    filters = {**LIST_FILTERS, **(extra or {})}
    if archived is not None:  # default: both, so archived ones are reported as skipped
        filters["archived"] = archived
    path = f"/groups/{quote(group, safe='')}/projects"  # raw dicts: no RESTObject deep copies
    try:
        first = fetch_page(pool, path, filters, 1)
    except Exception as exc:
        if isinstance(exc, gitlab.exceptions.GitlabError) and _status(exc) == 404:
            return None
        raise remote_error(exc, group, pool.settings) from None
    namespace = _namespace(pool, group)

    def page(number: int) -> Page:
        try:
            return fetch_page(pool, path, filters, number)
        except Exception as exc:
            raise remote_error(exc, group, pool.settings) from None

    def pages() -> Iterator[list[ProjectInfo]]:
        guard = PageGuard(f"gitlab:{group}", lambda item: item["id"])
        new = guard.fresh(first)
        yield _infos(new or [], namespace)
        if new is None or not first.items:
            return
        if first.next_page is not None and first.next_page <= 1:
            guard.stop(f"the next page of page 1 is page {first.next_page}")
            return
        with ThreadPoolExecutor(pool.settings.concurrency, thread_name_prefix="hepci-list") as ex:
            if first.total_pages is not None:
                yield from _parallel(ex, page, guard, first.total_pages, namespace)
            elif first.next_page is not None or len(first.items) >= filters["per_page"]:
                workers = pool.settings.concurrency
                yield from _waves(
                    ex, page, guard, len(first.items), namespace=namespace, workers=workers
                )

    return pages()


def _parallel(
    executor: ThreadPoolExecutor, page: Callable[[int], Page], guard: PageGuard, total: int,
    namespace: str,
) -> Iterator[list[ProjectInfo]]:  # fmt: skip
    """Pages 2..``total`` in parallel, handed out as each arrives; a repeated page ends it.

    Each page comes in a box that is emptied when the page is used: the futures (kept until
    the listing ends) must not keep every raw page of a 10,000-project group alive."""

    def boxed(number: int) -> list[Page]:
        return [page(number)]

    futures = [executor.submit(boxed, n) for n in range(2, min(total, MAX_PAGES) + 1)]
    try:
        for future in as_completed(futures):
            new = guard.fresh(future.result().pop())
            if new is None:
                return
            yield _infos(new, namespace)
    finally:
        for future in futures:
            future.cancel()


def _waves(
    executor: ThreadPoolExecutor, page: Callable[[int], Page], guard: PageGuard, full: int,
    *, namespace: str, workers: int,
) -> Iterator[list[ProjectInfo]]:  # fmt: skip
    """Pages fetched ``concurrency`` at a time, in order, until one is short, empty or repeats."""
    start = 2
    while start <= MAX_PAGES:
        wave = list(executor.map(page, range(start, min(start + workers, MAX_PAGES + 1))))
        for got in wave:
            new = guard.fresh(got)
            if new is None:
                return
            yield _infos(new, namespace)
            if len(got.items) < full:  # the last page
                return
            if got.next_page is not None and got.next_page <= got.number:
                guard.stop(f"the next page of page {got.number} is page {got.next_page}")
                return
        start += workers


def writable_project_ids(pool: ClientPool, group: str) -> set[int]:
    """Ids of the projects of ``group`` the token user may push to (Developer or more), from
    the listing filtered by ``min_access_level=30`` (GitLab's group listing has no
    ``permissions``)."""
    pages = group_project_pages(pool, group, extra={"min_access_level": DEVELOPER, "simple": True})
    return {info.id for page in pages or [] for info in page}


# -- files ---------------------------------------------------------------------------------------
def read_files(pool: ClientPool, info: ProjectInfo, paths: Iterable[str]) -> dict[str, FetchedFile]:
    """Read ``paths`` (those that exist) from the default branch with the REST API."""
    project = pool.rest().projects.get(info.id, lazy=True)
    ref = info.default_branch
    wanted = list(dict.fromkeys(paths))
    listed: dict[str, dict[str, str]] = {}  # dir -> {name: (blob id) for blobs, "/" for trees}

    def listing(directory: str) -> dict[str, str]:
        if directory not in listed:
            parent, name = posixpath.split(directory)
            if directory and listing(parent).get(name) != "/":
                listed[directory] = {}
            else:
                listed[directory] = _tree(pool, info, directory, ref)
        return listed[directory]

    out: dict[str, FetchedFile] = {}
    for path in wanted:
        directory, name = posixpath.split(path)
        oid = listing(directory).get(name)
        if not oid or oid == "/":
            continue
        content = _raw(project, path, ref)
        if content is not None:
            out[path] = FetchedFile(path, content, oid)
    return out


def read_raw(pool: ClientPool, info: ProjectInfo, paths: Iterable[str]) -> dict[str, FetchedFile]:
    """Read files known to exist (``files/:path/raw``, one request each); missing ones skipped.

    For files GraphQL lists but cannot give as text (``rawTextBlob`` is null for what GitLab
    takes for binary, e.g. a UTF-16 ``.gitlab-ci.yml``)."""
    project = pool.rest().projects.get(info.id, lazy=True)
    out: dict[str, FetchedFile] = {}
    for path in dict.fromkeys(paths):
        content = _raw(project, path, info.default_branch)
        if content is not None:
            out[path] = FetchedFile.of(path, content)
    return out


def _raw(project: Any, path: str, ref: str | None) -> bytes | None:
    """``files/:path/raw`` at ``ref``; ``None`` for a 404."""
    try:
        return bytes(project.files.raw(file_path=path, ref=ref))
    except gitlab.exceptions.GitlabGetError as exc:
        if _status(exc) == 404:
            return None
        raise


def _tree(pool: ClientPool, info: ProjectInfo, directory: str, ref: str | None) -> dict[str, str]:
    query: dict[str, Any] = {"path": directory, "per_page": 100, "recursive": False}
    if ref:
        query["ref"] = ref
    found: dict[str, str] = {}
    try:
        for entry in walk(
            pool, f"/projects/{info.id}/repository/tree", query,
            what=f"{info.full_path}: tree of /{directory}", key=lambda e: e["name"],
        ):  # fmt: skip
            found[str(entry["name"])] = "/" if entry.get("type") == "tree" else str(entry["id"])
    except gitlab.exceptions.GitlabError as exc:
        if _status(exc) == 404:
            return {}
        raise
    return found


def read_details(pool: ClientPool, info: ProjectInfo) -> Details:
    """HEAD SHA and protection of the default branch, latest pipeline status (2 requests)."""
    project = pool.rest().projects.get(info.id, lazy=True)
    branch_name = info.default_branch
    if not branch_name:
        return Details()
    head = protected = status = None
    try:
        branch = project.branches.get(branch_name)
        head, protected = branch.commit["id"], bool(branch.protected)
    except gitlab.exceptions.GitlabGetError as exc:
        if _status(exc) != 404:
            raise
    try:
        pipelines = project.pipelines.list(ref=branch_name, per_page=1, get_all=False)
        status = pipelines[0].status if pipelines else None
    except gitlab.exceptions.GitlabListError as exc:
        if _status(exc) not in (403, 404):
            raise
    return Details(head_sha=head, default_branch_protected=protected, latest_pipeline_status=status)


def last_commit_id(pool: ClientPool, info: ProjectInfo, path: str) -> str | None:
    """The last commit that changed ``path`` on the default branch (for ``commits.create``)."""
    project = pool.rest().projects.get(info.id, lazy=True)
    try:
        head = project.files.head(path, ref=info.default_branch or "HEAD")
    except gitlab.exceptions.GitlabHeadError as exc:
        if _status(exc) == 404:
            return None
        raise
    value = head.get("X-Gitlab-Last-Commit-Id")
    return str(value) if value else None
