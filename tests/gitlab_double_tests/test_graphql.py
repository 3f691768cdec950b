"""GraphQL through ``gitlab.GraphQL`` (gql + httpx): batched blobs, pagination, GitLab's limits."""

from __future__ import annotations

import re

import gitlab
import pytest
import requests
from gitlab_double import GitLabDouble, World
from gql.transport.exceptions import TransportQueryError

pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values:DeprecationWarning")
CANDIDATES = [".gitlab-ci.yml", "Dockerfile", "README.md", "Snakefile", "no-such-file"]
LIST_QUERY = """
query($paths: [String!]!, $first: Int, $after: String) {
  queryComplexity { score limit }
  projects(first: $first, after: $after) {
    pageInfo { endCursor hasNextPage }
    nodes {
      id fullPath archived lastActivityAt
      repository { rootRef empty blobs(paths: $paths) { nodes { path rawTextBlob size oid } } }
    }
  }
}
"""


def gql(double: GitLabDouble, token: str | None, **kwargs: object) -> gitlab.GraphQL:
    return gitlab.GraphQL(double.url, token=token, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_projects_with_blobs_paginate(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    """``Query.projects`` without ``fullPaths``: every project the token can see, by pages."""
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    seen: dict[str, dict[str, object]] = {}
    after = None
    for _ in range(100):
        variables = {"paths": CANDIDATES, "first": 4, "after": after}
        data = client.execute(LIST_QUERY, variable_values=variables)
        assert data["queryComplexity"]["limit"] == 250
        page = data["projects"]
        for node in page["nodes"]:
            seen[node["fullPath"]] = node
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    state = gitlab_world.state
    reader = state.users[state.tokens[gitlab_world.tokens.reader].user_id]
    visible = [p.full_path for p in state.projects.values() if state.can_see_project(reader, p)]
    assert sorted(seen) == sorted(visible)
    expected = [p for p in gitlab_world.projects if p.access != "hidden"]
    assert {p.full_path for p in expected} <= set(seen)
    for spec in expected:
        node = seen[spec.full_path]
        repo = node["repository"]
        assert node["archived"] is spec.archived
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


def score(client: gitlab.GraphQL, declared: str, query: str, **variables: object) -> int:
    body = f"query{declared} {{ queryComplexity {{ score limit }} {query} }}"
    data = client.execute(body, variable_values=variables)
    return int(data["queryComplexity"]["score"]) - 3  # minus queryComplexity { score limit }


def test_complexity_is_gitlabs_connection_rule(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    """Children of a connection count once, plus its resolver (+1 per blob path, +1 Gitaly),
    then grow by 1 % per requested item (GitLab's ``Types::BaseField``)."""
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    path = next(p.full_path for p in gitlab_world.projects if p.access == "member" and not p.empty)
    projects = "projects(first: $first) { nodes { fullPath } }"
    # int((nodes 1 + fullPath 1 + resolver 1) * (1 + first / 100))
    assert score(client, "($first: Int)", projects, first=1) == int(3 * 1.01)
    assert score(client, "($first: Int)", projects, first=50) == int(3 * 1.5)
    assert score(client, "($first: Int)", projects, first=100) == 3 * 2
    assert score(client, "($first: Int)", projects, first=500) == 3 * 2  # page size capped
    blobs = "project(fullPath: $p) { repository { blobs(paths: $paths) { nodes { path } } } }"
    for n in (0, 3, 40):
        paths = [f"f{i}" for i in range(n)]
        # project 1 + repository 1 + int((nodes 2 + resolver 1 + n paths + Gitaly 1) * 2)
        assert (
            score(client, "($p: ID!, $paths: [String!]!)", blobs, p=path, paths=paths)
            == 2 + (4 + n) * 2
        )
    head = "project(fullPath: $p) { repository { tree { lastCommit { sha } } } }"
    # project 1 + repository 1 + tree (1 + Gitaly 1) + lastCommit (complexity: 10) + sha 1
    assert score(client, "($p: ID!)", head, p=path) == 1 + 1 + 2 + 10 + 1


def test_complexity_limit_answers_gitlab_error(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    many = CANDIDATES + [f"docs/file{n}.md" for n in range(60)]
    variables = {"paths": many, "first": 100, "after": None}
    with pytest.raises(TransportQueryError) as info:
        client.execute(LIST_QUERY, variable_values=variables)
    message = str(info.value)
    match = re.search(
        r"Query has complexity of (\d+), which exceeds max complexity of 250", message
    )
    assert match is not None, message
    rejected = int(match.group(1))
    small = client.execute(LIST_QUERY, variable_values={**variables, "first": 2})
    assert small["queryComplexity"]["score"] < 250 < rejected
    # a whole page of 100 projects with the usual candidates fits: children count once
    usual = client.execute(LIST_QUERY, variable_values={**variables, "paths": CANDIDATES})
    assert usual["queryComplexity"]["score"] < 250
    assert len(usual["projects"]["nodes"]) == min(100, usual_count(gitlab_world))
    # the score grows with the page size and with the number of paths
    bigger = client.execute(LIST_QUERY, variable_values={**variables, "first": 10})
    assert bigger["queryComplexity"]["score"] > small["queryComplexity"]["score"]
    fewer = client.execute(
        LIST_QUERY, variable_values={**variables, "first": 2, "paths": ["README.md"]}
    )
    assert fewer["queryComplexity"]["score"] < small["queryComplexity"]["score"]


def usual_count(world: World) -> int:
    state = world.state
    reader = state.users[state.tokens[world.tokens.reader].user_id]
    return sum(state.can_see_project(reader, p) for p in state.projects.values())


BY_PATH = """query($full: [String!], $first: Int, $after: String, $paths: [String!]!) {
  projects(fullPaths: $full, first: $first, after: $after) {
    count pageInfo { endCursor hasNextPage }
    nodes { fullPath repository { blobs(paths: $paths) { nodes { path oid } } } }
  }
}"""


def test_projects_by_full_paths(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    visible = [p for p in gitlab_world.projects if p.access == "member"][:6]
    hidden = next(p for p in gitlab_world.projects if p.access == "hidden")
    full = [p.full_path for p in visible] + [hidden.full_path, "hep/no-such-project"]
    seen: list[str] = []
    after = None
    for _ in range(10):
        variables = {"full": full, "first": 4, "after": after, "paths": ["README.md"]}
        page = client.execute(BY_PATH, variable_values=variables)["projects"]
        assert page["count"] == len(visible)  # unknown and invisible projects are absent
        for node in page["nodes"]:
            seen.append(node["fullPath"])
            state = gitlab_world.state
            want = expected_blob(state, node["fullPath"], "README.md")
            got = {b["path"]: b["oid"] for b in node["repository"]["blobs"]["nodes"]}
            assert got == want
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(p.full_path for p in visible) and len(seen) == len(visible)
    too_many = [f"hep/p{n}" for n in range(51)]
    with pytest.raises(TransportQueryError, match="more than 50 full paths"):
        client.execute(BY_PATH, variable_values={"full": too_many, "paths": []})


def expected_blob(state: object, full_path: str, path: str) -> dict[str, str]:
    project = state.find_project(full_path)  # type: ignore[attr-defined]
    head = project.repo.resolve(project.default_branch) if project.default_branch else None
    sha = head.files.get(path) if head else None
    return {path: sha} if sha else {}


def test_tree_last_commit_and_its_pipelines(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    """``Commit.pipelines``: the project's pipelines for that commit, latest first."""
    client = gql(gitlab_double, gitlab_world.tokens.reader)
    state = gitlab_world.state
    specs = [s for s in gitlab_world.projects if s.access == "member" and not s.empty]
    query = """query($p: ID!, $ref: String) { project(fullPath: $p) { repository { tree {
        lastCommit { sha title pipelines(ref: $ref, first: 2) { count nodes { status ref } } }
        } } } }"""
    checked = 0
    for spec in specs:
        project = state.projects[spec.id]
        head = project.repo.resolve(project.default_branch)
        assert head is not None
        pipes = sorted(
            (p for p in state.pipelines.values() if p.project_id == spec.id and p.sha == head.sha),
            key=lambda p: -p.id,
        )
        last = client.execute(query, variable_values={"p": spec.full_path})["project"]
        last = last["repository"]["tree"]["lastCommit"]
        assert (last["sha"], last["title"]) == (head.sha, head.title)
        assert last["pipelines"]["count"] == len(pipes)
        assert [n["status"] for n in last["pipelines"]["nodes"]] == [
            p.status.upper() for p in pipes[:2]
        ]
        if pipes:
            ref = pipes[-1].ref
            on_ref = client.execute(query, variable_values={"p": spec.full_path, "ref": ref})
            nodes = on_ref["project"]["repository"]["tree"]["lastCommit"]["pipelines"]["nodes"]
            assert {n["ref"] for n in nodes} == {ref}
            checked += 1
    assert checked >= 2


def test_anonymous_limit_length_and_invalid_token(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    url = f"{gitlab_double.url}/api/graphql"
    anon = requests.post(url, json={"query": "{ queryComplexity { score limit } }"}, timeout=5)
    assert anon.status_code == 200 and anon.json()["data"]["queryComplexity"]["limit"] == 200
    long_query = "{ queryComplexity { score } }" + " " * 10_000
    too_long = requests.post(url, json={"query": long_query}, timeout=5)
    # GraphqlController#limit_query_size: an ArgumentError rendered as HTTP 422
    assert too_long.status_code == 422
    assert too_long.json() == {"errors": [{"message": "Query too large"}]}
    at_limit = "{ queryComplexity { score } }"
    at_limit += " " * (10_000 - len(at_limit))
    assert requests.post(url, json={"query": at_limit}, timeout=5).status_code == 200
    bad = requests.post(
        url, json={"query": "{ currentUser { username } }"},
        headers={"Authorization": "Bearer nope"}, timeout=5,
    )  # fmt: skip
    assert bad.status_code == 401
    syntax = requests.post(url, json={"query": "{ project(fullPath: "}, timeout=5)
    assert syntax.status_code == 200 and syntax.json()["errors"]
    unknown = requests.post(url, json={"query": "{ nope }"}, timeout=5)
    assert "Cannot query field 'nope'" in unknown.json()["errors"][0]["message"]
    me = requests.post(
        url, json={"query": "{ currentUser { username } }"},
        headers={"Authorization": f"Bearer {gitlab_world.tokens.reader}"}, timeout=5,
    )  # fmt: skip
    assert me.json()["data"]["currentUser"]["username"] == "reader"
