"""The shared request budget: token bucket, 429 pauses, RateLimit-Remaining slow-down."""

from __future__ import annotations

import time

import pytest
from gitlab_double.faults import RateLimit
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.errors import RemoteError
from hepci.gitlab.budget import RateBudget
from hepci.gitlab.sources import remote_snapshots
from remote.helpers import make_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def budget(
    rate: float | None, burst: int = 2, max_wait: float = 60.0
) -> tuple[RateBudget, FakeClock]:
    clock = FakeClock()
    return RateBudget(rate, burst, max_wait=max_wait, clock=clock, sleep=clock.sleep), clock


def test_bucket_allows_a_burst_then_the_rate() -> None:
    bucket, clock = budget(rate=2.0, burst=3)
    for _ in range(3):
        bucket.acquire()
    assert clock.slept == []
    start = clock.now
    for _ in range(4):
        bucket.acquire()
    assert clock.now - start == pytest.approx(2.0)  # 4 more at 2/s
    assert bucket.total == 7


def test_unlimited_by_default_and_a_429_pauses_everyone() -> None:
    bucket, clock = budget(rate=None, burst=1)
    for _ in range(50):
        bucket.acquire()
    assert clock.slept == []
    bucket.observe(429, {"Retry-After": "7"})
    start = clock.now
    bucket.acquire()
    assert clock.now - start == pytest.approx(7.0)
    bucket.observe(429, {})  # no headers (Projects/Groups APIs): a short default pause
    start = clock.now
    bucket.acquire()
    assert 0 < clock.now - start <= 1.0 + 1e-9


def test_low_remaining_spreads_the_rest_of_the_window() -> None:
    bucket, clock = budget(rate=None, burst=1)
    reset = time.time() + 100  # long enough for a busy machine's scheduling delays
    bucket.observe(
        200, {"RateLimit-Limit": "1000", "RateLimit-Remaining": "50", "RateLimit-Reset": str(reset)}
    )
    assert bucket.rate == pytest.approx(0.5, rel=0.2)  # 50 left for ~100 s
    start = clock.now
    for _ in range(3):
        bucket.acquire()
    assert clock.now - start >= 3.0
    bucket.observe(200, {"RateLimit-Limit": "100", "RateLimit-Remaining": "90"})
    assert bucket.rate == float("inf")


def test_waiting_is_bounded() -> None:
    bucket, _ = budget(rate=None, burst=1, max_wait=5.0)
    bucket.observe(429, {"Retry-After": "3600"})
    with pytest.raises(RemoteError, match="rate limited"):
        bucket.acquire()


def test_a_rate_limited_instance_is_swept_without_losing_a_project(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    # headers on every answer (GitLab.com): the budget can slow down before the limit
    fresh_double.faults.configure(
        rate_limit=RateLimit(limit=6, period=1.0), rate_headers_always=True
    )
    settings = make_settings(fresh_double, fresh_world.tokens.reader, batch_size=2)
    run = remote_snapshots("gitlab:hep", settings)
    assert run.complete and run.results
    statuses = fresh_double.stats.statuses()
    # the budget slows down before the limit: few requests ever see a 429
    assert statuses.get(429, 0) <= max(2, statuses.get(200, 0) // 5)
