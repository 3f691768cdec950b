"""``POST /api/graphql``: GitLab's published GraphQL schema, executed by graphql-core.

The schema is GitLab's own (:mod:`gitlab_double.schema`: extracts of the reference GitLab
publishes with each release; :data:`SCHEMA` serves the latest, :func:`use` another one); the
resolvers below fill in GitLab's types. Complexity is scored with GitLab's field-cost rule
(:mod:`gitlab_double.graphql_cost`). Limits, each as GitLab enforces it (sources in
``tests/contract/limits.tsv``):

* query text over 10,000 characters: HTTP 422 ``{"errors": [{"message": "Query too large"}]}``
  before anything is parsed (``GraphqlController#limit_query_size``);
* complexity 200 anonymous / 250 authenticated / 300 admin, depth 15 anonymous / 20
  authenticated: HTTP 200 with "Query has complexity of N, which exceeds max complexity of L";
* page size 100 (a larger ``first`` is capped), at most 50 ``projects(fullPaths:)``;
* ``blobs(paths:)`` with more than one path and a data field selected: 20 MiB in total, else
  the field error "Max blobs size limit exceeded (25 MB / 20 MB)." (``Resolvers::BlobsResolver``).

Parsed and validated queries are kept per query text (clients send the same text with other
variables).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from gitlab_double import ci_jobs
from gitlab_double import schema as published
from gitlab_double.api import Request, Response, json_response
from gitlab_double.graphql_cost import MAX_PAGE_SIZE, Cost
from gitlab_double.model import DEVELOPER, MAINTAINER, Project, State, User, iso

MAX_COMPLEXITY_ANON, MAX_COMPLEXITY_AUTH, MAX_COMPLEXITY_ADMIN = 200, 250, 300
MAX_DEPTH_ANON, MAX_DEPTH_AUTH = 15, 20
MAX_QUERY_LENGTH = 10_000  # GraphqlController::MAX_QUERY_SIZE
MAX_FULL_PATHS = 50
BLOBS_SIZE_LIMIT = 20 * 1024 * 1024  # Resolvers::BlobsResolver::TOTAL_BLOB_DATA_SIZE_LIMIT
BLOB_DATA_FIELDS = {"rawBlob", "base64EncodedBlob", "rawTextBlob", "plainData"}
ONE_PAGE = {"endCursor": None, "startCursor": None, "hasPreviousPage": False}
SDL = published.sdl()  # the latest published schema (graphql-core SDL of the vendored extract)


@dataclass
class Ctx:
    state: State
    user: User | None
    base_url: str
    score: int
    limit: int


def _cursor(project_id: int) -> str:
    return base64.b64encode(json.dumps({"id": str(project_id)}).encode()).decode()


def _project(ctx: Ctx, project: Project) -> dict[str, Any]:
    return {
        "id": f"gid://gitlab/Project/{project.id}",
        "fullPath": project.full_path,
        "name": project.name,
        "path": project.path,
        "archived": project.archived,
        "visibility": project.visibility,
        "lastActivityAt": iso(project.last_activity_at),
        "createdAt": iso(project.created_at),
        "webUrl": f"{ctx.base_url}/{project.full_path}",
        "_obj": project,
    }


def resolve_project(_: Any, info: Any, fullPath: str) -> dict[str, Any] | None:
    ctx: Ctx = info.context
    project = ctx.state.find_project(fullPath)
    if project is None or not ctx.state.can_see_project(ctx.user, project):
        return None
    return _project(ctx, project)


def resolve_projects_by_path(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    """``Query.projects(fullPaths:)``: unknown or invisible projects are simply absent."""
    ctx: Ctx = info.context
    state = ctx.state
    if args.get("fullPaths") is None:
        found: list[Project | None] = list(state.projects.values())
    else:
        paths = list(dict.fromkeys(args["fullPaths"]))
        if len(paths) > MAX_FULL_PATHS:
            raise GraphQLError(f"You cannot provide more than {MAX_FULL_PATHS} full paths")
        found = [state.find_project(p) for p in paths]
    visible = [p for p in found if p is not None and state.can_see_project(ctx.user, p)]
    if args.get("ids") is not None:
        visible = [p for p in visible if f"gid://gitlab/Project/{p.id}" in args["ids"]]
    if args.get("search"):
        visible = [p for p in visible if args["search"].lower() in p.full_path.lower()]
    return _page(ctx, sorted(visible, key=lambda p: p.id), args)


def _page(ctx: Ctx, projects: list[Project], args: dict[str, Any]) -> dict[str, Any]:
    """One keyset page (by id) of a ``ProjectConnection``."""
    total = len(projects)
    if args.get("after"):
        try:
            after = int(json.loads(base64.b64decode(args["after"]))["id"])
        except (ValueError, KeyError, TypeError):
            raise GraphQLError("Please provide a valid cursor") from None
        projects = [p for p in projects if p.id > after]
    size = min(args.get("first") or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    page = projects[:size]
    nodes = [_project(ctx, p) for p in page]
    return {
        "count": total,
        "nodes": nodes,
        "edges": [{"cursor": _cursor(n["_obj"].id), "node": n} for n in nodes],
        "pageInfo": {
            "endCursor": _cursor(page[-1].id) if page else None,
            "startCursor": _cursor(page[0].id) if page else None,
            "hasNextPage": len(projects) > size,
            "hasPreviousPage": bool(args.get("after")),
        },
    }


def resolve_repository(parent: dict[str, Any], info: Any) -> dict[str, Any] | None:
    ctx: Ctx = info.context
    project: Project = parent["_obj"]
    if not ctx.state.can_read_code(ctx.user, project):
        return None
    empty = project.repo.empty
    return {"rootRef": project.default_branch, "empty": empty, "exists": True, "_obj": project}


def resolve_blobs(
    parent: dict[str, Any], info: Any, paths: list[str], ref: str | None = None, **_: Any
) -> dict[str, Any]:
    """``Repository.blobs`` (``Resolvers::BlobsResolver``): the blobs of ``paths`` at ``ref``
    (default branch); missing paths are omitted. With more than one path and a data field
    selected, their total size must stay within 20 MiB, or the field is an error."""
    ctx: Ctx = info.context
    project: Project = parent["_obj"]
    commit = project.repo.resolve(ref or project.default_branch)
    found = [(p, commit.files[p]) for p in dict.fromkeys(paths) if commit and p in commit.files]
    if len(paths) > 1 and BLOB_DATA_FIELDS & _selected(info, "nodes") | _selected(info, "edges"):
        total = sum(len(ctx.state.blobs[sha]) for _, sha in found)
        if total > BLOBS_SIZE_LIMIT:
            limit = human_size(BLOBS_SIZE_LIMIT)
            raise GraphQLError(f"Max blobs size limit exceeded ({human_size(total)} / {limit}).")
    nodes = []
    for path, sha in found:
        data = ctx.state.blobs[sha]
        try:
            text: str | None = data.decode() if b"\0" not in data else None
        except UnicodeDecodeError:
            text = None
        nodes.append(
            {
                "id": f"gid://gitlab/Blob/{sha}",
                "oid": sha,
                "path": path,
                "name": path.rsplit("/", 1)[-1],
                "size": str(len(data)),
                "rawSize": str(len(data)),
                "rawBlob": data.decode(errors="replace"),
                "rawTextBlob": text,
                "webPath": f"/{project.full_path}/-/blob/{commit.sha if commit else ''}/{path}",
            }
        )
    return {"nodes": nodes, "pageInfo": {**ONE_PAGE, "hasNextPage": False}}


def _selected(info: Any, name: str) -> set[str]:
    """Field names selected under ``name`` (``nodes``, or ``edges { node }``) of this field."""
    out: set[str] = set()
    for node in info.field_nodes:
        for sel in node.selection_set.selections if node.selection_set else ():
            if isinstance(sel, FieldNode) and sel.name.value == name and sel.selection_set:
                for inner in sel.selection_set.selections:
                    if not isinstance(inner, FieldNode):
                        continue
                    if name == "edges" and inner.name.value == "node" and inner.selection_set:
                        out |= {
                            f.name.value
                            for f in inner.selection_set.selections
                            if isinstance(f, FieldNode)
                        }
                    else:
                        out.add(inner.name.value)
    return out


def human_size(size: int) -> str:
    """Rails' ``number_to_human_size`` (base 1024, 3 significant digits): "20 MB", "20.5 MB"."""
    if size < 1024:
        return f"{size} Byte{'s' if size != 1 else ''}"
    value, unit = float(size), "Bytes"
    for step in ("KB", "MB", "GB", "TB"):
        value, unit = value / 1024, step
        if value < 1024:
            break
    digits = max(0, 2 - len(str(int(value))) + 1)
    text = f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


