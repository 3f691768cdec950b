"""Faults on the wire: 5xx, 429, dropped connections and timeouts on 20 % of requests."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.audit.engine import audit_repo
from hepci.core.repo import Repo
from hepci.gitlab.sources import RemoteRun, audit_remote
from remote.helpers import make_settings

GRAPHQL = "POST /api/graphql"
RAW = "GET /projects/:id/repository/files/:file_path/raw"
TREE = "GET /projects/:id/repository/tree"


def findings(repo: Repo) -> tuple[Any, ...]:
    """What the audit engine says about ``repo``, without timings."""
    report = audit_repo(repo)
    return tuple(
        (r.id, r.status, r.skip_reason, tuple((f.message, f.path, f.line) for f in r.findings))
        for r in report.results
    )


def accounted(run: RemoteRun[Any]) -> list[str]:
    return sorted(
        [r.full_path for r in run.results]
        + [s.full_path for s in run.skipped]
        + [f.full_path for f in run.failed]
    )


def test_twenty_percent_faults_change_no_finding(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    settings = make_settings(
        gitlab_double, gitlab_world.tokens.reader, timeout=5.0, attempt_timeout=0.6, batch_size=8
    )
    clean = audit_remote("gitlab:hep", settings, findings)
    assert clean.complete and clean.results
    gitlab_double.stats.reset()
    gitlab_double.faults.configure(
        seed=11,
        error_rate=0.12,
        error_statuses=(500, 502, 503, 429),
        drop_rate=0.05,
        slow_rate=0.03,
        slow_seconds=1.2,  # longer than one attempt may take: a timeout, then a retry
        script=deque(["ok", "503", "ok", "drop", "ok", "429", "ok", "slow", "ok", "502"]),
    )
    try:
        faulty = audit_remote("gitlab:hep", settings, findings)
    finally:  # the fixture's faults.clear() keeps these
        gitlab_double.faults.configure(error_statuses=(500, 502, 503), slow_seconds=5.0)
    time.sleep(1.3)  # the double logs a slow request when it finally answers
    statuses = gitlab_double.stats.statuses()
    log = gitlab_double.stats.log
    faults = [r for r in log if r.outcome != "ok"]
    assert len(faults) >= 0.1 * len(log)  # the faults really happened
    assert {"drop", "slow", "429", "503"} <= {r.outcome for r in faults}
    assert statuses.get(429, 0) and statuses.get(0, 0)
    # every project is accounted for exactly once, failures with a reason
    assert accounted(faulty) == accounted(clean)
    assert all(f.reason for f in faulty.failed)
    # and the audited ones say exactly what the fault-free run said
    want = {r.full_path: r.result for r in clean.results}
    assert faulty.results
    for r in faulty.results:
        assert r.result == want[r.full_path], r.full_path


def test_projects_that_cannot_be_read_are_listed_as_failed(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    settings = make_settings(gitlab_double, gitlab_world.tokens.reader, max_retries=1)
    gitlab_double.faults.configure(
        only=frozenset({GRAPHQL, TREE, RAW}), error_rate=1.0, error_statuses=(500, 502, 503)
    )
    run = audit_remote("gitlab:hep/analyses/top", settings, lambda repo: repo.name)
    assert not run.results and run.failed and not run.complete
    for failure in run.failed:
        assert failure.status in (500, 502, 503)
        assert "HTTP 50" in failure.reason
    listed = run.stats.in_shard - len(run.skipped)
    assert len(run.failed) == listed
