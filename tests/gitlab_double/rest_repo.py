"""REST v4 repository endpoints: tree, files (raw, HEAD, JSON), branches, protection, commits, tags."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

from gitlab_double.api import (
    ApiError,
    Request,
    Response,
    Router,
    bad_request,
    forbidden,
    json_response,
    not_found,
    paginate,
)
from gitlab_double.gitobjects import Commit
from gitlab_double.model import LEVEL_NAMES, MAINTAINER, Project

router = Router()


def commit_json(commit: Commit, project: Project, base_url: str) -> dict[str, Any]:
    from gitlab_double.model import iso

    when = iso(commit.timestamp)
    return {
        "id": commit.sha,
        "short_id": commit.sha[:8],
        "title": commit.title,
        "message": commit.message,
        "author_name": commit.author_name,
        "author_email": commit.author_email,
        "authored_date": when,
        "committer_name": commit.author_name,
        "committer_email": commit.author_email,
        "committed_date": when,
        "created_at": when,
        "parent_ids": [commit.parent] if commit.parent else [],
        "web_url": f"{base_url}/{project.full_path}/-/commit/{commit.sha}",
    }


def resolve(project: Project, ref: str | None, what: str = "Commit") -> Commit:
    if ref in (None, "", "HEAD"):
        ref = project.default_branch
    commit = project.repo.resolve(ref)
    if commit is None:
        raise not_found(what)
    return commit


def file_at(request: Request, ref_required: bool) -> tuple[Project, Commit, str, bytes]:
    project = request.project(code=True)
    ref = request.param("ref")
    if ref_required and not ref:
        raise ApiError(400, {"error": "ref is missing"})
    commit = resolve(project, ref)
    path = request.args["file_path"]
    sha = commit.files.get(path)
    if sha is None:
        raise not_found("File")
    return project, commit, path, request.state.blobs[sha]


def file_headers(
    project: Project, commit: Commit, path: str, content: bytes, ref: str
) -> dict[str, str]:
    return {
        "X-Gitlab-Blob-Id": commit.files[path],
        "X-Gitlab-Commit-Id": commit.sha,
        "X-Gitlab-Content-Sha256": hashlib.sha256(content).hexdigest(),
        "X-Gitlab-Encoding": "base64",
        "X-Gitlab-File-Name": path.rsplit("/", 1)[-1],
        "X-Gitlab-File-Path": path,
        "X-Gitlab-Last-Commit-Id": project.repo.last_commit_id(commit, path),
        "X-Gitlab-Ref": ref,
        "X-Gitlab-Size": str(len(content)),
        "X-Gitlab-Execute-Filemode": "false",
    }


@router.add("GET", "/projects/:id/repository/files/:file_path/raw")
def file_raw(request: Request) -> Response:
    project, commit, path, content = file_at(request, ref_required=False)
    ref = request.param("ref") or project.default_branch or ""
    headers = file_headers(project, commit, path, content, ref)
    headers["Content-Type"] = "text/plain; charset=utf-8"
    return Response(200, content, headers)


@router.add("HEAD", "/projects/:id/repository/files/:file_path")
def file_head(request: Request) -> Response:
    project, commit, path, content = file_at(request, ref_required=True)
    headers = file_headers(project, commit, path, content, request.require("ref"))
    headers["Content-Type"] = "application/json"
    return Response(200, b"", headers)


@router.add("GET", "/projects/:id/repository/files/:file_path")
def file_get(request: Request) -> Response:
    project, commit, path, content = file_at(request, ref_required=True)
    return json_response(
        {
            "file_name": path.rsplit("/", 1)[-1],
            "file_path": path,
            "size": len(content),
            "encoding": "base64",
            "content": base64.b64encode(content).decode(),
            "content_sha256": hashlib.sha256(content).hexdigest(),
            "ref": request.require("ref"),
            "blob_id": commit.files[path],
            "commit_id": commit.sha,
            "last_commit_id": project.repo.last_commit_id(commit, path),
            "execute_filemode": False,
        }
    )


@router.add("GET", "/projects/:id/repository/tree")
def tree(request: Request) -> Response:
    project = request.project(code=True)
    commit = resolve(project, request.param("ref"), "Tree")
    entries = project.repo.tree(
        commit, request.param("path") or "", bool(request.flag("recursive"))
    )
    if entries is None:
        raise not_found("Tree")
    return paginate(request, entries, lambda e: dict(vars(e)))


def branch_json(project: Project, name: str, request: Request) -> dict[str, Any]:
    commit = project.repo.commits[project.repo.branches[name]]
    rule = project.protection(name)
    state = request.state
    return {
        "name": name,
        "commit": commit_json(commit, project, request.base_url),
        "merged": False,
        "protected": rule is not None,
        "developers_can_push": rule is not None and 0 < rule.push_access_level <= 30,
        "developers_can_merge": rule is not None and 0 < rule.merge_access_level <= 30,
        "can_push": state.can_push(request.user, project, name),
        "default": name == project.default_branch,
        "web_url": f"{request.base_url}/{project.full_path}/-/tree/{name}",
    }


@router.add("GET", "/projects/:id/repository/branches")
def list_branches(request: Request) -> Response:
    project = request.project(code=True)
    names = sorted(project.repo.branches)
    search = request.param("search")
    if search:
        names = [n for n in names if search in n]
    return paginate(request, names, lambda n: branch_json(project, n, request))


@router.add("GET", "/projects/:id/repository/branches/:branch")
def get_branch(request: Request) -> Response:
    project = request.project(code=True)
    if request.args["branch"] not in project.repo.branches:
        raise not_found("Branch")
    return json_response(branch_json(project, request.args["branch"], request))


def protected_json(rule: Any) -> dict[str, Any]:
    def levels(level: int) -> list[dict[str, Any]]:
        return [{"access_level": level, "access_level_description": LEVEL_NAMES.get(level, "")}]

    return {
        "id": rule.id,
        "name": rule.name,
        "push_access_levels": levels(rule.push_access_level),
        "merge_access_levels": levels(rule.merge_access_level),
        "unprotect_access_levels": [],
        "allow_force_push": rule.allow_force_push,
        "code_owner_approval_required": False,
    }


def _rules_reader(request: Request) -> Project:
    """GitLab's ``ProtectedBranches`` API needs ``admin_project``: Maintainer or more."""
    project = request.project(code=True)
    if request.state.project_level(request.user, project) < MAINTAINER:
        raise forbidden()
    return project


