"""The double's state: users, tokens, groups, projects, merge requests, pipelines.

Access follows GitLab: membership of a group is inherited by its subgroups and projects; a
project shared with a group (``Project.shared_with``) gives that group's members their level,
capped at the share's; a project is visible when public, internal (any signed-in user) or
private with membership; code needs Reporter on private projects (or
``repository_access_level`` "private"); pushes need Developer and, on a protected branch, the
branch's push level.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from gitlab_double.gitobjects import Repository

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
LEVEL_NAMES = {0: "No one", 30: "Developers + Maintainers", 40: "Maintainers", 50: "Owners"}
EPOCH_2024 = 1_704_067_200  # 2024-01-01T00:00:00Z, the generator's clock origin


def iso(ts: float) -> str:
    """GitLab's timestamp format, e.g. ``2024-01-01T00:00:00.000Z``."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    admin: bool = False


@dataclass(frozen=True)
class Token:
    value: str
    user_id: int
    scopes: frozenset[str]
    kind: str = "personal"  # personal | job
    job_project_id: int | None = None

    @property
    def can_write(self) -> bool:
        return "api" in self.scopes and self.kind == "personal"


@dataclass
class Group:
    id: int
    path: str
    name: str
    parent: Group | None
    visibility: str = "private"
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level

    @property
    def full_path(self) -> str:
        return f"{self.parent.full_path}/{self.path}" if self.parent else self.path

    def ancestors(self) -> list[Group]:
        chain: list[Group] = []
        node: Group | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


@dataclass
class ProtectedBranch:
    id: int
    name: str  # may contain * wildcards
    push_access_level: int = MAINTAINER
    merge_access_level: int = MAINTAINER
    allow_force_push: bool = False

    def matches(self, branch: str) -> bool:
        """GitLab's ``RefMatcher`` (``app/models/ref_matcher.rb``): the exact name, or, when the
        name has a ``*``, a regex where each ``*`` is ``.*?`` (any characters, ``/`` too) and
        every other character is literal (``?``, ``[`` … are not globs)."""
        if not self.name:
            return False
        if self.name == branch:
            return True
        if "*" not in self.name:
            return False
        pattern = ".*?".join(re.escape(part) for part in self.name.split("*"))
        return re.fullmatch(pattern, branch, flags=re.DOTALL) is not None


@dataclass
class Project:
    id: int
    path: str
    name: str
    group: Group
    repo: Repository
    default_branch_name: str = "main"
    visibility: str = "private"
    archived: bool = False
    mirror: bool = False
    container_registry_enabled: bool = True
    repository_access_level: str = "enabled"
    merge_requests_access_level: str = "enabled"
    created_at: float = EPOCH_2024
    last_activity_at: float = EPOCH_2024
    description: str = ""
    members: dict[int, int] = field(default_factory=dict)
    protected: list[ProtectedBranch] = field(default_factory=list)
    next_mr_iid: int = 1
    shared_with: dict[int, int] = field(default_factory=dict)  # group id -> group_access level

    @property
    def full_path(self) -> str:
        return f"{self.group.full_path}/{self.path}"

    @property
    def default_branch(self) -> str | None:
        return None if self.repo.empty else self.default_branch_name

    def protection(self, branch: str) -> ProtectedBranch | None:
        return next((rule for rule in self.protected if rule.matches(branch)), None)


@dataclass
class MergeRequest:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    source_branch: str
    target_branch: str
    author_id: int
    created_at: float
    state: str = "opened"
    labels: list[str] = field(default_factory=list)
    remove_source_branch: bool = False
    updated_at: float = 0.0


@dataclass
class Pipeline:
    id: int
    iid: int
    project_id: int
    ref: str
    sha: str
    status: str
    created_at: float
    source: str = "push"


