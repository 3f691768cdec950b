"""Group mode against the GitLab test double over real HTTP: requests per project,
idempotent re-runs, resume after a kill, injected faults, read-only tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlab_double.populate import World, build_world
from gitlab_double.server import GitLabDouble
from remote.helpers import group_options

from hepci.core.repo import MemoryRepo
from hepci.upgrade.base import UpgradeContext
from hepci.upgrade.codemods import ALL_CODEMODS
from hepci.upgrade.group import GroupOptions, run_group
from hepci.upgrade.group_write import JournalEntry, ScopeError
from hepci.upgrade.local import plan_repo
from hepci.upgrade.versions import release_policy

BRANCH = "hepci/upgrade"
COMMITS = "POST /projects/:id/repository/commits"
MRS = "POST /projects/:id/merge_requests"
HEADS = "HEAD /projects/:id/repository/files/:file_path"
CTX = UpgradeContext(release_policy(extra_releases=("0.0.9", "0.1.0")))


@pytest.fixture
def world() -> World:
    return build_world(n_projects=24, seed=5)


@pytest.fixture
def double(world: World) -> Iterator[GitLabDouble]:
    with GitLabDouble(world.state) as running:
        yield running


def _ok(double: GitLabDouble, route: str) -> int:
    """Successful (2xx) requests to ``route`` (the write-scope probe answers 400)."""
    return sum(1 for r in double.stats.log if r.route == route and 200 <= r.status < 300)


def _open_mrs(world: World) -> dict[int, int]:
    counts: dict[int, int] = {}
    for mr in world.state.merge_requests.values():
        if mr.source_branch == BRANCH and mr.state == "opened":
            counts[mr.project_id] = counts.get(mr.project_id, 0) + 1
    return counts


def test_dry_run_writes_nothing(world: World, double: GitLabDouble, tmp_path: Path) -> None:
    options = group_options(double, world.tokens.owner, tmp_path / "j")
    options = GroupOptions(**{**options.__dict__, "apply": False})
    assert run_group(options, ALL_CODEMODS) in (0, 3)
    writes = {k: v for k, v in double.stats.counts().items() if not k.startswith(("GET", "HEAD"))}
    assert not {k for k in writes if "graphql" not in k}
    assert not _open_mrs(world)


def test_apply_three_requests_per_changed_project_and_rerun_is_noop(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    created: list[JournalEntry] = []
    code = run_group(
        group_options(double, world.tokens.owner, tmp_path / "j"), ALL_CODEMODS, created.append
    )
    counts = double.stats.counts()
    changed = [e for e in created if e.status == "mr-created"]
    assert len(changed) >= 5, created
    assert _ok(double, COMMITS) == len(created)
    assert counts.get(MRS, 0) == len(changed)
    # per changed project: protection rules + HEAD + commit + MR; plus one write-scope probe
    rules = counts.get("GET /projects/:id/protected_branches", 0)
    per_project = counts.get(COMMITS, 0) - 1 + counts.get(MRS, 0) + counts.get(HEADS, 0) + rules
    assert rules == len(created) and per_project <= 4 * len(created)
    mrs = _open_mrs(world)
    assert set(mrs.values()) == {1} and len(mrs) == len(changed)
    # Nothing was pushed to a default branch, and every MR targets one.
    for mr in world.state.merge_requests.values():
        project = world.state.projects[mr.project_id]
        assert mr.target_branch == project.default_branch_name != mr.source_branch
    assert code in (0, 3)

    double.stats.reset()
    fresh_journal = tmp_path / "j2"  # without the journal: the open MRs make it a no-op
    run_group(group_options(double, world.tokens.owner, fresh_journal), ALL_CODEMODS)
    assert _ok(double, COMMITS) == 0 and _ok(double, MRS) == 0
    assert double.stats.counts().get(HEADS, 0) == 0
    assert _open_mrs(world) == mrs


def test_killed_run_resumes_to_one_mr_per_project(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    done: list[str] = []

    def stop_after_three(entry: JournalEntry) -> None:
        done.append(entry.project)
        if len(done) == 3:
            raise KeyboardInterrupt

    options = group_options(double, world.tokens.owner, journal, max_mrs=0)
    options = GroupOptions(**{**options.__dict__, "jobs": 1})
    with pytest.raises(KeyboardInterrupt):
        run_group(options, ALL_CODEMODS, stop_after_three)
    assert len(_open_mrs(world)) == 3
    resumed: list[JournalEntry] = []
    run_group(options, ALL_CODEMODS, resumed.append)
    assert not {e.project for e in resumed} & set(done)  # journaled ones are not redone
    mrs = _open_mrs(world)
    assert set(mrs.values()) == {1}
    assert len(mrs) == 3 + sum(e.status == "mr-created" for e in resumed)


def test_faults_leave_no_partial_commit_and_every_project_accounted(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    double.faults.configure(error_rate=0.2, seed=11)
    entries: list[JournalEntry] = []
    run_group(
        group_options(double, world.tokens.owner, tmp_path / "j"), ALL_CODEMODS, entries.append
    )
    double.faults.clear()
    assert entries and all(e.status in {"mr-created", "mr-exists", "failed"} for e in entries)
    for project in world.state.projects.values():
        if BRANCH not in project.repo.branches:
            continue
        # The branch holds the whole upgrade or nothing: its CI files need no further change.
        head = project.repo.resolve(BRANCH)
        base = project.repo.resolve(project.default_branch_name)
        assert head is not None and base is not None and head.files != base.files
        changed = [p for p in head.files if head.files[p] != base.files.get(p)]
        repo = MemoryRepo("b", {p: project.repo.blobs[head.files[p]] for p in head.files})
        assert changed and not plan_repo(repo, ALL_CODEMODS, CTX, changed).changed
    # A second run without faults finishes the job: one MR for every changed project.
    run_group(group_options(double, world.tokens.owner, tmp_path / "j"), ALL_CODEMODS)
    mrs = _open_mrs(world)
    assert set(mrs.values()) == {1}
    assert len(mrs) >= sum(e.status == "mr-created" for e in entries)


def test_read_only_token_fails_before_any_write(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    with pytest.raises(ScopeError):
        run_group(group_options(double, world.tokens.reader, tmp_path / "j"), ALL_CODEMODS)
    assert _ok(double, COMMITS) == 0 and double.stats.counts().get(MRS, 0) == 0
    assert not _open_mrs(world)
    assert all(BRANCH not in p.repo.branches for p in world.state.projects.values())


def test_protected_upgrade_branch_is_reported_not_pushed(
    world: World, double: GitLabDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitlab_double.populate import protect

    from hepci.cli import main

    for project in world.state.projects.values():
        protect(project, "hepci/*", push=0)
    code = main(
        ["upgrade", "gitlab:hep", "--apply", "--gitlab-url", double.url,
         "--token", world.tokens.owner, "--journal", str(tmp_path / "j")]
    )  # fmt: skip
    out = capsys.readouterr().out
    # the owner reads the rules: every changed project is skipped before any write, with why
    assert code == 0
    assert "hepci/upgrade is protected (rule 'hepci/*')" in out and world.tokens.owner not in out
    assert _ok(double, COMMITS) == 0
    assert not _open_mrs(world)
    assert all(BRANCH not in p.repo.branches for p in world.state.projects.values())


def test_cli_plan_lists_projects_and_diffs(
    world: World, double: GitLabDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    from hepci.cli import main

    code = main(
        ["upgrade", "gitlab:hep", "--gitlab-url", double.url, "--token", world.tokens.owner]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "+++ b/.gitlab-ci.yml" in out and "merge request(s) created" in out
    # the owner reads every project: archived, empty and mirrored ones are skipped, with reasons
    expected = sum(
        1
        for spec in world.projects
        if spec.archived or spec.empty or world.state.projects[spec.id].mirror
    )
    assert expected >= 2
    assert out.count("  skipped: ") == expected
    assert not _open_mrs(world)