@router.add("GET", "/projects/:id/protected_branches")
def list_protected(request: Request) -> Response:
    project = _rules_reader(request)
    return paginate(request, project.protected, protected_json)


@router.add("GET", "/projects/:id/protected_branches/:name")
def get_protected(request: Request) -> Response:
    project = _rules_reader(request)
    rule = next((r for r in project.protected if r.name == request.args["name"]), None)
    if rule is None:
        raise not_found("")
    return json_response(protected_json(rule))


@router.add("GET", "/projects/:id/repository/compare")
def compare(request: Request) -> Response:
    """``GET /repository/compare?from=&to=``: with ``straight=false`` (the default) the commits
    of ``to`` since its merge base with ``from``, oldest first, and the changed files."""
    project = request.project(code=True)
    source = project.repo.resolve(request.require("from"))
    target = project.repo.resolve(request.require("to"))
    if source is None or target is None:
        raise not_found("Ref")
    if request.flag("straight"):
        base = source
    else:
        ancestors = {c.sha for c in project.repo.history(source)}
        base = next((c for c in project.repo.history(target) if c.sha in ancestors), None)
    commits = []
    for commit in project.repo.history(target):
        if base is not None and commit.sha == base.sha:
            break
        commits.append(commit)
    before = base.files if base is not None else {}
    diffs = [
        {"old_path": path, "new_path": path, "new_file": path not in before,
         "deleted_file": path not in target.files, "renamed_file": False}
        for path in sorted(set(before) | set(target.files))
        if before.get(path) != target.files.get(path)
    ]  # fmt: skip
    return json_response(
        {
            "commit": commit_json(target, project, request.base_url) if commits else None,
            "commits": [commit_json(c, project, request.base_url) for c in reversed(commits)],
            "diffs": diffs,
            "compare_timeout": False,
            "compare_same_ref": source.sha == target.sha,
            "web_url": f"{request.base_url}/{project.full_path}/-/compare/{source.sha}...{target.sha}",
        }
    )


@router.add("GET", "/projects/:id/repository/commits/:sha")
def get_commit(request: Request) -> Response:
    project = request.project(code=True)
    commit = project.repo.resolve(request.args["sha"])
    if commit is None:
        raise not_found("Commit")
    return json_response(commit_json(commit, project, request.base_url))


def _content(action: dict[str, Any]) -> bytes:
    text = action.get("content") or ""
    if action.get("encoding") == "base64":
        return base64.b64decode(text)
    return str(text).encode()


