"""Write endpoints as hepci's upgrade uses them: one atomic commit on a new branch, then an MR."""

from __future__ import annotations

import gitlab
import pytest
from gitlab_double import GitLabDouble, World
from gitlab_double.populate import ProjectSpec, protect
from gitlab_double.pytest_fixtures import gl_client as client


def writable(world: World, protected: bool) -> ProjectSpec:
    return next(
        p
        for p in world.projects
        if p.access == "member" and not p.empty and not p.archived
        and p.protected_default == protected and ".gitlab-ci.yml" in p.files
    )  # fmt: skip


def test_commit_creates_branch_from_start_branch_atomically(
    writer: gitlab.Gitlab, fresh_world: World
) -> None:
    spec = writable(fresh_world, protected=True)
    project = writer.projects.get(spec.id)
    meta = project.files.head(".gitlab-ci.yml", ref=project.default_branch)
    commit = project.commits.create(
        {
            "branch": "hepci/upgrade-1",
            "start_branch": project.default_branch,
            "commit_message": "ci: upgrade hepci templates",
            "actions": [
                {
                    "action": "update",
                    "file_path": ".gitlab-ci.yml",
                    "content": "job:\n  script: [true]\n",
                    "last_commit_id": meta["X-Gitlab-Last-Commit-Id"],
                },
                {"action": "create", "file_path": ".hepci/notes.md", "content": "# notes\n"},
                {"action": "move", "file_path": "README.rst", "previous_path": "README.md"},
            ],
        }
    )
    repo = fresh_world.state.projects[spec.id].repo
    assert repo.branches["hepci/upgrade-1"] == commit.id
    head = repo.commits[commit.id]
    assert head.parent == meta["X-Gitlab-Commit-Id"]
    assert project.files.raw(".gitlab-ci.yml", ref="hepci/upgrade-1") == b"job:\n  script: [true]\n"
    assert project.files.raw("README.rst", ref="hepci/upgrade-1").startswith(b"# ")
    with pytest.raises(gitlab.GitlabGetError):
        project.files.raw("README.md", ref="hepci/upgrade-1")
    # the default branch is untouched
    assert project.files.raw("README.md", ref=project.default_branch).startswith(b"# ")
    new_meta = project.files.head(".hepci/notes.md", ref="hepci/upgrade-1")
    assert new_meta["X-Gitlab-Last-Commit-Id"] == commit.id

    # a failing action rolls back the whole commit
    before = dict(repo.branches)
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.commits.create(
            {
                "branch": "hepci/upgrade-2",
                "start_branch": project.default_branch,
                "commit_message": "half",
                "actions": [
                    {"action": "create", "file_path": "new.txt", "content": "x"},
                    {"action": "delete", "file_path": "does-not-exist"},
                ],
            }
        )
    assert info.value.response_code == 400
    assert info.value.error_message == "A file with this name doesn't exist"
    assert repo.branches == before


def test_commit_conflict_rules(writer: gitlab.Gitlab, fresh_world: World) -> None:
    spec = writable(fresh_world, protected=True)
    project = writer.projects.get(spec.id)
    default = project.default_branch
    stale = "0" * 40
    payload = {
        "branch": "hepci/x",
        "start_branch": default,
        "commit_message": "m",
        "actions": [
            {
                "action": "update",
                "file_path": ".gitlab-ci.yml",
                "content": "a",
                "last_commit_id": stale,
            }
        ],
    }
    with pytest.raises(gitlab.GitlabCreateError) as changed:
        project.commits.create(payload)
    assert changed.value.error_message == (
        "The file has changed since you started editing it: .gitlab-ci.yml"
    )
    del payload["actions"][0]["last_commit_id"]
    project.commits.create(payload)
    with pytest.raises(gitlab.GitlabCreateError) as exists:
        project.commits.create(payload)
    assert exists.value.response_code == 400
    assert exists.value.error_message.startswith("A branch called 'hepci/x' already exists.")
    forced = project.commits.create({**payload, "force": True})
    assert fresh_world.state.projects[spec.id].repo.branches["hepci/x"] == forced.id
    with pytest.raises(gitlab.GitlabCreateError) as dup:
        project.commits.create(
            {
                "branch": "hepci/y",
                "start_branch": default,
                "commit_message": "m",
                "actions": [{"action": "create", "file_path": "README.md", "content": "again"}],
            }
        )
    assert dup.value.error_message == "A file with this name already exists"
    with pytest.raises(gitlab.GitlabCreateError) as no_start:
        project.commits.create({**payload, "branch": "hepci/z", "start_branch": "nope"})
    assert no_start.value.response_code == 400


