"""Issue 11.17: a GitLab that never answers costs one deadline, and the message says so.

A server that accepts connections and never answers: ``hepci audit`` and ``hepci upgrade``
(real child processes) give up within ``--timeout`` plus a small margin, whatever the
retries, and say "no answer within N s after K attempt(s)". The same holds in a sweep whose
server stalls only some requests: the run still ends, every project accounted for.
"""

from __future__ import annotations

import re
import time
from collections import deque

import pytest
from gitlab_double.hostile import HangingServer
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble
from remote.helpers import make_settings

from hepci.gitlab.sources import remote_snapshots
from hostile._support import run_hepci

DEADLINE = 2.0
MARGIN = 1.0  # a loaded 2-core machine
START_UP = 10.0  # interpreter and imports, on a loaded 2-core machine
TOKEN = "glpat-" + "hanging-server-000000"


@pytest.mark.parametrize(
    "command",
    [["audit", "gitlab:hep", "--no-progress"], ["upgrade", "gitlab:hep"]],
    ids=["audit", "upgrade"],
)
def test_a_hanging_server_costs_one_deadline(command: list[str]) -> None:
    with HangingServer(hold=30) as server:
        started = time.monotonic()
        run = run_hepci(
            *command, "--gitlab-url", server.url, "--timeout", str(DEADLINE),
            env={"GITLAB_TOKEN": TOKEN}, timeout=60,
        )  # fmt: skip
        ended = time.monotonic()
    assert run.code == 3, run.err
    assert server.first_at is not None and server.given_up
    waited = max(server.given_up) - server.first_at  # the first request to the last give-up
    assert DEADLINE - 0.05 <= waited < DEADLINE + MARGIN, f"{waited:.2f} s"
    assert ended - started < DEADLINE + MARGIN + START_UP
    said = re.search(r"no answer within ([\d.]+) s after (\d+) attempts?", run.err)
    assert said is not None, run.err
    assert float(said.group(1)) == DEADLINE and int(said.group(2)) >= 1
    assert TOKEN not in run.out + run.err
    assert server.connections >= 1


def test_stalled_requests_end_within_the_deadline_and_nothing_is_lost(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    """File reads stall for far longer than the deadline: each costs at most the deadline (a
    GraphQL batch then falls back to REST, a REST read fails its project), and every project
    ends in exactly one bucket."""
    settings = make_settings(fresh_double, fresh_world.tokens.reader, timeout=1.0)
    fresh_double.faults.configure(
        slow_seconds=20.0, only=frozenset({"POST /api/graphql", "GET /projects/:id/repository/tree"}),
        script=deque(["ok", "slow", "ok", "slow", "slow", "ok", "slow"]),
    )  # fmt: skip
    started = time.monotonic()
    run = remote_snapshots("gitlab:hep/analyses", settings)
    elapsed = time.monotonic() - started
    assert elapsed < 4 * 1.0 + 3  # at most a few stalls in a row on one request path
    paths = [r.full_path for r in run.results] + [s.full_path for s in run.skipped]
    paths += [f.full_path for f in run.failed]
    assert len(paths) == len(set(paths)) == run.stats.in_shard
    for failure in run.failed:
        assert re.search(r"no answer within 1 s after \d+ attempts?", failure.reason), failure
