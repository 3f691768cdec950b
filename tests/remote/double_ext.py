"""Opt-in extensions of the GitLab double's GraphQL API, closer to GitLab, without editing it.

:func:`gitlab_graphql` (a context manager) installs, for its duration:

* ``Query.projects(fullPaths: [String!], first: Int, after: String): ProjectConnection`` —
  GitLab's top-level project lookup by full paths (at most 50 paths; unknown or invisible
  projects are simply absent);
* GitLab's own complexity rule (``Types::BaseField#field_complexity``): a connection costs its
  children's complexity *once* (not times the page size), plus its resolver's complexity
  (``BlobsResolver``: the number of paths), plus 1 when it calls Gitaly, and then grows by
  1 % per requested item (``first``, 100 by default). The double's default is graphql-ruby's
  generic rule (children × page size), stricter than any GitLab release.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gitlab_double import graphql_api
from graphql import GraphQLError, extend_schema, parse

MAX_FULL_PATHS = 50
EXTENSION = """
extend type Query {
  projects(fullPaths: [String!], first: Int, after: String): ProjectConnection
}
"""


def resolve_projects_by_path(_: Any, info: Any, **args: Any) -> dict[str, Any]:
    ctx = info.context
    paths = list(dict.fromkeys(args.get("fullPaths") or []))
    if len(paths) > MAX_FULL_PATHS:
        raise GraphQLError(f"You cannot provide more than {MAX_FULL_PATHS} full paths")
    found = [ctx.state.find_project(p) for p in paths]
    visible = [p for p in found if p is not None and ctx.state.can_see_project(ctx.user, p)]
    size = min(args.get("first") or graphql_api.MAX_PAGE_SIZE, graphql_api.MAX_PAGE_SIZE)
    nodes = [graphql_api._project(ctx, p) for p in visible[:size]]
    return {
        "count": len(visible),
        "nodes": nodes,
        "edges": [{"cursor": str(n["_obj"].id), "node": n} for n in nodes],
        "pageInfo": {
            "endCursor": None,
            "startCursor": None,
            "hasNextPage": len(visible) > size,
            "hasPreviousPage": False,
        },
    }


def gitlab_cost(self: Any, node: Any) -> int:
    """GitLab's ``field_complexity`` for connections; 1 + children for other fields."""
    children = self.fields(node.selection_set)
    inner = sum(gitlab_cost(self, c) for c in children)
    name = node.name.value
    if name not in graphql_api.CONNECTIONS:
        return 1 + inner
    args = self.args(node)
    total = inner + (len(args.get("paths") or []) + 1 if name == "blobs" else 0) + 1
    page = min(int(args.get("first") or graphql_api.MAX_PAGE_SIZE), graphql_api.MAX_PAGE_SIZE)
    return int(total * (1 + 0.01 * page))


@contextmanager
def gitlab_graphql(*, complexity: bool = True, full_paths: bool = True) -> Iterator[None]:
    """Serve ``projects(fullPaths:)`` and/or score with GitLab's rule inside the block."""
    schema, cost = graphql_api.SCHEMA, graphql_api._Cost.cost
    if full_paths:
        extended = extend_schema(schema, parse(EXTENSION))
        extended.type_map["Query"].fields["projects"].resolve = resolve_projects_by_path  # type: ignore[attr-defined]
        graphql_api.SCHEMA = extended
    if complexity:
        graphql_api._Cost.cost = gitlab_cost  # type: ignore[method-assign]
    try:
        yield
    finally:
        graphql_api.SCHEMA = schema
        graphql_api._Cost.cost = cost  # type: ignore[method-assign]
