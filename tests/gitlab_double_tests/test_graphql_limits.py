"""GitLab's GraphQL limits as the double enforces them (sources: tests/contract/limits.tsv)."""

from __future__ import annotations

import time

import pytest
import requests
from gitlab_double import GitLabDouble, World
from gitlab_double.graphql_api import BLOBS_SIZE_LIMIT, human_size
from gitlab_double.model import Project

MIB = 1024 * 1024


def post(
    double: GitLabDouble, token: str | None, query: str, **variables: object
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(
        f"{double.url}/api/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=30,
    )


def a_project(world: World) -> Project:
    spec = next(p for p in world.projects if p.access == "member" and not (p.empty or p.archived))
    return world.state.projects[spec.id]


BLOBS = """query($p: ID!, $paths: [String!]!) { project(fullPath: $p) { repository {
  blobs(paths: $paths) { nodes { path %s } } } } }"""


def test_blobs_total_size_limit_is_a_field_error(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    """``Resolvers::BlobsResolver``: more than one path and a data field selected → at most
    20 MiB in total, else "Max blobs size limit exceeded (22 MB / 20 MB)." on that field."""
    project = a_project(fresh_world)
    big = {"big-a.txt": b"a" * (11 * MIB), "big-b.txt": b"b" * (11 * MIB)}
    project.repo.commit_files(
        project.default_branch_name, big, "big files", ("A", "a@example.org"), int(time.time())
    )
    token, paths = fresh_world.tokens.reader, sorted(big)
    answer = post(fresh_double, token, BLOBS % "rawTextBlob", p=project.full_path, paths=paths)
    assert answer.status_code == 200
    body = answer.json()
    assert body["errors"][0]["message"] == "Max blobs size limit exceeded (22 MB / 20 MB)."
    assert body["errors"][0]["path"] == ["project", "repository", "blobs"]
    assert body["data"]["project"]["repository"]["blobs"] is None
    # one path at a time, or no data field: no total limit (GitLab checks only then)
    one = post(fresh_double, token, BLOBS % "rawTextBlob", p=project.full_path, paths=paths[:1])
    assert (
        len(one.json()["data"]["project"]["repository"]["blobs"]["nodes"][0]["rawTextBlob"])
        == 11 * MIB
    )
    sizes = post(fresh_double, token, BLOBS % "size", p=project.full_path, paths=paths)
    nodes = sizes.json()["data"]["project"]["repository"]["blobs"]["nodes"]
    assert [int(n["size"]) for n in nodes] == [11 * MIB, 11 * MIB]
    assert BLOBS_SIZE_LIMIT == 20 * MIB


def test_human_size_is_rails_number_to_human_size() -> None:
    assert human_size(20 * MIB) == "20 MB"
    assert human_size(22 * MIB) == "22 MB"
    assert human_size(int(20.5 * MIB)) == "20.5 MB"
    assert human_size(1536) == "1.5 KB"
    assert human_size(1) == "1 Byte" and human_size(512) == "512 Bytes"
    assert human_size(123_456_789) == "118 MB"


def test_complexity_limits_per_role(fresh_double: GitLabDouble, fresh_world: World) -> None:
    """``GitlabSchema``: 200 anonymous, 250 authenticated, 300 for administrators."""
    state = fresh_world.state
    admin = state.add_user("root", admin=True)
    state.add_token("glpat-root-0000000000000", admin, ("api",))
    query = "{ queryComplexity { score limit } }"
    limits = {
        token: post(fresh_double, token, query).json()["data"]["queryComplexity"]["limit"]
        for token in (None, fresh_world.tokens.reader, "glpat-root-0000000000000")
    }
    assert list(limits.values()) == [200, 250, 300]


def nested(depth: int) -> str:
    """An introspection query ``depth`` fields deep (``__type`` > ``fields`` > ``type`` >
    ``ofType`` …): graphql-ruby's max depth counts introspection fields too."""
    levels = max(depth - 4, 0)  # __type, fields, type … name
    inner = "name"
    for _ in range(levels):
        inner = f"ofType {{ {inner} }}"
    return f'{{ __type(name: "Query") {{ fields {{ type {{ {inner} }} }} }} }}'


@pytest.mark.parametrize(("role", "limit"), [("anonymous", 15), ("reader", 20)])
def test_depth_limits(
    gitlab_double: GitLabDouble, gitlab_world: World, role: str, limit: int
) -> None:
    """``GitlabSchema``: depth 15 anonymous, 20 authenticated."""
    token = gitlab_world.tokens.reader if role == "reader" else None
    assert "errors" not in post(gitlab_double, token, nested(limit)).json()
    over = post(gitlab_double, token, nested(limit + 1)).json()
    message = f"Query has depth of {limit + 1}, which exceeds max depth of {limit}"
    assert over["errors"][0]["message"] == message
