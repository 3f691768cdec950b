"""Many projects' files per request: aliased ``project(fullPath:)`` lookups with ``blobs(paths:)``.

Missing paths are simply absent from ``blobs`` (a free existence check). The batch size adapts
to the server's complexity limit: it is computed from ``queryComplexity`` (or from the score in
a "Query has complexity of S, which exceeds max complexity of L" error) and a batch that is
too complex is split in halves. Optional fields (HEAD commit, latest pipeline, branch rules)
are dropped for the rest of the run when the server's schema does not know them. Projects
whose lookup fails end up in ``BatchResult.failed`` for the REST fallback.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hepci.errors import RemoteError
from hepci.gitlab.client import ClientPool
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo

MAX_QUERY_CHARS = 9_000  # GitLab rejects queries over 10,000 characters
COMPLEXITY_RE = re.compile(r"complexity of (\d+), which exceeds max complexity of (\d+)")
UNKNOWN_FIELD_RE = re.compile(r"Cannot query field ['\"](\w+)['\"]|Field '(\w+)' doesn't exist")
HEADROOM = 0.9  # fill batches to this fraction of the complexity limit
SLOT_OVERHEAD = 2  # a project costs about as much as this many extra paths
QC_COST = 3  # queryComplexity { score limit }

# optional per-project selections: name -> (field that marks it in errors, text builder)
OPTIONAL = ("head", "pipeline", "protection")
MARKERS = {
    "tree": "head",
    "lastCommit": "head",
    "pipelines": "pipeline",
    "branchRules": "protection",
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

    def merge(self, other: BatchResult) -> None:
        self.files.update(other.files)
        self.details.update(other.details)
        self.no_code.update(other.no_code)
        self.failed.update(other.failed)


def _lit(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid GraphQL string literal


class BlobFetcher:
    """Reads files of many projects per GraphQL request; thread safe, shared by workers."""

    def __init__(self, pool: ClientPool, *, max_batch: int, details: bool = True) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._unit: float | None = None  # complexity per path slot, learned from the server
        self._limit = 250
        self._lock = threading.Lock()
        self.enabled = set(OPTIONAL) if details else set()

    @property
    def calibrated(self) -> bool:
        with self._lock:
            return self._unit is not None

    def size_for(self, paths: int) -> int:
        """Projects per request when each asks for ``paths`` paths."""
        with self._lock:
            if self._unit is None:
                return self.max_batch
            per_project = self._unit * (paths + SLOT_OVERHEAD)
            size = int((self._limit * HEADROOM - QC_COST) // per_project)
        return max(1, min(self.max_batch, size))

    def _learn(self, score: int, limit: int, items: Sequence[Item]) -> None:
        slots = sum(len(item.paths) + SLOT_OVERHEAD for item in items)
        with self._lock:
            self._unit = max((score - QC_COST) / max(slots, 1), 0.01)
            self._limit = limit

    # -- query text ---------------------------------------------------------------------------
    def build(self, items: Sequence[Item], shared: list[str] | None) -> tuple[str, dict[str, Any]]:
        enabled = set(self.enabled)
        repo_extra = " tree { lastCommit { sha } }" if "head" in enabled else ""
        aliases = []
        for n, item in enumerate(items):
            paths = "$paths" if shared is not None else "[" + ",".join(map(_lit, item.paths)) + "]"
            extra = ""
            branch = item.info.default_branch
            if "pipeline" in enabled and branch:
                extra += f" pipelines(ref: {_lit(branch)}, first: 1) {{ nodes {{ status }} }}"
            if "protection" in enabled:
                extra += " branchRules(first: 20) { nodes { name } }"
            aliases.append(
                f"p{n}: project(fullPath: {_lit(item.info.full_path)}) {{ repository {{"
                f" blobs(paths: {paths}) {{ nodes {{ path rawTextBlob }} }}{repo_extra} }}{extra} }}"
            )
        head = "query($paths: [String!]!)" if shared is not None else "query"
        query = f"{head} {{ queryComplexity {{ score limit }} {' '.join(aliases)} }}"
        return query, ({"paths": shared} if shared is not None else {})

    # -- running ------------------------------------------------------------------------------
    def fetch(self, items: Sequence[Item], shared: list[str] | None = None) -> BatchResult:
        """Read ``items`` in one request, splitting it when the server finds it too complex."""
        result = BatchResult()
        if not items:
            return result
        for _ in range(len(OPTIONAL) + 1):  # bounded: each retry drops one optional field
            query, variables = self.build(items, shared)
            if len(query) > MAX_QUERY_CHARS and len(items) > 1:
                return self._split(items, shared)
            try:
                body = self.pool.graphql(query, variables)
            except RemoteError as exc:
                return self._fail_all(items, exc.message)
            except Exception as exc:  # python-gitlab/requests errors after retries
                from hepci.gitlab.client import remote_error

                return self._fail_all(items, remote_error(exc, None, self.pool.settings).message)
            top = [e for e in body.get("errors") or [] if not e.get("path")]
            if not top:
                return self._parse(items, body)
            messages = [str(e.get("message", "")) for e in top]
            complexity = next((m for m in map(COMPLEXITY_RE.search, messages) if m), None)
            if complexity is not None:
                self._learn(int(complexity.group(1)), int(complexity.group(2)), items)
                if len(items) == 1:
                    return self._fail_all(items, "GraphQL query too complex for one project")
                return self._split(items, shared)
            if any("Query too large" in m for m in messages) and len(items) > 1:
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
        size = min(self.size_for(paths), max(len(items) // 2, 1))
        result = BatchResult()
        for start in range(0, len(items), size):
            result.merge(self.fetch(items[start : start + size], shared))
        return result

    @staticmethod
    def _fail_all(items: Sequence[Item], reason: str) -> BatchResult:
        return BatchResult(failed={item.info.full_path: reason for item in items})

    def _parse(self, items: Sequence[Item], body: dict[str, Any]) -> BatchResult:
        data = body.get("data") or {}
        errors = body.get("errors") or []
        bad = {str(e["path"][0]): str(e.get("message", "")) for e in errors if e.get("path")}
        complexity = data.get("queryComplexity") or {}
        if isinstance(complexity.get("score"), int) and isinstance(complexity.get("limit"), int):
            self._learn(complexity["score"], complexity["limit"], items)
        result = BatchResult()
        for n, item in enumerate(items):
            alias, path = f"p{n}", item.info.full_path
            node = data.get(alias)
            if alias in bad:
                result.failed[path] = "GraphQL error: " + bad[alias][:200]
            elif node is None:
                result.failed[path] = "GraphQL: project not found or no access"
            elif node.get("repository") is None:
                result.no_code[path] = "no access to the code"
            else:
                result.files[path], result.details[path] = _project_files(item, node)
        return result


def _project_files(item: Item, node: dict[str, Any]) -> tuple[dict[str, FetchedFile], Details]:
    repo = node["repository"]
    files: dict[str, FetchedFile] = {}
    wanted = set(item.paths)
    for blob in (repo.get("blobs") or {}).get("nodes") or []:
        text = blob.get("rawTextBlob")
        if blob.get("path") in wanted and isinstance(text, str):
            files[blob["path"]] = FetchedFile.of(blob["path"], text.encode())
    head = ((repo.get("tree") or {}).get("lastCommit") or {}).get("sha")
    pipelines = (node.get("pipelines") or {}).get("nodes")
    status = str(pipelines[0]["status"]).lower() if pipelines else None
    rules = (node.get("branchRules") or {}).get("nodes")
    protected = None
    if rules is not None and item.info.default_branch:
        names = [str(r.get("name")) for r in rules]
        protected = any(fnmatch.fnmatchcase(item.info.default_branch, n) for n in names)
    return files, Details(
        head_sha=head, default_branch_protected=protected, latest_pipeline_status=status
    )
