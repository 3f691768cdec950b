"""Read endpoints driven through python-gitlab, as hepci's audit uses them."""

from __future__ import annotations

import hashlib
import warnings

import gitlab
import pytest
import requests
from gitlab_double import GitLabDouble, World
from gitlab_double.pytest_fixtures import gl_client as client


def visible_specs(world: World, archived: bool | None = None) -> list[str]:
    specs = [p for p in world.projects if p.access != "hidden"]
    if archived is not None:
        specs = [p for p in specs if p.archived == archived]
    return sorted(p.full_path for p in specs)


def test_group_projects_with_subgroups_filters_archived_and_paginates(
    reader: gitlab.Gitlab, gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    group = reader.groups.get("hep")
    listed = group.projects.list(include_subgroups=True, archived=False, iterator=True, per_page=7)
    paths = sorted(p.path_with_namespace for p in listed)
    assert paths == visible_specs(gitlab_world, archived=False)
    pages = gitlab_double.stats.counts()["GET /groups/:id/projects"]
    assert pages == -(-len(paths) // 7)
    everything = group.projects.list(include_subgroups=True, get_all=True, per_page=100)
    assert sorted(p.path_with_namespace for p in everything) == visible_specs(gitlab_world)
    direct = group.projects.list(get_all=True)
    assert direct == []  # hep itself holds no project, only its subgroups do


def test_pagination_headers_follow_gitlab(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    url = f"{gitlab_double.url}/api/v4/groups/hep/projects"
    headers = {"PRIVATE-TOKEN": gitlab_world.tokens.owner}
    total = len(gitlab_world.projects)
    first = requests.get(
        url, {"include_subgroups": "true", "per_page": 25}, headers=headers, timeout=5
    )
    assert first.headers["X-Total"] == str(total)
    assert first.headers["X-Total-Pages"] == str(-(-total // 25))
    assert (first.headers["X-Page"], first.headers["X-Per-Page"]) == ("1", "25")
    assert first.headers["X-Next-Page"] == "2" and first.headers["X-Prev-Page"] == ""
    assert set(first.links) == {"next", "first", "last"}
    assert "include_subgroups=true" in first.links["next"]["url"]
    last = requests.get(first.links["last"]["url"], headers=headers, timeout=5)
    assert last.headers["X-Next-Page"] == "" and "next" not in last.links
    assert len(last.json()) == total - 25 * (int(first.headers["X-Total-Pages"]) - 1)
    capped = requests.get(
        url, {"include_subgroups": "1", "per_page": 500}, headers=headers, timeout=5
    )
    assert capped.headers["X-Per-Page"] == "100"
    default = requests.get(url, {"include_subgroups": "1"}, headers=headers, timeout=5)
    assert len(default.json()) == 20


def test_list_without_pagination_warns_like_python_gitlab(reader: gitlab.Gitlab) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = reader.groups.get("hep").projects.list(include_subgroups=True)
    assert len(page) == 20
    assert any("get_all=True" in str(w.message) for w in caught)


def test_min_access_level_and_order(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    gl = client(gitlab_double, gitlab_world.tokens.reader)
    group = gl.groups.get("hep")
    developer = group.projects.list(include_subgroups=True, min_access_level=30, get_all=True)
    assert developer == []  # the reader is Reporter at most
    reporter = group.projects.list(include_subgroups=True, min_access_level=20, get_all=True)
    no_code = [p.full_path for p in gitlab_world.projects if p.access == "no-code"]
    assert {p.path_with_namespace for p in reporter}.isdisjoint(no_code)
    by_id = group.projects.list(include_subgroups=True, order_by="id", sort="asc", get_all=True)
    ids = [p.id for p in by_id]
    assert ids == sorted(ids)


def test_project_by_id_and_by_encoded_path(reader: gitlab.Gitlab, gitlab_world: World) -> None:
    spec = next(p for p in gitlab_world.projects if p.default_branch == "master")
    by_path = reader.projects.get(spec.full_path)
    by_id = reader.projects.get(spec.id)
    assert by_path.id == by_id.id == spec.id
    assert by_path.default_branch == "master"
    assert by_path.path_with_namespace == spec.full_path
    empty = next(p for p in gitlab_world.projects if p.empty and p.access == "member")
    got = reader.projects.get(empty.id)
    assert got.empty_repo is True and got.default_branch is None


def test_hidden_and_no_code_projects(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    gl = client(gitlab_double, gitlab_world.tokens.reader)
    hidden = next(p for p in gitlab_world.projects if p.access == "hidden")
    with pytest.raises(gitlab.GitlabGetError) as info:
        gl.projects.get(hidden.full_path)
    assert info.value.response_code == 404
    assert info.value.error_message == "404 Project Not Found"
    owner = client(gitlab_double, gitlab_world.tokens.owner)
    assert owner.projects.get(hidden.full_path).id == hidden.id
    no_code = next(p for p in gitlab_world.projects if p.access == "no-code" and not p.empty)
    project = gl.projects.get(no_code.id)
    with pytest.raises(gitlab.GitlabGetError) as forbidden:
        project.files.raw("README.md", ref=no_code.default_branch)
    assert forbidden.value.response_code == 403


def test_auth_errors(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    bad = client(gitlab_double, "glpat-not-a-token")
    with pytest.raises(gitlab.GitlabAuthenticationError) as info:
        bad.projects.get(gitlab_world.projects[0].id)
    assert info.value.response_code == 401
    assert info.value.error_message == "401 Unauthorized"
    anonymous = client(gitlab_double, None)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        anonymous.auth()
    with pytest.raises(gitlab.GitlabGetError) as hidden:  # internal projects need a sign-in
        anonymous.projects.get(gitlab_world.projects[0].id)
    assert hidden.value.response_code == 404
    assert anonymous.projects.get("hepci/hepci").visibility == "public"
    for header in ("Authorization", "JOB-TOKEN"):
        token = gitlab_world.tokens.reader if header == "Authorization" else gitlab_world.tokens.job
        value = f"Bearer {token}" if header == "Authorization" else token
        job_project = next(p for p in gitlab_world.state.tokens.values() if p.kind == "job")
        got = requests.get(
            f"{gitlab_double.url}/api/v4/projects/{job_project.job_project_id}",
            headers={header: value},
            timeout=5,
        )
        assert got.status_code == 200, header
    denied = requests.get(
        f"{gitlab_double.url}/api/v4/groups/hep/projects",
        headers={"JOB-TOKEN": gitlab_world.tokens.job},
        timeout=5,
    )
    assert denied.status_code == 401


def test_current_user_and_version(reader: gitlab.Gitlab, gitlab_world: World) -> None:
    reader.auth()
    assert reader.user is not None and reader.user.username == "reader"
    assert reader.version()[0] == gitlab_world.state.version


def test_tree_recursive_and_files(reader: gitlab.Gitlab, gitlab_world: World) -> None:
    spec = next(
        p
        for p in gitlab_world.projects
        if "src/analysis/__init__.py" in p.files and p.access == "member"
    )
    project = reader.projects.get(spec.id, lazy=True)
    entries = list(
        project.repository_tree(recursive=True, iterator=True, per_page=3, ref=spec.default_branch)
    )
    blobs = sorted(e["path"] for e in entries if e["type"] == "blob")
    assert blobs == sorted(spec.files)
    assert {"src", "src/analysis"} <= {e["path"] for e in entries if e["type"] == "tree"}
    top = project.repository_tree(ref=spec.default_branch, get_all=True)
    assert all("/" not in e["path"] for e in top)
    state_project = gitlab_world.state.projects[spec.id]
    head = state_project.repo.resolve(spec.default_branch)
    assert head is not None
    raw = project.files.raw("README.md", ref=spec.default_branch)
    assert raw == gitlab_world.state.blobs[head.files["README.md"]]
    meta = project.files.head("README.md", ref=spec.default_branch)
    assert meta["X-Gitlab-Blob-Id"] == head.files["README.md"]
    assert meta["X-Gitlab-Size"] == str(len(raw))
    assert meta["X-Gitlab-Content-Sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["X-Gitlab-Last-Commit-Id"] == state_project.repo.last_commit_id(head, "README.md")
    assert meta["X-Gitlab-Last-Commit-Id"] != head.sha or head.parent is None
    full = project.files.get("README.md", ref=spec.default_branch)
    assert full.decode() == raw and full.last_commit_id == meta["X-Gitlab-Last-Commit-Id"]
    with pytest.raises(gitlab.GitlabGetError) as missing:
        project.files.raw("no/such/file", ref=spec.default_branch)
    assert (
        missing.value.response_code == 404 and missing.value.error_message == "404 File Not Found"
    )
    with pytest.raises(gitlab.GitlabGetError) as bad_ref:
        project.files.raw("README.md", ref="no-such-branch")
    assert bad_ref.value.response_code == 404
    with pytest.raises(gitlab.GitlabHeadError) as no_file:
        project.files.head("nope.txt", ref=spec.default_branch)
    assert no_file.value.response_code == 404
    with pytest.raises(gitlab.GitlabGetError):
        project.repository_tree(path="not-a-dir", ref=spec.default_branch, get_all=True)


def test_branches_protection_tags_pipelines(
    reader: gitlab.Gitlab, gitlab_world: World, gitlab_double: GitLabDouble
) -> None:
    spec = next(p for p in gitlab_world.projects if p.protected_default and p.access == "member")
    project = reader.projects.get(spec.id)
    branches = project.branches.list(get_all=True)
    assert [b.name for b in branches] == [spec.default_branch]
    branch = project.branches.get(spec.default_branch)
    assert branch.protected is True and branch.default is True and branch.can_push is False
    # the ProtectedBranches API needs Maintainer (admin_project), as on GitLab
    with pytest.raises(gitlab.GitlabListError) as hidden:
        project.protectedbranches.list(get_all=True)
    assert hidden.value.response_code == 403
    with client(gitlab_double, gitlab_world.tokens.owner) as owner:
        protected = owner.projects.get(spec.id, lazy=True).protectedbranches.list(get_all=True)
    assert [p.name for p in protected] == [spec.default_branch]
    assert protected[0].push_access_levels[0]["access_level"] == 40
    with pytest.raises(gitlab.GitlabGetError):
        project.branches.get("nope")
    state_project = gitlab_world.state.projects[spec.id]
    assert sorted(t.name for t in project.tags.list(get_all=True)) == sorted(
        state_project.repo.tags
    )
    pipes = project.pipelines.list(
        ref=spec.default_branch, order_by="id", sort="desc", per_page=1, get_all=False
    )
    ours = sorted(
        (p for p in gitlab_world.state.pipelines.values() if p.project_id == spec.id),
        key=lambda p: p.id,
    )
    assert [p.id for p in pipes] == [ours[-1].id] and pipes[0].status == ours[-1].status
    assert project.pipelines.list(ref="other", get_all=True) == []


def test_more_than_ten_thousand_items_have_no_totals(gitlab_world: World) -> None:
    from gitlab_double.api import Request, paginate

    request = Request(
        method="GET", path="/things", query={"page": ["3"], "per_page": ["100"]}, body={},
        headers={}, base_url="http://127.0.0.1:1", state=gitlab_world.state,
    )  # fmt: skip
    small = paginate(request, list(range(10_000)), lambda i: i)
    assert small.headers["X-Total"] == "10000" and 'rel="last"' in small.headers["Link"]
    big = paginate(request, list(range(10_001)), lambda i: i)
    assert "X-Total" not in big.headers and "X-Total-Pages" not in big.headers
    assert 'rel="last"' not in big.headers["Link"] and big.headers["X-Next-Page"] == "4"
    assert big.body.startswith(b"[200, 201")