def resolve_tree(
    parent: dict[str, Any], info: Any, ref: str | None = None, **_: Any
) -> dict[str, Any] | None:
    """The root tree of ``ref`` (default branch); ``lastCommit`` is that ref's HEAD commit."""
    project: Project = parent["_obj"]
    commit = project.repo.resolve(ref or project.default_branch)
    if commit is None:
        return None
    last = {
        "id": f"gid://gitlab/CommitPresenter/{commit.sha}",
        "sha": commit.sha,
        "shortId": commit.sha[:8],
        "title": commit.title,
        "message": commit.message,
        "authoredDate": iso(commit.timestamp),
        "_project": project,
    }
    return {"lastCommit": last}


def resolve_commit_pipelines(
    parent: dict[str, Any],
    info: Any,
    ref: str | None = None,
    first: int | None = None,
    **args: Any,
) -> dict[str, Any] | None:
    """``Commit.pipelines`` (``Resolvers::CommitPipelinesResolver``): the project's pipelines
    for this commit's SHA (any ref unless ``ref`` is given), latest first."""
    sha = args.get("sha") or parent["sha"]
    if sha != parent["sha"]:
        return {"count": 0, "nodes": [], "pageInfo": {**ONE_PAGE, "hasNextPage": False}}
    return _pipelines(info.context, parent["_project"], ref, sha, first)


