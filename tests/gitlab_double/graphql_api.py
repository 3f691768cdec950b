"""``POST /api/graphql``: a GitLab GraphQL subset executed by graphql-core, with GitLab's limits.

Complexity is scored with GitLab's own field-cost rule (:mod:`gitlab_double.graphql_cost`).
Limits: complexity 250 authenticated / 200 anonymous, depth 15, query length 10,000
characters, page size 100 (larger ``first`` is capped), at most 50 ``projects(fullPaths:)``.
Errors come back with HTTP 200 and ``errors``, e.g. "Query has complexity of N, which exceeds
max complexity of 250". Parsed and validated queries are kept per query text (clients send
the same text with other variables).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from gitlab_double.api import Request, Response, json_response
from gitlab_double.graphql_cost import MAX_PAGE_SIZE, Cost
from gitlab_double.model import DEVELOPER, MAINTAINER, Group, Project, State, User, iso

MAX_COMPLEXITY_AUTH, MAX_COMPLEXITY_ANON, MAX_DEPTH = 250, 200, 15
MAX_QUERY_LENGTH = 10_000
MAX_FULL_PATHS = 50
ONE_PAGE = {"endCursor": None, "startCursor": None, "hasPreviousPage": False}

# Names and nullability follow GitLab 18.x's schema: ``Types::Projects::BranchRuleType``,
# ``Types::BranchRules::BranchProtectionType`` (null for pseudo-rules such as "All branches"),
# ``Types::PermissionTypes::Project`` (a subset) and ``Types::CommitType#pipelines``.
SDL = """
scalar Time
scalar BigInt
type Query {
  group(fullPath: ID!): Group
  project(fullPath: ID!): Project
  projects(fullPaths: [String!], first: Int, after: String): ProjectConnection
  currentUser: UserCore
  queryComplexity: QueryComplexity
}
type QueryComplexity { score: Int limit: Int }
type UserCore { id: ID! username: String! name: String! }
type PageInfo { endCursor: String startCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! }
type Group {
  id: ID! fullPath: ID! name: String! path: String! visibility: String webUrl: String!
  projects(includeSubgroups: Boolean = false, includeArchived: Boolean = true, search: String,
           first: Int, after: String): ProjectConnection!
}
type ProjectConnection { count: Int! pageInfo: PageInfo! nodes: [Project] edges: [ProjectEdge] }
type ProjectEdge { cursor: String! node: Project }
type Project {
  id: ID! fullPath: ID! name: String! path: String! archived: Boolean visibility: String
  lastActivityAt: Time createdAt: Time webUrl: String repository: Repository
  pipelines(ref: String, first: Int): PipelineConnection
  userPermissions: ProjectPermissions!
  branchRules(first: Int, after: String): BranchRuleConnection
}
type ProjectPermissions {
  adminProject: Boolean! downloadCode: Boolean! pushCode: Boolean! readProject: Boolean!
}
type BranchRuleConnection { nodes: [BranchRule] edges: [BranchRuleEdge] pageInfo: PageInfo! }
type BranchRuleEdge { cursor: String! node: BranchRule }
type BranchRule {
  id: ID! name: String! isDefault: Boolean! isProtected: Boolean! matchingBranchesCount: Int!
  branchProtection: BranchProtection
}
type BranchProtection { allowForcePush: Boolean! codeOwnerApprovalRequired: Boolean! }
type PipelineConnection { count: Int! nodes: [Pipeline] pageInfo: PageInfo! }
type Pipeline { id: ID! iid: String! sha: String ref: String status: String! createdAt: Time }
type Repository {
  rootRef: String empty: Boolean! exists: Boolean!
  blobs(paths: [String!]!, ref: String): RepositoryBlobConnection
  tree(ref: String): Tree
}
type Tree { lastCommit: Commit }
type Commit {
  id: ID! sha: String! shortId: String! title: String message: String authoredDate: Time
  pipelines(ref: String, first: Int): PipelineConnection
}
type RepositoryBlobConnection { nodes: [RepositoryBlob] pageInfo: PageInfo! }
type RepositoryBlob {
  id: ID! oid: String! path: String! name: String! size: BigInt rawSize: BigInt
  rawBlob: String rawTextBlob: String webPath: String
}
"""


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


def _group(ctx: Ctx, group: Group) -> dict[str, Any]:
    return {
        "id": f"gid://gitlab/Group/{group.id}",
        "fullPath": group.full_path,
        "name": group.name,
        "path": group.path,
        "visibility": group.visibility,
        "webUrl": f"{ctx.base_url}/groups/{group.full_path}",
        "_obj": group,
    }


def resolve_group(_: Any, info: Any, fullPath: str) -> dict[str, Any] | None:
    ctx: Ctx = info.context
    group = ctx.state.find_group(fullPath)
    if group is None or not ctx.state.can_see_group(ctx.user, group):
        return None
    return _group(ctx, group)


def resolve_project(_: Any, info: Any, fullPath: str) -> dict[str, Any] | None:
    ctx: Ctx = info.context
    project = ctx.state.find_project(fullPath)
    if project is None or not ctx.state.can_see_project(ctx.user, project):
        return None
    return _project(ctx, project)


def resolve_projects(parent: dict[str, Any], info: Any, **args: Any) -> dict[str, Any]:
    ctx: Ctx = info.context
    state, group = ctx.state, parent["_obj"]
    groups = state.descendants(group) if args.get("includeSubgroups") else [group]
    ids = {g.id for g in groups}
    projects = sorted((p for p in state.projects.values() if p.group.id in ids), key=lambda p: p.id)
    projects = [p for p in projects if state.can_see_project(ctx.user, p)]
    if not args.get("includeArchived", True):
        projects = [p for p in projects if not p.archived]
    if args.get("search"):
        projects = [p for p in projects if args["search"].lower() in p.full_path.lower()]
    return _page(ctx, projects, args)


def resolve_projects_by_path(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    """``Query.projects(fullPaths:)``: unknown or invisible projects are simply absent."""
    ctx: Ctx = info.context
    paths = list(dict.fromkeys(args.get("fullPaths") or []))
    if len(paths) > MAX_FULL_PATHS:
        raise GraphQLError(f"You cannot provide more than {MAX_FULL_PATHS} full paths")
    found = (ctx.state.find_project(p) for p in paths)
    visible = [p for p in found if p is not None and ctx.state.can_see_project(ctx.user, p)]
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
    parent: dict[str, Any], info: Any, paths: list[str], ref: str | None = None
) -> dict[str, Any]:
    ctx: Ctx = info.context
    project: Project = parent["_obj"]
    commit = project.repo.resolve(ref or project.default_branch)
    nodes = []
    for path in dict.fromkeys(paths):
        sha = commit.files.get(path) if commit else None
        if sha is None:
            continue  # missing paths are omitted, as GitLab does
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


def resolve_tree(
    parent: dict[str, Any], info: Any, ref: str | None = None
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


def resolve_pipelines(
    parent: dict[str, Any], info: Any, ref: str | None = None, first: int | None = None
) -> dict[str, Any] | None:
    """``Project.pipelines``: a project's pipelines, latest first, optionally for one ``ref``."""
    return _pipelines(info.context, parent["_obj"], ref, None, first)


