"""``hepci upgrade gitlab:GROUP --apply`` never loses anyone's work and never writes where it
must not (issues 11.2, 11.3, 16.1, 16.2), against the double over real HTTP.

* An existing ``hepci/upgrade`` is never forced: a human's commit on it, or a reviewer's after
  the merge request was closed, is reported and left; hepci's own branch from a killed run is
  resumed (the merge request opened, no second commit) only when it still holds exactly this
  upgrade.
* A protection rule that covers the branch (``*``, ``hepci/*``, as GitLab matches them) means
  no write at all, even when the token could push.
* A project shared into the group is not the group's: never listed, never written.
* A Reporter token with ``api`` scope gets clean skips and exit 0, not 403s and exit 3.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlab_double.model import DEVELOPER, MAINTAINER, Project
from gitlab_double.populate import World, build_world, protect
from gitlab_double.server import GitLabDouble

from hepci.gitlab.client import ClientPool
from hepci.gitlab.settings import resolve_settings
from hepci.upgrade.codemods import ALL_CODEMODS
from hepci.upgrade.group import GroupOptions, plan_group, run_group
from hepci.upgrade.group_write import JournalEntry
from remote.helpers import group_options

BRANCH = "hepci/upgrade"
COMMITS = "POST /projects/:id/repository/commits"
MRS = "POST /projects/:id/merge_requests"
HUMAN = ("Alice Analyst", "alice@example.org")


@pytest.fixture
def world() -> World:
    return build_world(n_projects=24, seed=5)


@pytest.fixture
def double(world: World) -> Iterator[GitLabDouble]:
    with GitLabDouble(world.state) as running:
        yield running


def options(double: GitLabDouble, token: str, tmp_path: Path, **kw: object) -> GroupOptions:
    journal = tmp_path / f"journal-{time.monotonic_ns()}.jsonl"  # a fresh one each run
    return group_options(double, token, journal, **kw)


def changed(world: World, double: GitLabDouble, token: str | None = None) -> list[Project]:
    """The projects a plan would change (read with the owner's token, nothing written)."""
    settings = resolve_settings(url=double.url, token=token or world.tokens.owner, env={})
    pool = ClientPool(settings)
    try:
        result, _ = plan_group(GroupOptions(target="gitlab:hep", quiet=True), ALL_CODEMODS, pool)
    finally:
        pool.close()
    found = [world.state.find_project(path) for path in sorted(result.plans)]
    return [p for p in found if p is not None]


def ok(double: GitLabDouble, route: str, project: Project | None = None) -> int:
    return sum(
        1
        for r in double.stats.log
        if r.route == route and 200 <= r.status < 300
        and (project is None or f"/projects/{project.id}/" in r.path)
    )  # fmt: skip


def mrs(world: World, project: Project) -> list[str]:
    return [
        m.state for m in world.state.merge_requests.values()
        if m.project_id == project.id and m.source_branch == BRANCH
    ]  # fmt: skip


def run(double: GitLabDouble, opts: GroupOptions) -> tuple[int, dict[str, JournalEntry]]:
    entries: list[JournalEntry] = []
    code = run_group(opts, ALL_CODEMODS, entries.append)
    return code, {e.project: e for e in entries}


def commit(project: Project, message: str, who: tuple[str, str], start: str | None) -> str:
    head = project.repo.commit_files(
        BRANCH, {"NOTES.md": f"{message}\n".encode()}, message, who, int(time.time()), start=start
    )
    return head.sha


# -- 11.2: never force ---------------------------------------------------------------------------
def test_a_human_commit_on_the_branch_is_reported_and_kept(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    victim, *others = changed(world, double)
    tip = commit(victim, "WIP: my own CI work", HUMAN, start=victim.default_branch_name)
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    assert victim.repo.branches[BRANCH] == tip  # not reset, not moved
    assert entries[victim.full_path].status == "skipped"
    assert "1 commit(s) hepci did not make (by Alice Analyst)" in entries[victim.full_path].detail
    assert mrs(world, victim) == [] and ok(double, COMMITS, victim) == 0
    assert all(entries[p.full_path].status == "mr-created" for p in others)
    assert code == 0


def test_a_reviewer_commit_after_the_mr_was_closed_is_kept(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    victim = changed(world, double)[0]
    run(double, options(double, world.tokens.owner, tmp_path))
    (mr,) = [m for m in world.state.merge_requests.values() if m.project_id == victim.id]
    mr.state = "closed"
    tip = commit(victim, "review: not like this", ("Bob Reviewer", "bob@example.org"), None)
    double.stats.reset()
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    assert victim.repo.branches[BRANCH] == tip
    entry = entries[victim.full_path]
    assert entry.status == "skipped" and f"merge request !{mr.iid}" in entry.detail
    assert "was closed" in entry.detail
    assert mrs(world, victim) == ["closed"] and ok(double, COMMITS, victim) == 0
    assert code == 0


def test_our_branch_from_a_killed_run_is_resumed_without_a_second_commit(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    """Killed between the commit and the merge request: the next run opens the MR."""
    projects = changed(world, double)
    double.faults.configure(only=frozenset({MRS}), error_rate=1.0, error_statuses=(400,))
    first_code, first = run(double, options(double, world.tokens.owner, tmp_path))
    double.faults.clear()
    assert first_code == 3 and all(first[p.full_path].status == "failed" for p in projects)
    tips = {p.id: p.repo.branches[BRANCH] for p in projects}
    double.stats.reset()
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    assert code == 0
    for project in projects:
        assert entries[project.full_path].status == "mr-created", entries[project.full_path]
        assert project.repo.branches[BRANCH] == tips[project.id]  # no second commit
        assert mrs(world, project) == ["opened"]
    assert ok(double, COMMITS) == 0


def test_our_stale_branch_is_left_when_the_default_branch_moved_on(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    victim = changed(world, double)[0]
    double.faults.configure(only=frozenset({MRS}), error_rate=1.0, error_statuses=(400,))
    run(double, options(double, world.tokens.owner, tmp_path))
    double.faults.clear()
    tip = victim.repo.branches[BRANCH]
    default = victim.default_branch_name
    ci = victim.repo.blobs[victim.repo.resolve(default).files[".gitlab-ci.yml"]]  # type: ignore[union-attr]
    victim.repo.commit_files(
        default, {".gitlab-ci.yml": ci + b"\n# moved on\n"}, "edit", HUMAN, int(time.time())
    )
    victim.last_activity_at = time.time()
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    entry = entries[victim.full_path]
    assert entry.status == "skipped" and "no longer matches" in entry.detail, entry
    assert victim.repo.branches[BRANCH] == tip and mrs(world, victim) == []
    assert code == 0


def test_a_branch_at_the_default_head_gets_the_commit_on_top(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    victim = changed(world, double)[0]
    default_head = victim.repo.branches[victim.default_branch_name]
    victim.repo.branches[BRANCH] = default_head  # created, nothing on it
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    assert entries[victim.full_path].status == "mr-created"
    head = victim.repo.commits[victim.repo.branches[BRANCH]]
    assert head.parent == default_head and "Hepci-Upgrade: hepci/upgrade" in head.message
    assert code == 0


# -- 11.3: protection, matched as GitLab does ----------------------------------------------------
@pytest.mark.parametrize("rule", ["*", "hepci/*", "hepci/up*", "*/upgrade"])
def test_a_wildcard_rule_covering_the_branch_means_no_write(
    world: World, double: GitLabDouble, tmp_path: Path, rule: str
) -> None:
    victim = changed(world, double)[0]
    protect(victim, rule, push=MAINTAINER)  # the owner could push: hepci must not
    code, entries = run(double, options(double, world.tokens.owner, tmp_path))
    entry = entries[victim.full_path]
    assert entry.status == "skipped" and f"is protected (rule {rule!r})" in entry.detail
    assert BRANCH not in victim.repo.branches and ok(double, COMMITS, victim) == 0
    assert code == 0


@pytest.mark.parametrize("rule", ["release-*", "hepci/[u]pgrade", "hepci/upgrade?", "hepci"])
def test_rules_that_do_not_cover_the_branch_do_not_stop_it(
    world: World, double: GitLabDouble, tmp_path: Path, rule: str
) -> None:
    """GitLab's RefMatcher: only ``*`` is a wildcard (``?`` and ``[…]`` are literal)."""
    victim = changed(world, double)[0]
    protect(victim, rule, push=MAINTAINER)
    _, entries = run(double, options(double, world.tokens.owner, tmp_path))
    assert entries[victim.full_path].status == "mr-created"


def test_below_maintainer_gitlab_refuses_and_hepci_reports(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    """A Developer cannot read the rules; GitLab refuses the push, hepci says so."""
    victims = changed(world, double, world.tokens.writer)
    for project in victims:
        protect(project, "hepci/*", push=MAINTAINER)
    code, entries = run(double, options(double, world.tokens.writer, tmp_path))
    assert victims and code == 3
    for project in victims:
        assert "You are not allowed to push into this branch" in entries[project.full_path].detail
        assert BRANCH not in project.repo.branches


# -- 16.1 and 16.2 -------------------------------------------------------------------------------
def test_a_project_shared_into_the_group_is_never_written(
    world: World, double: GitLabDouble, tmp_path: Path
) -> None:
    state = world.state
    model = changed(world, double, world.tokens.writer)[0]  # an upgradable CI file
    other = state.add_group("other-collab", visibility="private")
    shared = state.add_project(other, "shared-analysis", visibility="private")
    ci = model.repo.blobs[model.repo.resolve(model.default_branch_name).files[".gitlab-ci.yml"]]  # type: ignore[union-attr]
    shared.repo.commit_files("main", {".gitlab-ci.yml": ci}, "init", HUMAN, int(time.time()))
    analyses = state.find_group("hep/analyses")
    assert analyses is not None
    state.share(shared, analyses, DEVELOPER)  # the writer may push there: hepci must not
    code, entries = run(double, options(double, world.tokens.writer, tmp_path))
    assert shared.full_path not in entries
    assert BRANCH not in shared.repo.branches and mrs(world, shared) == []
    assert ok(double, COMMITS, shared) == 0
    assert entries and code in (0, 3)


def test_a_reporter_token_with_api_scope_gets_clean_skips(
    world: World, double: GitLabDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = world.state
    reader = next(u for u in state.users.values() if u.username == "reader")
    token = "glpat-" + "reporter-with-api-0000"
    state.add_token(token, reader, ("api",))
    readable = changed(world, double, token)
    assert readable  # the Reporter reads them and would change them ...
    code, _ = run(double, options(double, token, tmp_path))
    assert code == 0  # ... but is told, for each, that it may not push
    for project in readable:
        assert BRANCH not in project.repo.branches
    refused = [r for r in double.stats.log if r.route == COMMITS and r.status == 403]
    assert refused == [] and ok(double, COMMITS) == 0
    settings = resolve_settings(url=double.url, token=token, env={})
    pool = ClientPool(settings)
    try:
        opts = GroupOptions(target="gitlab:hep", apply=True, quiet=True)
        result, _ = plan_group(opts, ALL_CODEMODS, pool)
    finally:
        pool.close()
    for project in readable:
        assert result.skipped[project.full_path] == "no permission to push (role below Developer)"
