"""The double behaves as GitLab does where hepci's safety depends on it: protection wildcards
(``RefMatcher``), push refusals, sharing, the listing's missing ``permissions``, compare,
``rawTextBlob`` null for binary, and its hostile answers (redirects, huge bodies, endless
pagination)."""

from __future__ import annotations

import codecs
import time
from typing import Any

import pytest
import requests
from gitlab_double import GitLabDouble, World
from gitlab_double.model import DEVELOPER, MAINTAINER, Project, ProtectedBranch
from gitlab_double.populate import protect


@pytest.mark.parametrize(
    ("rule", "branch", "matches"),
    [
        ("hepci/*", "hepci/upgrade", True),
        ("*", "hepci/upgrade", True),  # `*` crosses `/`
        ("*/upgrade", "hepci/upgrade", True),
        ("release-*", "release-1.0", True),
        ("release-*", "hotfix-release-1", False),
        ("hepci/[u]pgrade", "hepci/upgrade", False),  # `[…]` is literal
        ("hepci/[u]pgrade", "hepci/[u]pgrade", True),
        ("hepci/upgrad?", "hepci/upgrade", False),  # so is `?`
        ("main", "main", True),
        ("main", "main2", False),
        ("", "", False),
    ],
)
def test_protected_branch_names_match_as_gitlab_refmatcher(
    rule: str, branch: str, matches: bool
) -> None:
    assert ProtectedBranch(1, rule).matches(branch) is matches


def _member(world: World) -> Project:
    spec = next(p for p in world.projects if p.access == "member" and not (p.archived or p.empty))
    project = world.state.projects[spec.id]
    project.archived = False
    return project


def _commit(double: GitLabDouble, token: str, project: Project, branch: str) -> requests.Response:
    body = {
        "branch": branch, "start_branch": project.default_branch_name, "commit_message": "x",
        "actions": [{"action": "create", "file_path": f"new-{time.monotonic_ns()}.txt",
                     "content": "x"}],
    }  # fmt: skip
    return requests.post(
        f"{double.url}/api/v4/projects/{project.id}/repository/commits",
        json=body, headers={"PRIVATE-TOKEN": token}, timeout=5,
    )  # fmt: skip


@pytest.mark.parametrize("rule", ["hepci/*", "*"])
def test_a_wildcard_protected_branch_refuses_a_developer_push(
    fresh_double: GitLabDouble, fresh_world: World, rule: str
) -> None:
    project = _member(fresh_world)
    protect(project, rule, push=MAINTAINER)
    refused = _commit(fresh_double, fresh_world.tokens.writer, project, "hepci/upgrade")
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "403 Forbidden - You are not allowed to push into this branch"
    }
    assert "hepci/upgrade" not in project.repo.branches
    done = _commit(fresh_double, fresh_world.tokens.owner, project, "hepci/upgrade")
    assert done.status_code == 201  # a Maintainer may push there
    branch = requests.get(
        f"{fresh_double.url}/api/v4/projects/{project.id}/repository/branches/hepci%2Fupgrade",
        headers={"PRIVATE-TOKEN": fresh_world.tokens.writer}, timeout=5,
    ).json()  # fmt: skip
    assert branch["protected"] is True and branch["can_push"] is False


