"""REST reads, one project at a time: the listing, the fallback file reader and details.

These are the slow paths and the building blocks the upgrade service reuses: list a group's
projects once (pages fetched in parallel after the first), read candidate files of one project
(tree listings tell which exist, then one raw read per existing file), and a file's
``last_commit_id`` for optimistic locking.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any
from urllib.parse import quote

import gitlab

from hepci.gitlab.client import ClientPool, remote_error
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo

LIST_FILTERS: dict[str, Any] = {
    "include_subgroups": True,
    "order_by": "id",
    "sort": "asc",
    "per_page": 100,
}
MAX_PAGES = 1_000  # 100,000 projects: a bound on every listing loop


def _status(exc: Exception) -> int | None:
    return getattr(exc, "response_code", None)


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


def group_project_pages(
    pool: ClientPool, group: str, *, archived: bool | None = None
) -> Iterator[list[ProjectInfo]] | None:
    """The projects of ``group`` and its subgroups page by page as they arrive, or ``None`` when
    ``group`` is not a group (the first page is read before this returns).

    The first page tells how many pages there are (``X-Total-Pages``); the others are fetched
    in parallel and handed out as each arrives, so callers start on them while the listing
    goes on. Past 10,000 projects GitLab omits the total: pages are then fetched in waves
    until one comes back short. A project seen on two pages (pages shift while a group is
    listed) is handed out once.
    """
    filters = dict(LIST_FILTERS)
    if archived is not None:  # default: both, so archived ones are reported as skipped
        filters["archived"] = archived
    path = f"/groups/{quote(group, safe='')}/projects"  # raw dicts: no RESTObject deep copies
    try:
        first = pool.rest().http_list(path, iterator=True, query_data=filters)
        total_pages = first.total_pages if isinstance(first, gitlab.GitlabList) else None
        first_items = [ProjectInfo.from_rest(p) for p in _one_page(first)]
    except Exception as exc:
        if isinstance(exc, gitlab.exceptions.GitlabError) and _status(exc) == 404:
            return None
        raise remote_error(exc, group, pool.settings) from None

    def page(number: int) -> list[ProjectInfo]:
        try:
            items = pool.rest().http_list(
                path, get_all=False, query_data={**filters, "page": number}
            )
        except Exception as exc:
            raise remote_error(exc, group, pool.settings) from None
        return [ProjectInfo.from_rest(p) for p in items if isinstance(p, dict)]

    def pages() -> Iterator[list[ProjectInfo]]:
        seen: set[int] = set()

        def fresh(items: list[ProjectInfo]) -> list[ProjectInfo]:
            new = [info for info in items if info.id not in seen]
            seen.update(info.id for info in new)
            return new

        yield fresh(first_items)
        workers = pool.settings.concurrency
        with ThreadPoolExecutor(workers, thread_name_prefix="hepci-list") as executor:
            if total_pages is not None:
                numbers = range(2, min(total_pages, MAX_PAGES) + 1)
                for future in as_completed([executor.submit(page, n) for n in numbers]):
                    yield fresh(future.result())
            elif len(first_items) >= filters["per_page"]:
                start = 2
                while start <= MAX_PAGES:
                    wave = list(executor.map(page, range(start, start + workers)))
                    for items in wave:
                        yield fresh(items)
                    if any(len(items) < filters["per_page"] for items in wave):
                        break
                    start += workers

    return pages()


def _one_page(listing: Any) -> Iterable[Any]:
    """The items of a ``GitlabList``'s first page without fetching the next one."""
    return list(itertools.islice(listing, int(LIST_FILTERS["per_page"])))


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
                listed[directory] = _tree(project, directory, ref)
        return listed[directory]

    out: dict[str, FetchedFile] = {}
    for path in wanted:
        directory, name = posixpath.split(path)
        oid = listing(directory).get(name)
        if not oid or oid == "/":
            continue
        try:
            content = project.files.raw(file_path=path, ref=ref)
        except gitlab.exceptions.GitlabGetError as exc:
            if _status(exc) == 404:
                continue
            raise
        out[path] = FetchedFile(path, bytes(content), oid)
    return out


def _tree(project: Any, directory: str, ref: str | None) -> dict[str, str]:
    try:
        entries = project.repository_tree(
            path=directory, ref=ref, per_page=100, iterator=True, recursive=False
        )
        found: dict[str, str] = {}
        for n, entry in enumerate(entries):
            if n >= MAX_PAGES * 100:
                break
            found[entry["name"]] = "/" if entry["type"] == "tree" else entry["id"]
        return found
    except gitlab.exceptions.GitlabGetError as exc:
        if _status(exc) == 404:
            return {}
        raise


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