def resolve_commit_pipelines(
    parent: dict[str, Any], info: Any, ref: str | None = None, first: int | None = None
) -> dict[str, Any] | None:
    """``Commit.pipelines`` (``Resolvers::CommitPipelinesResolver``): the project's pipelines
    for this commit's SHA (any ref unless ``ref`` is given), latest first."""
    return _pipelines(info.context, parent["_project"], ref, parent["sha"], first)


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
    parent: dict[str, Any], info: Any, first: int | None = None, after: str | None = None
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
    """The schema of ``sdl`` with the double's resolvers (tests may build a smaller, older one)."""
    schema = build_schema(sdl)
    fields = schema.type_map
    resolvers = {
        ("Query", "group"): resolve_group,
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
        ("Group", "projects"): resolve_projects,
        ("Project", "repository"): resolve_repository,
        ("Repository", "blobs"): resolve_blobs,
        ("Repository", "tree"): resolve_tree,
        ("Project", "pipelines"): resolve_pipelines,
        ("Project", "userPermissions"): resolve_user_permissions,
        ("Project", "branchRules"): resolve_branch_rules,
        ("Commit", "pipelines"): resolve_commit_pipelines,
    }
    for (type_name, field_name), fn in resolvers.items():
        owner = fields.get(type_name)
        field = getattr(owner, "fields", {}).get(field_name)
        if field is not None:  # a smaller schema may lack some fields
            field.resolve = fn
    return schema


SCHEMA = build()


def _errors(*messages: str) -> Response:
    return json_response({"errors": [{"message": m} for m in messages]})


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


def handle(request: Request) -> Response:
    """Execute one GraphQL request (the token was checked by the server)."""
    query = request.body.get("query") or request.param("query") or ""
    variables = request.body.get("variables") or {}
    if len(query) > MAX_QUERY_LENGTH:
        return _errors("Query too large")
    doc, problems = _checked(SCHEMA, query)
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
    limit = MAX_COMPLEXITY_AUTH if request.user else MAX_COMPLEXITY_ANON
    if depth > MAX_DEPTH:
        return _errors(f"Query has depth of {depth}, which exceeds max depth of {MAX_DEPTH}")
    if score > limit:
        return _errors(f"Query has complexity of {score}, which exceeds max complexity of {limit}")
    ctx = Ctx(request.state, request.user, request.base_url, score, limit)
    result = execute_sync(
        SCHEMA, doc, context_value=ctx, variable_values=variables, operation_name=op_name
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    return json_response(body)
