"""Issue 11.9: pagination that loops never duplicates a project nor runs forever.

The double serves 53 projects in 20-item pages that never end ("cycle": round and round, full
pages, a next page always, no totals, as GitLab past 10,000 items) or whose last page links
back to page 1 ("link-back"). hepci hands every project out once, stops at the first page
that brings nothing new, and warns. The merge-request listing of ``upgrade --apply`` is
walked the same way.
"""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from gitlab_double.populate import World, build_world
from gitlab_double.server import GitLabDouble
from remote.helpers import make_settings

from hepci.gitlab.client import ClientPool
from hepci.gitlab.sources import remote_snapshots
from hepci.upgrade.group_write import existing_mrs

LISTING = "GET /groups/:id/projects"
MR_LISTING = "GET /groups/:id/merge_requests"
N = 53


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(n_projects=N, seed=9)


@pytest.mark.parametrize("loop", ["cycle", "link-back"])
def test_a_looping_listing_yields_each_project_once(
    world: World, loop: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hepci.gitlab")
    with GitLabDouble(world.state) as double:
        double.faults.configure(page_size=20, page_loop=loop)
        run = remote_snapshots("gitlab:hep", make_settings(double, world.tokens.owner))
        listing_requests = double.stats.counts()[LISTING]
    seen = [r.full_path for r in run.results] + [s.full_path for s in run.skipped]
    seen += [f.full_path for f in run.failed]
    duplicates = [path for path, count in Counter(seen).items() if count > 1]
    assert not duplicates
    assert sorted(seen) == sorted(p.full_path for p in world.projects)  # 53, each once
    assert run.stats.listed == N
    assert listing_requests <= 3 + 4  # 3 real pages, at most one more wave
    if loop == "cycle":  # page 4 repeats page 1 only: the listing loops, and the user is told
        assert any("pagination loops" in r.getMessage() for r in caplog.records)


def test_a_looping_merge_request_listing_ends(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    from gitlab_double.model import MergeRequest

    state = world.state
    projects = [p for p in state.projects.values() if p.full_path.startswith("hep/")][:45]
    for n, project in enumerate(projects):
        mr_id = state.new_id()
        state.merge_requests[mr_id] = MergeRequest(
            mr_id, 1, project.id, "t", "", "hepci/upgrade", project.default_branch_name,
            author_id=next(iter(state.users)), created_at=1_700_000_000 + n,
        )  # fmt: skip
    caplog.set_level(logging.WARNING, logger="hepci.gitlab")
    with GitLabDouble(state) as double:
        double.faults.configure(page_size=20, page_loop="cycle")
        pool = ClientPool(make_settings(double, world.tokens.owner))
        try:
            found = existing_mrs(pool, "hep", "hepci/upgrade", None)
        finally:
            pool.close()
        requests = double.stats.counts()[MR_LISTING]
    assert found == {p.id: 1 for p in projects}
    assert requests <= 4  # 3 pages, then one that repeats: stop
    assert any("pagination loops" in r.getMessage() for r in caplog.records)
