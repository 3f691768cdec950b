"""REST v4: version, user, groups, subgroups, group projects and single projects."""

from __future__ import annotations

from typing import Any

from gitlab_double.api import (
    UNAUTHORIZED,
    ApiError,
    Request,
    Response,
    Router,
    json_response,
    not_found,
    paginate,
)
from gitlab_double.model import Group, Project, State, User, iso

router = Router()


def user_json(user: User, base_url: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "avatar_url": None,
        "web_url": f"{base_url}/{user.username}",
    }


def group_json(group: Group, base_url: str) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "path": group.path,
        "full_name": " / ".join(g.name for g in reversed(group.ancestors())),
        "full_path": group.full_path,
        "visibility": group.visibility,
        "parent_id": group.parent.id if group.parent else None,
        "web_url": f"{base_url}/groups/{group.full_path}",
    }


def project_json(
    state: State, project: Project, user: User | None, base_url: str, *, access: bool = True
) -> dict[str, Any]:
    """``Entities::ProjectWithAccess`` (``GET /projects/:id``), or with ``access=False``
    ``Entities::Project`` (``GET /groups/:id/projects``: no ``permissions``)."""
    group = project.group
    level = state.project_level(user, project)
    data = {
        "id": project.id,
        "name": project.name,
        "path": project.path,
        "name_with_namespace": f"{group.name} / {project.name}",
        "path_with_namespace": project.full_path,
        "description": project.description,
        "default_branch": project.default_branch,
        "visibility": project.visibility,
        "archived": project.archived,
        "empty_repo": project.repo.empty,
        "mirror": project.mirror,
        "created_at": iso(project.created_at),
        "last_activity_at": iso(project.last_activity_at),
        "web_url": f"{base_url}/{project.full_path}",
        "http_url_to_repo": f"{base_url}/{project.full_path}.git",
        "ssh_url_to_repo": f"git@127.0.0.1:{project.full_path}.git",
        "readme_url": None,
        "forked_from_project": None,
        "namespace": {
            "id": group.id,
            "name": group.name,
            "path": group.path,
            "kind": "group",
            "full_path": group.full_path,
            "parent_id": group.parent.id if group.parent else None,
        },
        "container_registry_enabled": project.container_registry_enabled,
        "container_registry_access_level": "enabled"
        if project.container_registry_enabled
        else "disabled",
        "repository_access_level": project.repository_access_level,
        "merge_requests_access_level": project.merge_requests_access_level,
        "merge_requests_enabled": project.merge_requests_access_level != "disabled",
        "jobs_enabled": True,
        "shared_with_groups": [
            {"group_id": gid, "group_access_level": cap} for gid, cap in project.shared_with.items()
        ],
    }
    if access:
        data["permissions"] = {
            "project_access": {"access_level": project.members[user.id], "notification_level": 3}
            if user and user.id in project.members
            else None,
            "group_access": {"access_level": level, "notification_level": 3}
            if level and not (user and user.id in project.members)
            else None,
        }
    return data


@router.add("GET", "/version")
def version(request: Request) -> Response:
    if request.user is None:
        raise UNAUTHORIZED
    return json_response({"version": request.state.version, "revision": "6a9c2d1e", "kas": {}})


@router.add("GET", "/user")
def current_user(request: Request) -> Response:
    if request.user is None:
        raise UNAUTHORIZED
    data = user_json(request.user, request.base_url)
    data.update(
        email=request.user.email, commit_email=request.user.email, is_admin=request.user.admin
    )
    return json_response(data)


@router.add("GET", "/personal_access_tokens/self")
def token_self(request: Request) -> Response:
    """``GET /personal_access_tokens/self`` (GitLab 15.5+, ``doc/api/personal_access_tokens.md``):
    the token that authenticates the request, with its scopes; 401 without one."""
    token = request.token
    if token is None or request.user is None:
        raise UNAUTHORIZED
    return json_response(
        {
            "id": abs(hash(token.value)) % 100_000,
            "name": f"{request.user.username}-token",
            "revoked": False,
            "created_at": "2025-01-01T00:00:00.000Z",
            "description": None,
            "scopes": sorted(token.scopes),
            "user_id": request.user.id,
            "last_used_at": None,
            "active": True,
            "expires_at": None,
        }
    )