def _pipelines(
    ctx: Ctx, project: Project, ref: str | None, sha: str | None, first: int | None
) -> dict[str, Any] | None:
    if not ctx.state.can_read_code(ctx.user, project):
        return None
    pipes = ctx.state.project_pipelines(project.id)
    pipes = [p for p in pipes if (ref is None or p.ref == ref) and (sha is None or p.sha == sha)]
    pipes.sort(key=lambda p: -p.id)
    size = min(first or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    nodes = [
        {
            "id": f"gid://gitlab/Ci::Pipeline/{p.id}",
            "iid": str(p.iid),
            "sha": p.sha,
            "ref": p.ref,
            "status": p.status.upper(),  # GitLab's PipelineStatusEnum: SUCCESS, FAILED ...
            "createdAt": iso(p.created_at),
        }
        for p in pipes[:size]
    ]
    more = len(pipes) > size
    return {"count": len(pipes), "nodes": nodes, "pageInfo": {**ONE_PAGE, "hasNextPage": more}}


ALL_BRANCHES = "All branches"


def resolve_user_permissions(parent: dict[str, Any], info: Any) -> dict[str, bool]:
    """``Project.userPermissions``: a few of GitLab's ``ProjectPermissions`` abilities."""
    ctx: Ctx = info.context
    project: Project = parent["_obj"]
    level = ctx.state.project_level(ctx.user, project)
    return {
        "adminProject": level >= MAINTAINER,
        "downloadCode": ctx.state.can_read_code(ctx.user, project),
        "pushCode": level >= DEVELOPER and not project.archived,
        "readProject": True,  # the project resolved: the user can see it
    }


def resolve_branch_rules(
    parent: dict[str, Any],
    info: Any,
    first: int | None = None,
    after: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """``Project.branchRules`` as GitLab 18.x answers it (``Resolvers::Projects::
    BranchRulesResolver``): the "All branches" pseudo-rule first (``Projects::AllBranchesRule``:
    ``isProtected`` false, no ``branchProtection``), then one rule per protected branch or
    wildcard, sorted by name (the same rules REST's ``protected_branches`` lists). ``isDefault``
    is an exact name match with the default branch. A rule needs ``read_branch_rule``
    (Maintainer or more): GitLab redacts the others from the connection, so Reporters and
    Developers get an empty list, not an error.
    """
    ctx: Ctx = info.context
    project: Project = parent["_obj"]
    rules: list[dict[str, Any]] = []
    if ctx.state.project_level(ctx.user, project) >= MAINTAINER:
        branches = list(project.repo.branches)
        rules.append(
            {
                "id": f"gid://gitlab/Projects::AllBranchesRule/{project.id}",
                "name": ALL_BRANCHES, "isDefault": False, "isProtected": False,
                "matchingBranchesCount": len(branches), "branchProtection": None,
            }
        )  # fmt: skip
        for rule in sorted(project.protected, key=lambda r: r.name):
            protection = {
                "allowForcePush": rule.allow_force_push,
                "codeOwnerApprovalRequired": False,
            }
            rules.append(
                {
                    "id": f"gid://gitlab/Projects::BranchRule/{rule.id}",
                    "name": rule.name, "isDefault": rule.name == project.default_branch,
                    "isProtected": True, "matchingBranchesCount": sum(map(rule.matches, branches)),
                    "branchProtection": protection,
                }
            )  # fmt: skip
    start = _offset(after)
    size = min(first or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    page = rules[start : start + size]
    edges = [{"cursor": _offset_cursor(start + n + 1), "node": r} for n, r in enumerate(page)]
    return {
        "nodes": page,
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
            "hasNextPage": start + size < len(rules),
            "hasPreviousPage": start > 0,
        },
    }


def _offset_cursor(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": str(offset)}).encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return max(0, int(json.loads(base64.b64decode(after))["offset"]))
    except (ValueError, KeyError, TypeError):
        raise GraphQLError("Please provide a valid cursor") from None


def build(sdl: str = SDL) -> GraphQLSchema:
    """The schema of ``sdl`` (or of a published version, e.g. ``build("17.10")``) with the
    double's resolvers; fields a schema lacks simply have none."""
    schema = build_schema(published.sdl(sdl) if sdl in published.VERSIONS else sdl)
    fields = schema.type_map
    resolvers = {
        ("Query", "project"): resolve_project,
        ("Query", "projects"): resolve_projects_by_path,
        ("Query", "queryComplexity"): lambda _, info: {
            "score": info.context.score,
            "limit": info.context.limit,
        },
        ("Query", "currentUser"): lambda _, info: (
            None
            if info.context.user is None
            else {"id": f"gid://gitlab/User/{info.context.user.id}", **vars(info.context.user)}
        ),
        ("Project", "repository"): resolve_repository,
        ("Repository", "blobs"): resolve_blobs,
        ("Repository", "tree"): resolve_tree,
        ("Project", "userPermissions"): resolve_user_permissions,
        ("Project", "branchRules"): resolve_branch_rules,
        ("Commit", "pipelines"): resolve_commit_pipelines,
        **ci_jobs.RESOLVERS,  # Pipeline.job/.path, CiJob.artifacts/.trace, CiJobTrace.htmlSummary
    }
    for (type_name, field_name), fn in resolvers.items():
        owner = fields.get(type_name)
        field = getattr(owner, "fields", {}).get(field_name)
        if field is not None:  # a smaller schema may lack some fields
            field.resolve = fn
    return schema


SCHEMA = build()


def _errors(*messages: str, status: int = 200) -> Response:
    return json_response({"errors": [{"message": m} for m in messages]}, status)


@lru_cache(maxsize=256)
def _checked(schema: GraphQLSchema, query: str) -> tuple[DocumentNode | None, tuple[str, ...]]:
    """The parsed query and its validation errors, kept per query text: clients send the
    same text with other variables (a batch of projects), and parsing plus validating it costs
    more than executing it. Documents are never modified by execution."""
    try:
        doc = parse(query)
    except GraphQLError as exc:
        return None, (exc.message,)
    return doc, tuple(p.message for p in validate(schema, doc))


def limits(user: User | None) -> tuple[int, int]:
    """(max complexity, max depth) for ``user`` (``GitlabSchema``'s rules)."""
    if user is None:
        return MAX_COMPLEXITY_ANON, MAX_DEPTH_ANON
    return (MAX_COMPLEXITY_ADMIN if user.admin else MAX_COMPLEXITY_AUTH), MAX_DEPTH_AUTH


def handle(request: Request) -> Response:
    """Execute one GraphQL request (the token was checked by the server)."""
    query = request.body.get("query") or request.param("query") or ""
    variables = request.body.get("variables") or {}
    if len(query) > MAX_QUERY_LENGTH:  # a before_action: HTTP 422, nothing executed
        return _errors("Query too large", status=422)
    schema = SCHEMA
    doc, problems = _checked(schema, query)
    if doc is None or problems:
        return _errors(*problems)
    op_name = request.body.get("operationName")
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if op_name is None or (o.name and o.name.value == op_name)), None)
    if op is None:
        return _errors(f"Unknown operation named '{op_name}'.")
    if op.operation.value != "query":
        return _errors(f"Schema is not configured for {op.operation.value}s")
    meter = Cost(doc, variables)
    top = meter.fields(op.selection_set)
    score = sum(meter.cost(f) for f in top)
    depth = max((meter.depth(f) for f in top), default=0)
    limit, max_depth = limits(request.user)
    if depth > max_depth:
        return _errors(f"Query has depth of {depth}, which exceeds max depth of {max_depth}")
    if score > limit:
        return _errors(f"Query has complexity of {score}, which exceeds max complexity of {limit}")
    ctx = Ctx(request.state, request.user, request.base_url, score, limit)
    result = execute_sync(
        schema, doc, context_value=ctx, variable_values=variables, operation_name=op_name
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return json_response(body)
