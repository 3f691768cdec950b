"""REST v4: merge requests (project and group), pipelines, and the project CI lint endpoint."""

from __future__ import annotations

import time
from typing import Any

from gitlab_double.api import (
    ApiError,
    Request,
    Response,
    Router,
    forbidden,
    json_response,
    paginate,
)
from gitlab_double.cilint import lint
from gitlab_double.model import DEVELOPER, MergeRequest, Pipeline, Project, iso
from gitlab_double.rest_projects import user_json, visible_group

router = Router()


def mr_json(request: Request, mr: MergeRequest) -> dict[str, Any]:
    state = request.state
    project = state.projects[mr.project_id]
    head = project.repo.branches.get(mr.source_branch)
    author = state.users.get(mr.author_id)
    return {
        "id": mr.id,
        "iid": mr.iid,
        "project_id": mr.project_id,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "source_branch": mr.source_branch,
        "target_branch": mr.target_branch,
        "source_project_id": mr.project_id,
        "target_project_id": mr.project_id,
        "labels": list(mr.labels),
        "draft": mr.title.lower().startswith(("draft:", "[draft]")),
        "author": user_json(author, request.base_url) if author else None,
        "sha": head,
        "merge_status": "can_be_merged",
        "detailed_merge_status": "mergeable",
        "force_remove_source_branch": mr.remove_source_branch,
        "created_at": iso(mr.created_at),
        "updated_at": iso(mr.updated_at or mr.created_at),
        "references": {"short": f"!{mr.iid}", "full": f"{project.full_path}!{mr.iid}"},
        "web_url": f"{request.base_url}/{project.full_path}/-/merge_requests/{mr.iid}",
    }


def filtered(request: Request, mrs: list[MergeRequest]) -> list[MergeRequest]:
    state = request.param("state", "all") or "all"
    if state not in {"opened", "closed", "merged", "locked", "all"}:
        raise ApiError(400, {"error": "state does not have a valid value"})
    if state != "all":
        mrs = [m for m in mrs if m.state == state]
    for key in ("source_branch", "target_branch"):
        value = request.param(key)
        if value:
            mrs = [m for m in mrs if getattr(m, key) == value]
    labels = request.param("labels")
    if labels:
        wanted = set(labels.split(","))
        mrs = [m for m in mrs if wanted <= set(m.labels)]
    reverse = request.param("sort", "desc") != "asc"
    return sorted(mrs, key=lambda m: (m.created_at, m.id), reverse=reverse)


@router.add("GET", "/projects/:id/merge_requests")
def list_project_mrs(request: Request) -> Response:
    project = request.project()
    mrs = [m for m in request.state.merge_requests.values() if m.project_id == project.id]
    return paginate(request, filtered(request, mrs), lambda m: mr_json(request, m))


@router.add("GET", "/groups/:id/merge_requests")
def list_group_mrs(request: Request) -> Response:
    """This group's and its subgroups' merge requests, in projects the caller can see."""
    group = visible_group(request)
    state = request.state
    groups = {g.id for g in state.descendants(group)}
    mrs = [
        m
        for m in state.merge_requests.values()
        if state.projects[m.project_id].group.id in groups
        and state.can_see_project(request.user, state.projects[m.project_id])
    ]
    return paginate(request, filtered(request, mrs), lambda m: mr_json(request, m))


def find_mr(request: Request, project: Project) -> MergeRequest:
    iid = request.args["iid"]
    for mr in request.state.merge_requests.values():
        if mr.project_id == project.id and str(mr.iid) == iid:
            return mr
    raise ApiError(404, {"message": "404 Not found"})


@router.add("GET", "/projects/:id/merge_requests/:iid")
def get_mr(request: Request) -> Response:
    return json_response(mr_json(request, find_mr(request, request.project())))


def _labels(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value).split(",") if v] if value else []


