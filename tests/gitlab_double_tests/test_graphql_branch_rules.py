"""``Project.branchRules``, ``Project.userPermissions`` and ``Commit.pipelines`` (GitLab 19.0)."""

from __future__ import annotations

import gitlab
import pytest
from gitlab_double import GitLabDouble, World
from gitlab_double.model import Pipeline, Project, ProtectedBranch

pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values:DeprecationWarning")
RULES = """query($p: ID!, $first: Int, $after: String) { queryComplexity { score limit }
  project(fullPath: $p) {
    userPermissions { adminProject downloadCode pushCode readProject }
    branchRules(first: $first, after: $after) {
      nodes { id name isDefault isProtected matchingBranchesCount
              branchProtection { allowForcePush codeOwnerApprovalRequired } }
      edges { cursor node { name } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  } }"""


def gql(double: GitLabDouble, token: str) -> gitlab.GraphQL:
    return gitlab.GraphQL(double.url, token=token, timeout=10)  # type: ignore[arg-type]


def a_project(world: World) -> Project:
    spec = next(p for p in world.projects if p.access == "member" and not (p.empty or p.archived))
    return world.state.projects[spec.id]


def test_branch_rules_list_protected_branches_for_maintainers_only(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    project = a_project(fresh_world)
    branch = project.default_branch_name
    repo = project.repo
    for name in ("release/1", "release/2"):
        repo.branches[name] = repo.branches[branch]
    project.protected[:] = [
        ProtectedBranch(101, "release/*", allow_force_push=True),
        ProtectedBranch(102, branch),
        ProtectedBranch(103, branch[:2] + "*"),
    ]
    owner = gql(fresh_double, fresh_world.tokens.owner)
    data = owner.execute(RULES, variable_values={"p": project.full_path})["project"]
    assert data["userPermissions"] == {
        "adminProject": True, "downloadCode": True, "pushCode": True, "readProject": True,
    }  # fmt: skip
    nodes = data["branchRules"]["nodes"]
    # GitLab 17+: the "All branches" pseudo-rule first, then the rules sorted by name
    assert [n["name"] for n in nodes] == [
        "All branches",
        *sorted(r.name for r in project.protected),
    ]
    pseudo, rules = nodes[0], {n["name"]: n for n in nodes[1:]}
    assert pseudo["isProtected"] is False and pseudo["isDefault"] is False
    assert pseudo["branchProtection"] is None and pseudo["matchingBranchesCount"] == 3
    assert rules[branch]["isDefault"] is True and rules[branch]["isProtected"] is True
    assert rules[branch[:2] + "*"]["isDefault"] is False  # isDefault: the exact name only
    assert rules[branch[:2] + "*"]["matchingBranchesCount"] == 1
    assert rules["release/*"]["matchingBranchesCount"] == 2
    assert rules["release/*"]["branchProtection"] == {
        "allowForcePush": True, "codeOwnerApprovalRequired": False,
    }  # fmt: skip
    assert data["branchRules"]["pageInfo"]["hasNextPage"] is False
    # below Maintainer GitLab redacts every rule: an empty list, not an error
    reader = gql(fresh_double, fresh_world.tokens.reader)
    seen = reader.execute(RULES, variable_values={"p": project.full_path})["project"]
    assert seen["branchRules"]["nodes"] == [] and seen["branchRules"]["edges"] == []
    assert seen["userPermissions"]["adminProject"] is False
    assert seen["userPermissions"]["downloadCode"] is True


def test_branch_rules_paginate(fresh_double: GitLabDouble, fresh_world: World) -> None:
    project = a_project(fresh_world)
    project.protected[:] = [ProtectedBranch(200 + n, f"rel-{n}") for n in range(5)]
    owner = gql(fresh_double, fresh_world.tokens.owner)
    names: list[str] = []
    after = None
    for _ in range(10):
        variables = {"p": project.full_path, "first": 2, "after": after}
        page = owner.execute(RULES, variable_values=variables)["project"]["branchRules"]
        assert len(page["nodes"]) <= 2
        assert [e["node"]["name"] for e in page["edges"]] == [n["name"] for n in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        names += [n["name"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["All branches"] + [f"rel-{n}" for n in range(5)]


def score(double: GitLabDouble, token: str, query: str, path: str) -> int:
    body = f"query($p: ID!) {{ queryComplexity {{ score limit }} {query} }}"
    data = gql(double, token).execute(body, variable_values={"p": path})
    return int(data["queryComplexity"]["score"]) - 3  # minus queryComplexity { score limit }


def test_branch_rules_and_commit_pipelines_cost_as_connections(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    path, token = a_project(fresh_world).full_path, fresh_world.tokens.owner
    rules = "project(fullPath: $p) { branchRules(first: 20) { nodes { name isProtected } } }"
    # project 1 + int((nodes 1 + name 1 + isProtected 1 + resolver 1) * 1.2)
    assert score(fresh_double, token, rules, path) == 1 + int(4 * 1.2)
    gitaly = "project(fullPath: $p) { branchRules(first: 10) { nodes { isDefault } } }"
    # isDefault calls Gitaly: nodes 1 + isDefault (1 + 1) + resolver 1
    assert score(fresh_double, token, gitaly, path) == 1 + int(4 * 1.1)
    perms = "project(fullPath: $p) { userPermissions { adminProject } }"
    assert score(fresh_double, token, perms, path) == 3
    head = (
        "project(fullPath: $p) { repository { tree { lastCommit { sha"
        " pipelines(first: 1) { nodes { status } } } } } }"
    )
    # project 1 + repository 1 + tree (1 + Gitaly 1) + lastCommit (complexity: 10) + sha 1
    # + pipelines int((nodes 1 + status 1 + resolver 1) * 1.01)
    assert score(fresh_double, token, head, path) == 15 + int(3 * 1.01)


def test_commit_pipelines_are_the_head_commits_latest_first(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    state = fresh_world.state
    project = a_project(fresh_world)
    branch = project.default_branch_name
    head = project.repo.branches[branch]
    older = project.repo.commits[head].parent
    assert older is not None
    for status, sha in (("failed", head), ("success", head), ("failed", older)):
        pid = state.new_id()  # the last one added is the project's latest pipeline
        state.pipelines[pid] = Pipeline(pid, pid, project.id, branch, sha, status, 0.0)
    query = """query($p: ID!) { project(fullPath: $p) {
        repository { tree { lastCommit { sha
            pipelines(first: 5) { count nodes { status ref } } } } } } }"""
    data = gql(fresh_double, fresh_world.tokens.reader).execute(
        query, variable_values={"p": project.full_path}
    )["project"]
    last = data["repository"]["tree"]["lastCommit"]
    on_head = sorted(
        (p for p in state.pipelines.values() if p.project_id == project.id and p.sha == head),
        key=lambda p: -p.id,
    )
    # the project's latest pipeline (on the older commit, failed) is not the HEAD commit's
    assert last["sha"] == head and last["pipelines"]["count"] == len(on_head) >= 2
    assert [n["status"] for n in last["pipelines"]["nodes"]] == [p.status.upper() for p in on_head]
    assert last["pipelines"]["nodes"][0]["status"] == "SUCCESS"