@dataclass
class State:
    """Everything the double serves. Guard reads and writes with :attr:`lock`."""

    users: dict[int, User] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    merge_requests: dict[int, MergeRequest] = field(default_factory=dict)
    pipelines: dict[int, Pipeline] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    version: str = "18.6.1"
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _next_id: int = 1

    def new_id(self) -> int:
        with self.lock:
            self._next_id += 1
            return self._next_id

    # -- building -----------------------------------------------------------------------------
    def add_user(self, username: str, admin: bool = False) -> User:
        user = User(self.new_id(), username, username.title(), f"{username}@example.org", admin)
        self.users[user.id] = user
        return user

    def add_token(self, value: str, user: User, scopes: tuple[str, ...] = ("api",)) -> Token:
        token = Token(value, user.id, frozenset(scopes))
        self.tokens[value] = token
        return token

    def add_job_token(self, value: str, user: User, project: Project) -> Token:
        token = Token(value, user.id, frozenset({"read_api"}), "job", project.id)
        self.tokens[value] = token
        return token

    def add_group(
        self, path: str, parent: Group | None = None, visibility: str = "private"
    ) -> Group:
        group = Group(self.new_id(), path, path.replace("-", " ").title(), parent, visibility)
        self.groups[group.id] = group
        return group

    def add_project(self, group: Group, path: str, **attrs: object) -> Project:
        repo = Repository(self.blobs)
        project = Project(self.new_id(), path, path, group, repo, **attrs)  # type: ignore[arg-type]
        self.projects[project.id] = project
        return project

    # -- lookups ------------------------------------------------------------------------------
    def find_group(self, ref: str) -> Group | None:
        if ref.isdigit():
            return self.groups.get(int(ref))
        return next((g for g in self.groups.values() if g.full_path == ref), None)

    def find_project(self, ref: str) -> Project | None:
        if ref.isdigit():
            return self.projects.get(int(ref))
        index: dict[str, int] = self.__dict__.setdefault("_project_paths", {})
        found = self.projects.get(index.get(ref, -1))
        if found is not None and found.full_path == ref:
            return found
        # a miss or a stale entry (renamed, transferred, deleted): rebuild the path index
        index.clear()
        index.update((p.full_path, p.id) for p in self.projects.values())
        return self.projects.get(index.get(ref, -1))

    def project_pipelines(self, project_id: int) -> list[Pipeline]:
        """The pipelines of one project (an index rebuilt when pipelines come or go)."""
        key = (len(self.pipelines), max(self.pipelines, default=0))
        cached = self.__dict__.get("_pipeline_index")
        if cached is None or cached[0] != key:
            index: dict[int, list[Pipeline]] = {}
            for pipeline in self.pipelines.values():
                index.setdefault(pipeline.project_id, []).append(pipeline)
            cached = (key, index)
            self.__dict__["_pipeline_index"] = cached
        return list(cached[1].get(project_id, ()))

    def descendants(self, group: Group) -> list[Group]:
        return [g for g in self.groups.values() if group in g.ancestors()]

    # -- access -------------------------------------------------------------------------------
    def group_level(self, user: User | None, group: Group) -> int:
        if user is None:
            return 0
        if user.admin:
            return OWNER
        return max((g.members.get(user.id, 0) for g in group.ancestors()), default=0)

    def project_level(self, user: User | None, project: Project) -> int:
        if user is None:
            return 0
        level = max(self.group_level(user, project.group), project.members.get(user.id, 0))
        for group_id, cap in project.shared_with.items():  # ProjectGroupLink: min(member, share)
            group = self.groups.get(group_id)
            if group is not None:
                level = max(level, min(self.group_level(user, group), cap))
        return level

    def share(self, project: Project, group: Group, access: int) -> None:
        """Share ``project`` with ``group`` (its members get up to ``access``)."""
        project.shared_with[group.id] = access

    def can_see_group(self, user: User | None, group: Group) -> bool:
        if group.visibility == "public" or (group.visibility == "internal" and user):
            return True
        if self.group_level(user, group) > 0:
            return True
        # members of a descendant group or project can see the ancestors
        return any(self.group_level(user, g) > 0 for g in self.descendants(group)) or any(
            p.members.get(user.id if user else -1)
            for p in self.projects.values()
            if p.group is group
        )

    def can_see_project(self, user: User | None, project: Project) -> bool:
        if project.visibility == "public" or (project.visibility == "internal" and user):
            return True
        return self.project_level(user, project) >= GUEST

    def can_read_code(self, user: User | None, project: Project) -> bool:
        if not self.can_see_project(user, project):
            return False
        if project.repository_access_level == "disabled":
            return False
        private_code = (
            project.visibility == "private" or project.repository_access_level == "private"
        )
        return not private_code or self.project_level(user, project) >= REPORTER

    def can_push(self, user: User | None, project: Project, branch: str) -> bool:
        level = self.project_level(user, project)
        if project.archived or level < DEVELOPER:
            return False
        rule = project.protection(branch)
        return rule is None or (rule.push_access_level > 0 and level >= rule.push_access_level)