def _check_action(
    project: Project, base: Commit | None, files: dict[str, str], action: dict[str, Any]
) -> tuple[str, str, str]:
    """(kind, path, source path) of a valid action, or the 400 GitLab answers for it."""
    kind, path = action.get("action"), action.get("file_path")
    if kind not in {"create", "update", "delete", "move", "chmod"} or not path:
        raise ApiError(400, {"error": "actions[action] does not have a valid value"})
    exists = path in files
    source = str(action.get("previous_path") or "") if kind == "move" else path
    if kind in {"create", "move"} and exists:
        raise bad_request("A file with this name already exists")
    if kind != "create" and source not in files:
        raise bad_request("A file with this name doesn't exist")
    last = action.get("last_commit_id")
    changed = (
        last
        and base is not None
        and kind != "create"
        and source in base.files
        and project.repo.last_commit_id(base, source) != last
    )
    if changed:
        raise bad_request(f"The file has changed since you started editing it: {source}")
    return kind, path, source


def apply_actions(
    project: Project, base: Commit | None, actions: list[Any]
) -> dict[str, bytes | None]:
    """Validate every action against ``base`` (GitLab's Files::MultiService rules); all or nothing."""
    files = dict(base.files) if base else {}
    changes: dict[str, bytes | None] = {}
    for action in actions:
        if not isinstance(action, dict):
            raise ApiError(400, {"error": "actions is invalid"})
        kind, path, source = _check_action(project, base, files, action)
        if kind in {"create", "update"}:
            changes[path] = _content(action)
            files[path] = ""
        elif kind == "delete":
            changes[path] = None
            files.pop(path)
        elif kind == "move":
            if action.get("content") is not None:
                changes[path] = _content(action)
            elif source in changes:
                changes[path] = changes[source]
            else:
                changes[path] = project.repo.blobs[files[source]]
            changes[source] = None
            files[path] = ""
            files.pop(source)
    return changes


@router.add("POST", "/projects/:id/repository/commits")
def create_commit(request: Request) -> Response:
    """GitLab's Commits::CreateService: branch/start_branch rules, push permission, atomic actions."""
    project = request.project(code=True)
    state, repo = request.state, project.repo
    branch = request.require("branch")
    message = request.require("commit_message")
    actions = request.body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise ApiError(400, {"error": "actions is missing"})
    start_branch = request.param("start_branch")
    start_sha = request.param("start_sha")
    if start_branch and start_sha:
        raise ApiError(400, {"error": "start_branch, start_sha are mutually exclusive"})
    if project.archived:
        raise forbidden()
    if not state.can_push(request.user, project, branch):
        raise forbidden("You are not allowed to push into this branch")
    force = bool(request.flag("force"))
    start = start_sha or start_branch or branch
    if branch in repo.branches and start != branch and not force:
        raise bad_request(
            f"A branch called '{branch}' already exists. Switch to that branch in order to make changes"
        )
    base = repo.resolve(start)
    if base is None and not repo.empty:
        raise bad_request("You can only create or edit files when you are on a branch")
    changes = apply_actions(project, base, actions)
    user = request.user
    author = (
        request.param("author_name") or (user.name if user else "Anonymous"),
        request.param("author_email") or (user.email if user else "anon@example.org"),
    )
    was_empty = repo.empty
    commit = repo.commit_files(branch, changes, message, author, int(time.time()), start=start)
    if was_empty:
        project.default_branch_name = branch
    project.last_activity_at = time.time()
    return json_response(commit_json(commit, project, request.base_url), 201)


@router.add("GET", "/projects/:id/repository/tags", job_token=True)
def list_tags(request: Request) -> Response:
    project = request.project(code=True)
    repo = project.repo
    names = list(repo.tags)
    search = request.param("search")
    if search:
        names = [n for n in names if search in n]
    order = request.param("order_by", "updated") or "updated"
    if order == "name":
        names.sort()
    elif order == "version":
        names.sort(key=lambda n: [int(x) if x.isdigit() else 0 for x in n.lstrip("v").split(".")])
    else:
        names.sort(key=lambda n: repo.commits[repo.tags[n][0]].timestamp)
    if request.param("sort", "desc") != "asc":
        names.reverse()

    def render(name: str) -> dict[str, Any]:
        sha, message = repo.tags[name]
        commit = repo.commits[sha]
        return {
            "name": name,
            "message": message,
            "target": sha,
            "commit": commit_json(commit, project, request.base_url),
            "release": None,
            "protected": False,
        }

    return paginate(request, names, render)
