"""GraphQL through ``gitlab.GraphQL`` (gql + httpx): batched blobs, pagination, GitLab's limits."""

from __future__ import annotations

import gitlab
import pytest
import requests
from gitlab_double import GitLabDouble, World
from gql.transport.exceptions import TransportQueryError

pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values:DeprecationWarning")
CANDIDATES = [".gitlab-ci.yml", "Dockerfile", "README.md", "Snakefile", "no-such-file"]
GROUP_QUERY = """
query($group: ID!, $paths: [String!]!, $first: Int, $after: String, $archived: Boolean) {
  queryComplexity { score limit }
  group(fullPath: $group) {
    projects(includeSubgroups: true, includeArchived: $archived, first: $first, after: $after) {
      pageInfo { endCursor hasNextPage }
      nodes {
        id fullPath archived lastActivityAt
        repository { rootRef empty blobs(paths: $paths) { nodes { path rawTextBlob size oid } } }
      }
    }
  }
}
"""


def gql(double: GitLabDouble, token: str | None, **kwargs: object) -> gitlab.GraphQL:
    return gitlab.GraphQL(double.url, token=token, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_group_projects_with_blobs_paginate(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    seen: dict[str, dict[str, object]] = {}
    after = None
    for _ in range(100):
        variables = {
            "group": "hep",
            "paths": CANDIDATES,
            "first": 4,
            "after": after,
            "archived": False,
        }
        data = client.execute(GROUP_QUERY, variable_values=variables)
        assert data["queryComplexity"]["limit"] == 250
        page = data["group"]["projects"]
        for node in page["nodes"]:
            seen[node["fullPath"]] = node
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = [p for p in gitlab_world.projects if p.access != "hidden" and not p.archived]
    assert sorted(seen) == sorted(p.full_path for p in expected)
    for spec in expected:
        node = seen[spec.full_path]
        repo = node["repository"]
        if spec.access == "no-code":
            assert repo is None
            continue
        assert repo["empty"] is spec.empty and repo["rootRef"] == spec.default_branch
        blobs = {b["path"]: b for b in repo["blobs"]["nodes"]}
        assert sorted(blobs) == sorted(set(CANDIDATES) & set(spec.files))  # missing paths omitted
        state_repo = gitlab_world.state.projects[spec.id].repo
        head = state_repo.resolve(spec.default_branch)
        for path, blob in blobs.items():
            assert head is not None and blob["oid"] == head.files[path]
            assert blob["rawTextBlob"].encode() == gitlab_world.state.blobs[blob["oid"]]
            assert int(blob["size"]) == len(blob["rawTextBlob"].encode())


def test_include_archived_defaults_to_true(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.owner)
    query = """query { group(fullPath: "hep") { projects(includeSubgroups: true, first: 100) {
        nodes { fullPath archived } } } }"""
    nodes = client.execute(query)["group"]["projects"]["nodes"]
    assert len(nodes) == len(gitlab_world.projects)
    assert any(n["archived"] for n in nodes)


def test_single_project_blobs_and_ref(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    spec = next(
        p for p in gitlab_world.projects if p.access == "member" and "Dockerfile" in p.files
    )
    query = """query($p: ID!, $paths: [String!]!) { project(fullPath: $p) {
        fullPath repository { rootRef blobs(paths: $paths) { nodes { path rawTextBlob } } } } }"""
    data = client.execute(query, variable_values={"p": spec.full_path, "paths": ["Dockerfile"]})
    text = data["project"]["repository"]["blobs"]["nodes"][0]["rawTextBlob"]
    assert text.startswith(f"FROM {spec.dockerfile_from}")
    hidden = next(p for p in gitlab_world.projects if p.access == "hidden")
    assert (
        client.execute(query, variable_values={"p": hidden.full_path, "paths": []})["project"]
        is None
    )


def test_complexity_limit_answers_gitlab_error(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    variables = {"group": "hep", "paths": CANDIDATES, "first": 100, "after": None, "archived": True}
    with pytest.raises(TransportQueryError) as info:
        client.execute(GROUP_QUERY, variable_values=variables)
    message = str(info.value)
    assert "which exceeds max complexity of 250" in message
    score = int(message.split("complexity of ")[1].split(",", maxsplit=1)[0])
    small = client.execute(GROUP_QUERY, variable_values={**variables, "first": 2})
    assert small["queryComplexity"]["score"] < 250 < score
    # the score grows with the page size and with the number of paths
    bigger = client.execute(GROUP_QUERY, variable_values={**variables, "first": 3})
    assert bigger["queryComplexity"]["score"] > small["queryComplexity"]["score"]
    fewer = client.execute(
        GROUP_QUERY, variable_values={**variables, "first": 2, "paths": ["README.md"]}
    )
    assert fewer["queryComplexity"]["score"] < small["queryComplexity"]["score"]


def test_anonymous_limit_length_and_invalid_token(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    url = f"{gitlab_double.url}/api/graphql"
    anon = requests.post(url, json={"query": "{ queryComplexity { score limit } }"}, timeout=5)
    assert anon.status_code == 200 and anon.json()["data"]["queryComplexity"]["limit"] == 200
    long_query = "{ queryComplexity { score } }" + " " * 10_000
    too_long = requests.post(url, json={"query": long_query}, timeout=5)
    assert (
        too_long.status_code == 200 and too_long.json()["errors"][0]["message"] == "Query too large"
    )
    bad = requests.post(
        url, json={"query": "{ currentUser { username } }"},
        headers={"Authorization": "Bearer nope"}, timeout=5,
    )  # fmt: skip
    assert bad.status_code == 401
    syntax = requests.post(url, json={"query": "{ group(fullPath: "}, timeout=5)
    assert syntax.status_code == 200 and syntax.json()["errors"]
    unknown = requests.post(url, json={"query": "{ nope }"}, timeout=5)
    assert "Cannot query field 'nope'" in unknown.json()["errors"][0]["message"]
    me = requests.post(
        url, json={"query": "{ currentUser { username } }"},
        headers={"Authorization": f"Bearer {gitlab_world.tokens.reader}"}, timeout=5,
    )  # fmt: skip
    assert me.json()["data"]["currentUser"]["username"] == "reader"