def test_protected_branch_refuses_push(writer: gitlab.Gitlab, fresh_world: World) -> None:
    spec = writable(fresh_world, protected=True)
    project = writer.projects.get(spec.id)
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.commits.create(
            {
                "branch": project.default_branch,
                "commit_message": "direct push",
                "actions": [{"action": "create", "file_path": "x.txt", "content": "x"}],
            }
        )
    assert info.value.response_code == 403
    assert (
        info.value.error_message == "403 Forbidden - You are not allowed to push into this branch"
    )
    protect(fresh_world.state.projects[spec.id], "hepci/*")
    with pytest.raises(gitlab.GitlabCreateError) as wildcard:
        project.commits.create(
            {
                "branch": "hepci/new",
                "start_branch": project.default_branch,
                "commit_message": "m",
                "actions": [{"action": "create", "file_path": "x.txt", "content": "x"}],
            }
        )
    assert wildcard.value.response_code == 403
    unprotected = writable(fresh_world, protected=False)
    direct = writer.projects.get(unprotected.id).commits.create(
        {
            "branch": unprotected.default_branch,
            "commit_message": "allowed on an unprotected branch",
            "actions": [{"action": "create", "file_path": "x.txt", "content": "x"}],
        }
    )
    assert (
        fresh_world.state.projects[unprotected.id].repo.branches[unprotected.default_branch]
        == direct.id
    )


def test_read_only_token_and_outsider_cannot_write(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    spec = writable(fresh_world, protected=False)
    body = {
        "branch": "b",
        "start_branch": spec.default_branch,
        "commit_message": "m",
        "actions": [{"action": "create", "file_path": "x.txt", "content": "x"}],
    }
    reader = client(fresh_double, fresh_world.tokens.reader)
    with pytest.raises(gitlab.GitlabCreateError) as scope:
        reader.projects.get(spec.id, lazy=True).commits.create(body)
    assert scope.value.response_code == 403
    assert scope.value.error_message == "insufficient_scope"
    outsider = client(fresh_double, fresh_world.tokens.outsider)
    with pytest.raises(gitlab.GitlabCreateError) as other:
        outsider.projects.get(spec.id, lazy=True).commits.create(body)
    assert other.value.response_code in {403, 404}
    archived = fresh_world.state.projects[spec.id]
    archived.archived = True
    writer = client(fresh_double, fresh_world.tokens.writer)
    with pytest.raises(gitlab.GitlabCreateError) as read_only:
        writer.projects.get(spec.id, lazy=True).commits.create(body)
    assert read_only.value.response_code == 403


def test_merge_requests_create_list_update(
    writer: gitlab.Gitlab, fresh_double: GitLabDouble, fresh_world: World
) -> None:
    spec = writable(fresh_world, protected=True)
    project = writer.projects.get(spec.id)
    project.commits.create(
        {
            "branch": "hepci/bump",
            "start_branch": project.default_branch,
            "commit_message": "bump",
            "actions": [{"action": "create", "file_path": "bump.txt", "content": "1"}],
        }
    )
    mr = project.mergerequests.create(
        {
            "source_branch": "hepci/bump",
            "target_branch": project.default_branch,
            "title": "ci: bump hepci",
            "description": "automated",
            "remove_source_branch": True,
            "labels": ["hepci", "ci"],
        }
    )
    assert mr.iid == 1 and mr.state == "opened" and mr.labels == ["hepci", "ci"]
    assert mr.force_remove_source_branch is True
    with pytest.raises(gitlab.GitlabCreateError) as dup:
        project.mergerequests.create(
            {
                "source_branch": "hepci/bump",
                "target_branch": project.default_branch,
                "title": "again",
            }
        )
    assert dup.value.response_code == 409
    assert "Another open merge request already exists for this source branch: !1" in str(
        dup.value.error_message
    )
    opened = project.mergerequests.list(source_branch="hepci/bump", state="opened", get_all=True)
    assert [m.iid for m in opened] == [1]
    group = writer.groups.get("hep")
    found = group.mergerequests.list(source_branch="hepci/bump", state="opened", iterator=True)
    assert [(m.project_id, m.iid) for m in found] == [(spec.id, 1)]
    assert group.mergerequests.list(source_branch="other", state="opened", get_all=True) == []
    mr.title = "ci: bump hepci templates"
    mr.state_event = "close"
    mr.save()
    again = project.mergerequests.get(1)
    assert (again.title, again.state) == ("ci: bump hepci templates", "closed")
    assert (
        project.mergerequests.list(source_branch="hepci/bump", state="opened", get_all=True) == []
    )
    reopened = project.mergerequests.create(
        {"source_branch": "hepci/bump", "target_branch": project.default_branch, "title": "new"}
    )
    assert reopened.iid == 2
    with pytest.raises(gitlab.GitlabCreateError) as missing:
        project.mergerequests.create(
            {"source_branch": "no-such", "target_branch": project.default_branch, "title": "t"}
        )
    assert missing.value.response_code == 400
    assert fresh_double.stats.counts()["POST /projects/:id/merge_requests"] == 4


def test_writes_without_or_with_a_bad_token_are_401(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    spec = writable(fresh_world, protected=False)
    body = {"source_branch": "a", "target_branch": "b", "title": "t"}
    for token in (None, "glpat-wrong"):
        with (
            client(fresh_double, token) as gl,
            pytest.raises(gitlab.GitlabAuthenticationError) as info,
        ):
            gl.projects.get(spec.id, lazy=True).mergerequests.create(body)
        assert info.value.response_code == 401