@router.add("POST", "/projects/:id/merge_requests")
def create_mr(request: Request) -> Response:
    project = request.project()
    state = request.state
    if project.archived or state.project_level(request.user, project) < DEVELOPER:
        raise forbidden()
    source = request.require("source_branch")
    target = request.require("target_branch")
    title = request.require("title")
    for name in (source, target):
        if name not in project.repo.branches:
            raise ApiError(400, {"message": [f'Branch "{name}" does not exist']})
    if source == target:
        raise ApiError(409, {"message": ["Validate branches are the same"]})
    for other in state.merge_requests.values():
        if (
            other.project_id == project.id
            and other.source_branch == source
            and other.state == "opened"
        ):
            message = (
                f"Another open merge request already exists for this source branch: !{other.iid}"
            )
            raise ApiError(409, {"message": [message]})
    assert request.user is not None
    mr = MergeRequest(
        id=state.new_id(),
        iid=project.next_mr_iid,
        project_id=project.id,
        title=title,
        description=request.param("description", "") or "",
        source_branch=source,
        target_branch=target,
        author_id=request.user.id,
        created_at=time.time(),
        labels=_labels(request.body.get("labels", request.param("labels"))),
        remove_source_branch=bool(request.flag("remove_source_branch")),
    )
    project.next_mr_iid += 1
    state.merge_requests[mr.id] = mr
    return json_response(mr_json(request, mr), 201)


@router.add("PUT", "/projects/:id/merge_requests/:iid")
def update_mr(request: Request) -> Response:
    project = request.project()
    if project.archived or request.state.project_level(request.user, project) < DEVELOPER:
        raise forbidden()
    mr = find_mr(request, project)
    for key in ("title", "description", "target_branch"):
        value = request.param(key)
        if value is not None:
            setattr(mr, key, value)
    if "labels" in request.body or request.param("labels") is not None:
        mr.labels = _labels(request.body.get("labels", request.param("labels")))
    if request.flag("remove_source_branch") is not None:
        mr.remove_source_branch = bool(request.flag("remove_source_branch"))
    event = request.param("state_event")
    if event == "close" and mr.state == "opened":
        mr.state = "closed"
    elif event == "reopen" and mr.state == "closed":
        mr.state = "opened"
    mr.updated_at = time.time()
    return json_response(mr_json(request, mr))


def pipeline_json(request: Request, project: Project, p: Pipeline) -> dict[str, Any]:
    return {
        "id": p.id,
        "iid": p.iid,
        "project_id": p.project_id,
        "sha": p.sha,
        "ref": p.ref,
        "status": p.status,
        "source": p.source,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.created_at + 300),
        "web_url": f"{request.base_url}/{project.full_path}/-/pipelines/{p.id}",
    }


@router.add("GET", "/projects/:id/pipelines", job_token=True)
def list_pipelines(request: Request) -> Response:
    project = request.project(code=True)
    pipes = [p for p in request.state.pipelines.values() if p.project_id == project.id]
    for key in ("ref", "status", "sha", "source"):
        value = request.param(key)
        if value:
            pipes = [p for p in pipes if getattr(p, key) == value]
    order = request.param("order_by", "id") or "id"
    if order not in {"id", "status", "ref", "updated_at", "user_id"}:
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    key = "created_at" if order in {"updated_at", "user_id"} else order
    pipes.sort(
        key=lambda p: (getattr(p, key), p.id), reverse=request.param("sort", "desc") != "asc"
    )
    return paginate(request, pipes, lambda p: pipeline_json(request, project, p))


def lint_response(request: Request, project: Project, content: str) -> Response:
    result = lint(content, request.state, project, request.user)
    body: dict[str, Any] = {
        "valid": not result.errors,
        "errors": result.errors,
        "warnings": result.warnings,
        "merged_yaml": result.merged_yaml,
        "includes": result.includes,
    }
    if request.flag("include_jobs"):
        body["jobs"] = [{"name": name} for name in result.jobs]
    return json_response(body)


@router.add("POST", "/projects/:id/ci/lint", write=False)
def post_lint(request: Request) -> Response:
    """Lint ``content`` in the project's context. A ``read_api`` token may call it (documented
    assumption of the double: it is a read operation)."""
    project = request.project(code=True)
    return lint_response(request, project, request.require("content"))


@router.add("GET", "/projects/:id/ci/lint")
def get_lint(request: Request) -> Response:
    project = request.project(code=True)
    ref = request.param("content_ref") or request.param("ref") or project.default_branch
    commit = project.repo.resolve(ref)
    sha = commit.files.get(".gitlab-ci.yml") if commit else None
    if sha is None:
        raise ApiError(404, {"message": "404 File Not Found"})
    return lint_response(request, project, request.state.blobs[sha].decode(errors="replace"))
