"""Many projects' files per request: aliased ``project(fullPath:)`` lookups with ``blobs(paths:)``.

Missing paths are simply absent from ``blobs`` (a free existence check). The batch size adapts
to the server's complexity limit: it is computed from ``queryComplexity`` (or from the score in
a "Query has complexity of S, which exceeds max complexity of L" error) and a batch that is
too complex is split in halves, and so is one GitLab finds too large (HTTP 422, "Query too
large": the text is over 10,000 characters). Optional fields (HEAD commit, its latest pipeline, branch
rules) are dropped for the rest of the run when the server's schema does not know them, so
group sweeps get GL001/GL002 facts at no extra request. Projects whose lookup fails end up in
``BatchResult.failed`` for the REST fallback.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hepci.errors import RemoteError
from hepci.gitlab.artifacts import MARKERS as ARTIFACT_MARKERS
from hepci.gitlab.artifacts import pipeline_facts, pipeline_fields
from hepci.gitlab.client import ClientPool
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo, ref_matches

MAX_QUERY_CHARS = 9_000  # GitLab answers HTTP 422 "Query too large" over 10,000 characters
COMPLEXITY_RE = re.compile(r"complexity of (\d+), which exceeds max complexity of (\d+)")
UNKNOWN_FIELD_RE = re.compile(r"Cannot query field ['\"](\w+)['\"]|Field '(\w+)' doesn't exist")
HEADROOM = 0.9  # fill batches of projects with their own paths to this fraction of the limit
SLOT_OVERHEAD = 2  # a project costs about as much as this many extra paths
QC_COST = 3  # queryComplexity { score limit }

MAX_FULL_PATHS = 50  # GitLab's limit on projects(fullPaths:)
INTROSPECTION = (
    '{ q: __type(name: "Query") { fields { name args { name } } }'
    ' p: __type(name: "Project") { fields { name } }'
    ' r: __type(name: "Repository") { fields { name } }'
    ' c: __type(name: "Commit") { fields { name } }'
    ' b: __type(name: "BranchRule") { fields { name } }'
    ' pl: __type(name: "Pipeline") { fields { name } }'
    ' j: __type(name: "CiJob") { fields { name } }'
    ' t: __type(name: "CiJobTrace") { fields { name } } }'
)

# optional per-project selections, and the fields that name them in "unknown field" errors
OPTIONAL = ("head", "pipeline", "protection", "crate", "summary")
HEAD = " tree {{ lastCommit {{ sha{pipeline} }} }}"  # the default branch's HEAD commit
PIPELINE = " pipelines(first: 1) { nodes { status } }"  # Commit.pipelines: latest first
# GitLab shows branch rules to Maintainers only (others get an empty list): adminProject says
# whether "no matching rule" means "unprotected"; see _protection
RULES_PAGE = 20  # a full page may hide more rules (no pageInfo: it would cost 3 per project)
PROTECTION = (
    f" userPermissions {{ adminProject }} branchRules(first: {RULES_PAGE})"
    " { nodes { name isProtected } }"
)
MARKERS = {
    "tree": "head",
    "lastCommit": "head",
    "pipelines": "pipeline",
    "branchRules": "protection",
    "isProtected": "protection",
    "userPermissions": "protection",
    "adminProject": "protection",
    **ARTIFACT_MARKERS,  # the metadata job's crate (hepci.gitlab.artifacts)
}


@dataclass
class Item:
    """One project to read and the paths wanted from it."""

    info: ProjectInfo
    paths: list[str]


@dataclass
class BatchResult:
    files: dict[str, dict[str, FetchedFile]] = field(default_factory=dict)  # by full_path
    details: dict[str, Details] = field(default_factory=dict)
    no_code: dict[str, str] = field(default_factory=dict)  # full_path -> reason
    failed: dict[str, str] = field(default_factory=dict)  # full_path -> reason (to REST)
    retry: list[Item] = field(default_factory=list)  # too complex together: batch them again
    # full_path -> paths that exist but came without text (rawTextBlob null: GitLab took them
    # for binary, e.g. UTF-16): the collector reads them with REST, one by one
    binary: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: BatchResult) -> None:
        self.files.update(other.files)
        self.details.update(other.details)
        self.no_code.update(other.no_code)
        self.failed.update(other.failed)
        self.retry.extend(other.retry)
        self.binary.update(other.binary)


def _lit(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid GraphQL string literal


class BlobFetcher:
    """Reads files of many projects per GraphQL request; thread safe, shared by workers."""

    def __init__(self, pool: ClientPool, *, max_batch: int, details: bool = True) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._units: dict[bool, float] = {}  # complexity per path slot, by query shape (shared?)
        self._limit = 250
        self._lock = threading.Lock()
        self.enabled = set(OPTIONAL) if details else set()
        self.connection = False  # Query.projects(fullPaths:) is available
        self.discovered = False
        self.max_chars = MAX_QUERY_CHARS  # lowered when the server finds a query too large

    @property
    def calibrated(self) -> bool:
        with self._lock:
            return True in self._units

    def size_for(self, paths: int, shared: bool = True) -> int:
        """Projects per request when each asks for ``paths`` paths (the same ones: ``shared``).

        The learned cost per path is an upper bound for the next, bigger batch (complexity
        grows at most linearly with the batch), so sizes only grow towards the limit. GitLab's
        complexity is a function of the query text alone: projects that ask the same paths
        cost the same, so a shared batch fills the whole limit (with GitLab's 10 for
        ``Tree.lastCommit`` a project with every detail costs ~112 of 250: two fit, not one).
        """
        with self._lock:
            unit = self._units.get(shared)
            if unit is None:
                return self.max_batch
            per_project = unit * (paths + SLOT_OVERHEAD)
            budget = self._limit * (1.0 if shared else HEADROOM) - QC_COST
            size = int(budget // per_project)
        return max(1, min(self.max_batch, size))

    def _learn(
        self, score: int, limit: int, items: Sequence[Item], shared: bool, *, failed: bool = False
    ) -> None:
        """Cost per path slot: the lowest seen in a successful batch (bigger batches cost less
        per slot under both graphql-ruby's and GitLab's rules), or the one of a rejected batch."""
        slots = sum(len(item.paths) + SLOT_OVERHEAD for item in items)
        unit = max((score - QC_COST) / max(slots, 1), 0.01)
        with self._lock:
            known = self._units.get(shared)
            self._units[shared] = unit if failed or known is None else min(known, unit)
            self._limit = limit

    # -- query text ---------------------------------------------------------------------------
    def build(self, items: Sequence[Item], shared: list[str] | None) -> tuple[str, dict[str, Any]]:
        enabled = set(self.enabled)
        pipeline = PIPELINE if "pipeline" in enabled else ""  # lives in the HEAD commit
        if pipeline and "crate" in enabled:
            fields = pipeline_fields(summary="summary" in enabled)
            pipeline = pipeline.replace("{ status }", "{ status" + fields + " }")
        repo_extra = HEAD.format(pipeline=pipeline) if "head" in enabled else ""
        rules = PROTECTION if "protection" in enabled else ""
        if shared is not None and self.connection:
            query = (
                "query($paths: [String!]!, $full: [String!]) { queryComplexity { score limit }"
                f" projects(fullPaths: $full, first: {len(items)}) {{ nodes {{ fullPath"
                f" repository {{ blobs(paths: $paths) {{ nodes {{ path rawTextBlob }} }}{repo_extra} }}"
                f"{rules} }} }} }}"
            )
            return query, {"paths": shared, "full": [item.info.full_path for item in items]}
        aliases = []
        for n, item in enumerate(items):
            paths = "$paths" if shared is not None else "[" + ",".join(map(_lit, item.paths)) + "]"
            aliases.append(
                f"p{n}: project(fullPath: {_lit(item.info.full_path)}) {{ repository {{"
                f" blobs(paths: {paths}) {{ nodes {{ path rawTextBlob }} }}{repo_extra} }}{rules} }}"
            )
        head = "query($paths: [String!]!)" if shared is not None else "query"
        query = f"{head} {{ queryComplexity {{ score limit }} {' '.join(aliases)} }}"
        return query, ({"paths": shared} if shared is not None else {})

    def discover(self) -> None:
        """Learn from the schema which optional fields and ``projects(fullPaths:)`` exist.

        One introspection request; when introspection is refused, unknown fields are dropped
        as errors name them and aliased ``project(fullPath:)`` lookups are used.
        """
        try:
            body = self.pool.graphql(INTROSPECTION)
        except Exception:  # an optimisation only: the error-driven path still works
            return
        data = body.get("data") or {}
        if not data or body.get("errors"):
            return
        fields = {
            key: {f["name"]: f for f in ((data.get(key) or {}).get("fields") or [])}
            for key in ("q", "p", "r", "c", "b", "pl", "j", "t")
        }
        projects = fields["q"].get("projects") or {}
        self.apply_schema(
            {
                "connection": any(a.get("name") == "fullPaths" for a in projects.get("args") or []),
                "head": "tree" in fields["r"],
                "pipeline": "pipelines" in fields["c"],
                "protection": "branchRules" in fields["p"]
                and "userPermissions" in fields["p"]
                and "isProtected" in fields["b"],
                "crate": "job" in fields["pl"] and "path" in fields["pl"],
                "summary": "trace" in fields["j"] and "htmlSummary" in fields["t"],
            }
        )

    def apply_schema(self, facts: dict[str, bool]) -> None:
        """Use what :meth:`discover` (or a cached copy of it) found out."""
        with self._lock:
            self.connection = bool(facts.get("connection"))
            # a field a cached copy predates stays on: an "unknown field" error drops it
            self.enabled = {name for name in self.enabled if facts.get(name, True)}
            if self.connection:
                self.max_batch = min(self.max_batch, MAX_FULL_PATHS)
            self.discovered = True

    def schema_facts(self) -> dict[str, bool]:
        with self._lock:
            facts = {name: name in self.enabled for name in OPTIONAL}
            return {**facts, "connection": self.connection}

    # -- running ------------------------------------------------------------------------------
    def fetch(
        self, items: Sequence[Item], shared: list[str] | None = None, *, split: bool = True
    ) -> BatchResult:
        """Read ``items`` in one request, splitting it when the server finds it too complex.

        With ``split=False`` a batch that is too complex comes back in ``retry`` (the caller
        re-batches it with the size just learned, in parallel).
        """
        result = BatchResult()
        if not items:
            return result
        for _ in range(len(OPTIONAL) + 1):  # bounded: each retry drops one optional field
            query, variables = self.build(items, shared)
            if len(query) > self.max_chars and len(items) > 1:
                return self._split(items, shared)
            try:
                body = self.pool.graphql(query, variables)
            except RemoteError as exc:
                return self._fail_all(items, exc.message)
            except Exception as exc:  # python-gitlab/requests errors after retries
                if _too_large(exc):  # HTTP 422 "Query too large": nothing was executed
                    with self._lock:
                        self.max_chars = min(self.max_chars, len(query) - 1)
                    if len(items) > 1:
                        return self._split(items, shared)
                from hepci.gitlab.client import remote_error

                return self._fail_all(items, remote_error(exc, None, self.pool.settings).message)
            top = [e for e in body.get("errors") or [] if not e.get("path")]
            if not top:
                return self._parse(items, body, shared is not None)
            messages = [str(e.get("message", "")) for e in top]
            complexity = next((m for m in map(COMPLEXITY_RE.search, messages) if m), None)
            if complexity is not None:
                score, limit = int(complexity.group(1)), int(complexity.group(2))
                self._learn(score, limit, items, shared is not None, failed=True)
                if len(items) == 1:
                    return self._fail_all(items, "GraphQL query too complex for one project")
                if not split:
                    return BatchResult(retry=list(items))
                return self._split(items, shared)
            if not self._drop_unknown(messages):
                return self._fail_all(items, "GraphQL error: " + messages[0][:200])
        return self._fail_all(items, "GraphQL: schema not supported")

    def _drop_unknown(self, messages: list[str]) -> bool:
        dropped = False
        for message in messages:
            for match in UNKNOWN_FIELD_RE.finditer(message):
                group = MARKERS.get(match.group(1) or match.group(2) or "")
                if group in self.enabled:
                    with self._lock:
                        self.enabled.discard(group)
                    dropped = True
        return dropped

    def _split(self, items: Sequence[Item], shared: list[str] | None) -> BatchResult:
        paths = max(len(item.paths) for item in items)
        size = min(self.size_for(paths, shared is not None), max(len(items) // 2, 1))
        result = BatchResult()
        for start in range(0, len(items), size):
            result.merge(self.fetch(items[start : start + size], shared))
        return result

    @staticmethod
    def _fail_all(items: Sequence[Item], reason: str) -> BatchResult:
        return BatchResult(failed={item.info.full_path: reason for item in items})

    def _parse(self, items: Sequence[Item], body: dict[str, Any], shared: bool) -> BatchResult:
        data = body.get("data") or {}
        complexity = data.get("queryComplexity") or {}
        if isinstance(complexity.get("score"), int) and isinstance(complexity.get("limit"), int):
            self._learn(complexity["score"], complexity["limit"], items, shared)
        nodes, bad = _nodes_by_path(items, data, body.get("errors") or [])
        result = BatchResult()
        for item in items:
            path = item.info.full_path
            node = nodes.get(path)
            if path in bad:
                result.failed[path] = "GraphQL error: " + bad[path][:200]
            elif node is None:
                result.failed[path] = "GraphQL: project not found or no access"
            elif node.get("repository") is None:
                result.no_code[path] = "no access to the code"
            else:
                result.files[path], result.details[path] = _project_files(item, node)
                textless = _textless(item, node)
                if textless:
                    result.binary[path] = textless
        return result


def _textless(item: Item, node: dict[str, Any]) -> list[str]:
    """Wanted paths that exist but whose ``rawTextBlob`` is null (binary for GitLab)."""
    wanted = set(item.paths)
    blobs = ((node.get("repository") or {}).get("blobs") or {}).get("nodes") or []
    return [
        str(b["path"])
        for b in blobs
        if isinstance(b, dict) and b.get("path") in wanted and b.get("rawTextBlob") is None
    ]


def _too_large(exc: Exception) -> bool:
    """GitLab's answer to a query text over ``MAX_QUERY_SIZE`` (``GraphqlController``):
    HTTP 422 with ``{"errors": [{"message": "Query too large"}]}``."""
    import gitlab

    return (
        isinstance(exc, gitlab.exceptions.GitlabHttpError)
        and exc.response_code == 422
        and "Query too large" in str(exc.error_message or "")
    )


def _nodes_by_path(
    items: Sequence[Item], data: dict[str, Any], errors: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Project nodes and per-project error messages by full path, for both query shapes."""
    nodes: dict[str, Any] = {}
    bad: dict[str, str] = {}
    if "projects" in data:  # projects(fullPaths:) { nodes [...] }
        listed = (data.get("projects") or {}).get("nodes") or []
        nodes = {str(n.get("fullPath")): n for n in listed if isinstance(n, dict)}
        for error in errors:
            where = error.get("path") or []
            if len(where) > 2 and isinstance(where[2], int) and where[2] < len(listed):
                node = listed[where[2]] or {}
                bad[str(node.get("fullPath"))] = str(error.get("message", ""))
            elif where:
                bad.update({i.info.full_path: str(error.get("message", "")) for i in items})
        return nodes, bad
    for n, item in enumerate(items):
        nodes[item.info.full_path] = data.get(f"p{n}")
    aliases = {f"p{n}": item.info.full_path for n, item in enumerate(items)}
    for error in errors:
        where = error.get("path") or []
        if where and str(where[0]) in aliases:
            bad[aliases[str(where[0])]] = str(error.get("message", ""))
    return nodes, bad