def test_sharing_and_the_listing_without_permissions(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    state = fresh_world.state
    other = state.add_group("partner")
    shared = state.add_project(other, "shared", visibility="private")
    analyses = state.find_group("hep/analyses")
    assert analyses is not None
    state.share(shared, analyses, DEVELOPER)
    headers = {"PRIVATE-TOKEN": fresh_world.tokens.writer}
    url = f"{fresh_double.url}/api/v4/groups/hep%2Fanalyses/projects"

    def listed(**params: Any) -> list[dict[str, Any]]:
        answer = requests.get(url, params={"per_page": 100, **params}, headers=headers, timeout=5)
        return list(answer.json())

    default = listed(include_subgroups="true")
    assert shared.id in {p["id"] for p in default}  # GitLab's default: with_shared=true
    own = listed(include_subgroups="true", with_shared="false")
    assert shared.id not in {p["id"] for p in own} and own
    assert all("permissions" not in p for p in default)  # Entities::Project
    single = requests.get(
        f"{fresh_double.url}/api/v4/projects/{shared.id}", headers=headers, timeout=5
    ).json()
    assert single["permissions"]["group_access"]["access_level"] == DEVELOPER  # shared: capped
    writable = listed(include_subgroups="true", with_shared="false", min_access_level=30)
    assert {p["id"] for p in writable} <= {p["id"] for p in own}


def test_compare_lists_the_commits_since_the_merge_base(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    project = _member(fresh_world)
    default = project.default_branch_name
    repo = project.repo
    one = repo.commit_files("topic", {"a": b"1"}, "one", ("A", "a@x"), 1, start=default)
    two = repo.commit_files("topic", {"a": b"2"}, "two", ("B", "b@x"), 2)
    repo.commit_files(default, {"b": b"1"}, "main moves on", ("C", "c@x"), 3)
    answer = requests.get(
        f"{fresh_double.url}/api/v4/projects/{project.id}/repository/compare",
        params={"from": default, "to": "topic"},
        headers={"PRIVATE-TOKEN": fresh_world.tokens.owner}, timeout=5,
    ).json()  # fmt: skip
    assert [c["id"] for c in answer["commits"]] == [one.sha, two.sha]
    assert [c["author_email"] for c in answer["commits"]] == ["a@x", "b@x"]
    assert answer["compare_same_ref"] is False
    user = requests.get(
        f"{fresh_double.url}/api/v4/user",
        headers={"PRIVATE-TOKEN": fresh_world.tokens.owner}, timeout=5,
    ).json()  # fmt: skip
    assert user["commit_email"] == user["email"]


def test_raw_text_blob_is_null_for_what_gitlab_takes_for_binary(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    project = _member(fresh_world)
    files = {
        "utf16.yml": codecs.BOM_UTF16_LE + "a: 1\n".encode("utf-16-le"),
        "nul.txt": b"a\0b",
        "latin1.txt": "caf\xe9".encode("latin-1"),
        "text.txt": "café\n".encode(),
    }
    project.repo.commit_files(project.default_branch_name, files, "m", ("A", "a@x"), 5)
    paths = ", ".join(f'"{p}"' for p in files)
    query = (
        f'{{ project(fullPath: "{project.full_path}") {{ repository {{'
        f" blobs(paths: [{paths}]) {{ nodes {{ path rawTextBlob }} }} }} }} }}"
    )
    answer = requests.post(
        f"{fresh_double.url}/api/graphql", json={"query": query},
        headers={"PRIVATE-TOKEN": fresh_world.tokens.owner}, timeout=5,
    ).json()  # fmt: skip
    nodes = answer["data"]["project"]["repository"]["blobs"]["nodes"]
    texts = {n["path"]: n["rawTextBlob"] for n in nodes}
    assert texts == {"utf16.yml": None, "nul.txt": None, "latin1.txt": None, "text.txt": "café\n"}


def test_hostile_answers(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    headers = {"PRIVATE-TOKEN": gitlab_world.tokens.reader}
    url = f"{gitlab_double.url}/api/v4/groups/hep/projects?include_subgroups=true&per_page=5"
    gitlab_double.faults.configure(
        redirect_to="http://127.0.0.1:9", redirect_status=307,
        only=frozenset({"GET /groups/:id/projects"}),
    )  # fmt: skip
    moved = requests.get(url, headers=headers, timeout=5, allow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["Location"] == url.replace(gitlab_double.url, "http://127.0.0.1:9")
    gitlab_double.faults.clear()
    gitlab_double.faults.configure(
        huge_body=3 * 2**20, only=frozenset({"GET /groups/:id/projects"})
    )
    with requests.get(url, headers=headers, timeout=5, stream=True) as big:
        assert big.headers["Content-Length"] == str(3 * 2**20)
        assert sum(len(chunk) for chunk in big.iter_content(2**16)) == 3 * 2**20
    gitlab_double.faults.configure(huge_chunked=True)
    with requests.get(url, headers=headers, timeout=5, stream=True) as big:
        assert "Content-Length" not in big.headers
        assert big.headers["Transfer-Encoding"] == "chunked"
        assert sum(len(chunk) for chunk in big.iter_content(2**16)) == 3 * 2**20
    gitlab_double.faults.clear()
    gitlab_double.faults.configure(page_loop="cycle", page_size=7)
    pages = [requests.get(url + f"&page={n}", headers=headers, timeout=5) for n in (1, 50)]
    for page in pages:
        assert len(page.json()) == 7 and page.headers["X-Next-Page"]
        assert "X-Total" not in page.headers and "X-Total-Pages" not in page.headers
