"""The sweep's request schedule: GraphQL batches start while the group is still being listed,
no more than ``--concurrency`` requests are ever on the wire, and includes cost one request."""

from __future__ import annotations

from pathlib import Path

from gitlab_double import Latency
from gitlab_double.faults import RequestRecord
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.gitlab.sources import remote_snapshots
from remote.helpers import expected_candidates, make_settings

GRAPHQL = "POST /api/graphql"
LISTING = "GET /groups/:id/projects"


def most_at_once(log: list[RequestRecord]) -> int:
    """The largest number of requests the server was handling at the same moment."""
    edges = sorted(
        [(r.started, 1) for r in log] + [(r.started + r.duration, -1) for r in log],
        key=lambda edge: (edge[0], edge[1]),  # an end before a start at the same instant
    )
    busy = peak = 0
    for _, step in edges:
        busy += step
        peak = max(peak, busy)
    return peak


def test_batches_start_before_the_listing_ends_and_in_flight_stays_capped(
    gitlab_double: GitLabDouble, gitlab_world: World, tmp_path: Path
) -> None:
    gitlab_double.faults.configure(latency=Latency("fixed", 0.03))
    settings = make_settings(
        gitlab_double, gitlab_world.tokens.reader, concurrency=3, batch_size=5,
        cache_dir=tmp_path / "cache",
    )  # fmt: skip
    # pages of 100 would hold the whole 60-project world: list it 10 per page
    from hepci.gitlab import rest

    original = dict(rest.LIST_FILTERS)
    rest.LIST_FILTERS["per_page"] = 10
    try:
        run = remote_snapshots("gitlab:hep", settings)
    finally:
        rest.LIST_FILTERS.clear()
        rest.LIST_FILTERS.update(original)
    log = gitlab_double.stats.log
    listing = [r for r in log if r.route == LISTING]
    batches = [r for r in log if r.route == GRAPHQL and r.status == 200]
    assert len(listing) >= 5  # the listing really took several pages
    last_page_done = max(r.started + r.duration for r in listing)
    assert min(r.started for r in batches) < last_page_done  # no waiting for the whole list
    assert most_at_once(log) <= 3  # listing pages and batches share the three slots
    assert most_at_once(log) >= 2  # and they did run side by side
    # nothing lost to the overlap: every readable project, with exactly its files
    assert run.results and not run.failed
    for result in run.results:
        got = {path: f.content for path, f in result.result.files.items()}
        expected = expected_candidates(gitlab_double.state, result.full_path)
        assert {p: c for p, c in got.items() if p in expected} == expected


def test_a_listing_that_fails_after_its_first_page_is_an_error_not_a_hang(
    gitlab_double: GitLabDouble, gitlab_world: World, tmp_path: Path
) -> None:
    """Batches of the first page are already on their way when a later page fails for good:
    the sweep stops with the listing's error (exit 3 territory), nothing waits forever."""
    from collections import deque

    import pytest

    from hepci.errors import RemoteError
    from hepci.gitlab import rest

    gitlab_double.faults.configure(
        only=frozenset({LISTING}), script=deque(["ok"] + ["500"] * 50), error_statuses=(500,)
    )
    settings = make_settings(
        gitlab_double, gitlab_world.tokens.reader, concurrency=3, batch_size=5,
        max_retries=1, cache_dir=tmp_path / "cache",
    )  # fmt: skip
    original = dict(rest.LIST_FILTERS)
    rest.LIST_FILTERS["per_page"] = 10
    try:
        with pytest.raises(RemoteError) as caught:
            remote_snapshots("gitlab:hep", settings)
    finally:
        rest.LIST_FILTERS.clear()
        rest.LIST_FILTERS.update(original)
    assert caught.value.status == 500
    log = gitlab_double.stats.log
    assert next(r.status for r in log if r.route == LISTING) == 200  # the first page came
    assert any(r.route == GRAPHQL and r.status == 200 for r in log)  # and was being read
