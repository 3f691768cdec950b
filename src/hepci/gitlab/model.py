"""Plain data for remote projects: what the listing says, what was fetched, why one was skipped."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hepci.core.repo import MemoryRepo, RepoMeta

REPORTER = 20


def git_blob_id(content: bytes) -> str:
    """The blob id ``git hash-object`` gives ``content`` (GitLab's blob ``oid``)."""
    header = f"blob {len(content)}\0".encode()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def ref_matches(pattern: str, ref: str) -> bool:
    """Whether a protected-branch name matches ``ref``, as GitLab's ``RefMatcher`` decides:
    the exact name, or, when the name has a ``*``, each ``*`` standing for any characters
    (``/`` too: ``*`` and ``hepci/*`` both protect ``hepci/upgrade``) and every other
    character literal (``?``, ``[``… are not globs). An empty name matches nothing."""
    if not pattern:
        return False
    if pattern == ref:
        return True
    if "*" not in pattern:
        return False
    regex = ".*?".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, ref, flags=re.DOTALL) is not None


@dataclass(frozen=True)
class ProjectInfo:
    """One project as a listing returns it (REST ``/groups/:id/projects`` or ``/projects/:id``)."""

    id: int
    full_path: str
    web_url: str | None = None
    default_branch: str | None = None
    archived: bool = False
    empty: bool = False
    last_activity_at: str | None = None
    container_registry_enabled: bool | None = None
    repository_access_level: str | None = None
    visibility: str | None = None
    access_level: int | None = None  # the token user's level, when the listing says
    mirror: bool = False

    @classmethod
    def from_rest(cls, data: Mapping[str, Any]) -> ProjectInfo:
        perms = data.get("permissions") or {}
        levels = [
            (perms.get(k) or {}).get("access_level") for k in ("project_access", "group_access")
        ]
        known = [lvl for lvl in levels if isinstance(lvl, int)]
        registry = data.get("container_registry_enabled")
        if registry is None and "container_registry_access_level" in data:
            registry = data["container_registry_access_level"] != "disabled"
        return cls(
            id=int(data["id"]),
            full_path=str(data["path_with_namespace"]),
            web_url=data.get("web_url"),
            default_branch=data.get("default_branch"),
            archived=bool(data.get("archived", False)),
            empty=bool(data.get("empty_repo", False)),
            last_activity_at=data.get("last_activity_at"),
            container_registry_enabled=registry,
            repository_access_level=data.get("repository_access_level"),
            visibility=data.get("visibility"),
            access_level=max(known) if known else None,
            mirror=bool(data.get("mirror", False)),
        )

    def skip_reason(self) -> str | None:
        """Why this project cannot be audited from its listing alone, or ``None``."""
        if self.archived:
            return "archived"
        if self.empty or self.default_branch is None:
            return "empty repository"
        if self.repository_access_level == "disabled":
            return "repository disabled"
        private_code = self.visibility == "private" or self.repository_access_level == "private"
        if private_code and self.access_level is not None and self.access_level < REPORTER:
            return "no access to the code (Guest role)"
        return None


@dataclass(frozen=True)
class FetchedFile:
    path: str
    content: bytes
    oid: str

    @classmethod
    def of(cls, path: str, content: bytes, oid: str | None = None) -> FetchedFile:
        return cls(path, content, oid or git_blob_id(content))


@dataclass(frozen=True)
class Details:
    """Forge facts beyond the listing; ``None``: not fetched or not available."""

    head_sha: str | None = None
    default_branch_protected: bool | None = None
    latest_pipeline_status: str | None = None
    pipeline: dict[str, Any] | None = None  # the HEAD pipeline's facts (hepci.gitlab.artifacts)


@dataclass(frozen=True)
class Snapshot:
    """Everything read from one project: its listing, candidate files, includes and details."""

    info: ProjectInfo
    files: Mapping[str, FetchedFile]
    details: Details = field(default_factory=Details)
    fetched_at: float = 0.0
    source: str = "graphql"  # graphql | rest | cache

    def meta(self) -> RepoMeta:
        info, details = self.info, self.details
        return RepoMeta(
            full_path=info.full_path,
            web_url=info.web_url,
            default_branch=info.default_branch,
            head_sha=details.head_sha,
            default_branch_protected=details.default_branch_protected,
            last_activity_at=info.last_activity_at,
            latest_pipeline_status=details.latest_pipeline_status,
            container_registry_enabled=info.container_registry_enabled,
            archived=info.archived,
            extra={
                "id": info.id,
                "source": self.source,
                "oids": self.oids(),
                "pipeline": details.pipeline,
            },
        )

    def oids(self) -> dict[str, str]:
        return {path: f.oid for path, f in sorted(self.files.items())}

    def repo(self) -> MemoryRepo:
        """A ``Repo`` over the fetched files; it cannot list the whole tree."""
        contents = {path: f.content for path, f in self.files.items()}
        return MemoryRepo(self.info.full_path, contents, meta=self.meta(), listable=False)

    def with_source(self, source: str) -> Snapshot:
        return replace(self, source=source)


@dataclass(frozen=True)
class Skipped:
    full_path: str
    reason: str


@dataclass(frozen=True)
class Failed:
    full_path: str
    reason: str
    status: int | None = None
