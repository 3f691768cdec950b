"""Each injection mode, observed through python-gitlab's own behaviour."""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import gitlab
import pytest
import requests
from gitlab_double import GitLabDouble, Latency, RateLimit, World
from gitlab_double.faults import Faults
from gitlab_double.pytest_fixtures import gl_client as client

RAW = "GET /projects/:id/repository/files/:file_path/raw"
PROJECT = "GET /projects/:id"


def member_project(world: World) -> int:
    return next(p.id for p in world.projects if p.access == "member" and not p.empty)


def statuses(double: GitLabDouble, route: str) -> list[int]:
    return [r.status for r in double.stats.log if r.route == route]


def test_latency_is_applied_and_seeded(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    gitlab_double.faults.configure(latency=Latency("uniform", 0.02, 0.06), seed=5)
    with client(gitlab_double, gitlab_world.tokens.reader) as gl:
        for _ in range(5):
            gl.projects.get(member_project(gitlab_world))
    durations = [r.duration for r in gitlab_double.stats.log]
    assert len(durations) == 5 and min(durations) >= 0.02
    twin = Faults(seed=5, latency=Latency("uniform", 0.02, 0.06))  # same seed, same draws
    expected = [twin.decide(PROJECT, "k", 0).delay for _ in range(5)]
    assert all(d >= e for d, e in zip(durations, expected, strict=True))
    again = Faults(seed=5, latency=Latency("lognormal", 0.01, 0.5))
    other = Faults(seed=5, latency=Latency("lognormal", 0.01, 0.5))
    assert [again.decide(PROJECT, "k", 0).delay for _ in range(10)] == [
        other.decide(PROJECT, "k", 0).delay for _ in range(10)
    ]


def test_transient_errors_are_retried_only_when_enabled(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    pid = member_project(gitlab_world)
    gitlab_double.faults.configure(script=deque(["503", "502", "500"]))
    with client(gitlab_double, gitlab_world.tokens.reader, retry_transient_errors=True) as gl:
        assert gl.projects.get(pid).id == pid
    assert statuses(gitlab_double, PROJECT) == [503, 502, 500, 200]
    gitlab_double.faults.configure(script=deque(["502"]))
    with (
        client(gitlab_double, gitlab_world.tokens.reader) as plain,
        pytest.raises(gitlab.GitlabGetError) as info,
    ):
        plain.projects.get(pid)
    assert info.value.response_code == 502


def test_seeded_error_rate_is_reproducible(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    pid = member_project(gitlab_world)
    runs = []
    for _ in range(2):
        gitlab_double.stats.reset()
        gitlab_double.faults.configure(seed=11, error_rate=0.3)
        with client(gitlab_double, gitlab_world.tokens.reader, retry_transient_errors=True) as gl:
            project = gl.projects.get(pid, lazy=True)
            for _ in range(15):
                assert project.files.raw("README.md", ref="HEAD").startswith(b"# ")
        runs.append(statuses(gitlab_double, RAW))
    assert runs[0] == runs[1]
    assert {500, 502, 503} & set(runs[0]) and runs[0].count(200) == 15


def test_rate_limit_429_waits_for_retry_after(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    pid = member_project(gitlab_world)
    # GitLab.com style: RateLimit-* on every answer, not only on the throttled ones
    gitlab_double.faults.configure(
        rate_limit=RateLimit(limit=3, period=1.0), rate_headers_always=True
    )
    url = f"{gitlab_double.url}/api/v4/projects/{pid}"
    headers = {"PRIVATE-TOKEN": gitlab_world.tokens.reader}
    first = requests.get(url, headers=headers, timeout=5)
    assert first.headers["RateLimit-Limit"] == "3" and first.headers["RateLimit-Remaining"] == "2"
    with client(gitlab_double, gitlab_world.tokens.reader) as gl:
        started = time.monotonic()
        for _ in range(4):
            assert gl.projects.get(pid).id == pid
        elapsed = time.monotonic() - started
    log = [r for r in gitlab_double.stats.log if r.route == PROJECT]
    limited = [i for i, r in enumerate(log) if r.status == 429]
    assert limited, "the 4th request in the window must be limited"
    gap = log[limited[0] + 1].started - log[limited[0]].started
    assert gap >= 0.9  # python-gitlab slept for Retry-After (an integer number of seconds)
    assert elapsed >= 0.9
    with (
        client(gitlab_double, gitlab_world.tokens.reader) as impatient,
        pytest.raises(gitlab.GitlabGetError) as info,
    ):
        for _ in range(5):
            impatient.projects.get(pid, obey_rate_limit=False)
    assert info.value.response_code == 429
    blocked = requests.get(url, headers=headers, timeout=5)
    if blocked.status_code == 429:
        assert int(blocked.headers["Retry-After"]) >= 1 and blocked.text == "Retry later\n"


def test_dropped_connections(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    pid = member_project(gitlab_world)
    gitlab_double.faults.configure(script=deque(["drop"]))
    with client(gitlab_double, gitlab_world.tokens.reader, retry_transient_errors=True) as gl:
        assert gl.projects.get(pid).id == pid
    assert statuses(gitlab_double, PROJECT) == [0, 200]
    gitlab_double.faults.configure(script=deque(["drop"]))
    with (
        client(gitlab_double, gitlab_world.tokens.reader) as plain,
        pytest.raises(requests.ConnectionError),
    ):
        plain.projects.get(pid)


def test_slow_responses_time_out(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    pid = member_project(gitlab_world)
    gitlab_double.faults.configure(slow_seconds=1.0, script=deque(["slow"]))
    with (
        client(gitlab_double, gitlab_world.tokens.reader, timeout=0.3) as plain,
        pytest.raises(requests.exceptions.ReadTimeout),
    ):
        plain.projects.get(pid)
    gitlab_double.faults.configure(script=deque(["slow"]))
    with client(
        gitlab_double, gitlab_world.tokens.reader, timeout=0.3, retry_transient_errors=True
    ) as gl:
        assert gl.projects.get(pid).id == pid
    deadline = time.monotonic() + 5  # the slow answers finish after the client gave up
    while (
        sum(r.outcome == "slow" for r in gitlab_double.stats.log) < 2
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    slow = [r for r in gitlab_double.stats.log if r.outcome == "slow"]
    assert len(slow) == 2 and all(r.duration >= 1.0 for r in slow)


def test_faults_can_target_one_route(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    pid = member_project(gitlab_world)
    gitlab_double.faults.configure(error_rate=1.0, error_statuses=(503,), only=frozenset({RAW}))
    with client(gitlab_double, gitlab_world.tokens.reader, retry_transient_errors=True) as gl:
        project = gl.projects.get(pid)
        with pytest.raises(gitlab.GitlabGetError) as info:
            project.files.raw("README.md", ref="HEAD", max_retries=2)
    assert info.value.response_code == 503
    assert gitlab_double.stats.counts() == {PROJECT: 1, RAW: 3}
    assert gitlab_double.stats.statuses() == {200: 1, 503: 3}
    gitlab_double.stats.reset()
    assert gitlab_double.stats.total == 0 and gitlab_double.stats.log == []


def test_graphql_client_retries_transient_errors(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    gitlab_double.faults.configure(script=deque(["502", "503"]))
    gq = gitlab.GraphQL(
        gitlab_double.url, token=gitlab_world.tokens.reader, timeout=5, retry_transient_errors=True
    )
    assert gq.execute("{ currentUser { username } }")["currentUser"]["username"] == "reader"
    assert statuses(gitlab_double, "POST /api/graphql") == [502, 503, 200]


def test_requests_are_served_concurrently(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    pid = member_project(gitlab_world)
    gitlab_double.faults.configure(latency=Latency("fixed", 0.1))

    def fetch(_: int) -> int:
        with client(gitlab_double, gitlab_world.tokens.reader) as gl:
            return int(gl.projects.get(pid).id)

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(fetch, range(6))) == [pid] * 6
    spans = [(r.started, r.started + r.duration) for r in gitlab_double.stats.log]
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap >= 2


def test_clear_resets_every_fault_setting() -> None:
    faults = Faults(seed=3)
    defaults = Faults(seed=3)
    faults.configure(
        latency=Latency("fixed", 0.2), rate_limit=RateLimit(5), error_rate=0.5,
        error_statuses=(429,), drop_rate=0.1, slow_rate=0.1, slow_seconds=9.0,
        only=frozenset({"GET /version"}), script=deque(["503"]),
    )  # fmt: skip
    faults.clear()
    for name in ("latency", "rate_limit", "error_rate", "error_statuses", "drop_rate",
                 "slow_rate", "slow_seconds", "only"):  # fmt: skip
        assert getattr(faults, name) == getattr(defaults, name), name
    assert not faults.script
    assert faults.decide("GET /version", "t", 0.0).outcome == "ok"