def _project_files(item: Item, node: dict[str, Any]) -> tuple[dict[str, FetchedFile], Details]:
    repo = node["repository"]
    files: dict[str, FetchedFile] = {}
    wanted = set(item.paths)
    for blob in (repo.get("blobs") or {}).get("nodes") or []:
        text = blob.get("rawTextBlob")
        if blob.get("path") in wanted and isinstance(text, str):
            files[blob["path"]] = FetchedFile.of(blob["path"], text.encode())
    last = (repo.get("tree") or {}).get("lastCommit") or {}
    pipelines = [p for p in (last.get("pipelines") or {}).get("nodes") or [] if p]
    status = str(pipelines[0].get("status")).lower() if pipelines else None
    return files, Details(
        head_sha=last.get("sha"),
        default_branch_protected=_protection(item.info.default_branch, node),
        latest_pipeline_status=status,
        pipeline=pipeline_facts(pipelines[0]) if pipelines else None,
    )


def _protection(branch: str | None, node: dict[str, Any]) -> bool | None:
    """Whether ``branch`` is protected, from ``branchRules``; ``None`` when they cannot tell.

    A rule protects it when ``isProtected`` (pseudo-rules such as "All branches" are not) and
    its name is the branch or a ``*`` wildcard matching it. GitLab hides every rule from users
    below Maintainer, so "no such rule" proves nothing unless ``adminProject`` is true and the
    page was not full (a full page may have a next one).
    """
    connection = node.get("branchRules")
    if not branch or not isinstance(connection, dict):
        return None
    rules = [r for r in connection.get("nodes") or [] if isinstance(r, dict)]
    if any(r.get("isProtected") is True and ref_matches(str(r.get("name")), branch) for r in rules):
        return True
    complete = len(connection.get("nodes") or []) < RULES_PAGE
    admin = (node.get("userPermissions") or {}).get("adminProject") is True
    return False if admin and complete else None