def visible_group(request: Request) -> Group:
    group = request.state.find_group(request.args["id"])
    if group is None or not request.state.can_see_group(request.user, group):
        raise not_found("Group")
    return group


@router.add("GET", "/groups")
def list_groups(request: Request) -> Response:
    state = request.state
    groups = [g for g in state.groups.values() if state.can_see_group(request.user, g)]
    if request.flag("top_level_only"):
        groups = [g for g in groups if g.parent is None]
    search = request.param("search")
    if search:
        groups = [g for g in groups if search.lower() in g.full_path.lower()]
    groups.sort(key=lambda g: g.full_path)
    return paginate(request, groups, lambda g: group_json(g, request.base_url))


@router.add("GET", "/groups/:id")
def get_group(request: Request) -> Response:
    return json_response(group_json(visible_group(request), request.base_url))


@router.add("GET", "/groups/:id/subgroups")
def list_subgroups(request: Request) -> Response:
    group = visible_group(request)
    state = request.state
    subs = [g for g in state.groups.values() if g.parent is group]
    subs = [g for g in subs if state.can_see_group(request.user, g)]
    subs.sort(key=lambda g: g.path)
    return paginate(request, subs, lambda g: group_json(g, request.base_url))


@router.add("GET", "/groups/:id/descendant_groups")
def list_descendants(request: Request) -> Response:
    group = visible_group(request)
    state = request.state
    subs = [g for g in state.descendants(group) if g is not group]
    subs = [g for g in subs if state.can_see_group(request.user, g)]
    subs.sort(key=lambda g: g.full_path)
    return paginate(request, subs, lambda g: group_json(g, request.base_url))


ORDER_KEYS = {
    "id": lambda p: p.id,
    "name": lambda p: p.name,
    "path": lambda p: p.path,
    "created_at": lambda p: (p.created_at, p.id),
    "updated_at": lambda p: (p.last_activity_at, p.id),
    "last_activity_at": lambda p: (p.last_activity_at, p.id),
}


def group_projects(request: Request, group: Group) -> list[Project]:
    """``GET /groups/:id/projects`` filters: include_subgroups, with_shared (default true:
    projects of other namespaces shared with the group, or with its subgroups when
    include_subgroups), archived, min_access_level, visibility, search, order_by (default
    created_at) and sort (default desc)."""
    state = request.state
    groups = state.descendants(group) if request.flag("include_subgroups") else [group]
    wanted = {g.id for g in groups}
    with_shared = request.flag("with_shared")
    projects = [
        p
        for p in state.projects.values()
        if p.group.id in wanted
        or ((with_shared is None or with_shared) and wanted & set(p.shared_with))
    ]
    projects = [p for p in projects if state.can_see_project(request.user, p)]
    archived = request.flag("archived")
    if archived is not None:
        projects = [p for p in projects if p.archived == archived]
    min_level = request.int_param("min_access_level", 0)
    if min_level:
        projects = [p for p in projects if state.project_level(request.user, p) >= min_level]
    visibility = request.param("visibility")
    if visibility:
        projects = [p for p in projects if p.visibility == visibility]
    search = request.param("search")
    if search:
        projects = [p for p in projects if search.lower() in p.full_path.lower()]
    order_by = request.param("order_by", "created_at") or "created_at"
    if order_by not in ORDER_KEYS:
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    projects.sort(key=ORDER_KEYS[order_by], reverse=request.param("sort", "desc") != "asc")
    return projects


@router.add("GET", "/groups/:id/projects")
def list_group_projects(request: Request) -> Response:
    projects = group_projects(request, visible_group(request))
    if request.flag("simple"):
        keys = (
            "id", "name", "path", "path_with_namespace", "default_branch", "web_url",
            "created_at", "last_activity_at", "namespace", "description",
        )  # fmt: skip

        def render(p: Project) -> dict[str, Any]:
            full = project_json(request.state, p, request.user, request.base_url, access=False)
            return {k: full[k] for k in keys}

        return paginate(request, projects, render)
    return paginate(
        request,
        projects,
        lambda p: project_json(request.state, p, request.user, request.base_url, access=False),
    )


@router.add("GET", "/projects/:id", job_token=True)
def get_project(request: Request) -> Response:
    project = request.project()
    return json_response(project_json(request.state, project, request.user, request.base_url))
