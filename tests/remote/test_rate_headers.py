"""Issue 16.6: GitLab often sends no ``RateLimit-*`` headers, even on a 429; hepci's back-off
must work with ``Retry-After`` alone, and with nothing at all.

The double answers as GitLab does: a Rack::Attack throttle's 429 carries ``Retry-After`` and
``RateLimit-*``, unthrottled answers carry none (unless the instance sends them always); an
endpoint limit (``Gitlab::ApplicationRateLimiter``: Projects, Groups, Users APIs) answers a
JSON 429 with ``Retry-After`` only (GitLab 18.5+), or nothing at all (before).
"""

from __future__ import annotations

import time

import pytest
import requests
from gitlab_double.faults import RateLimit
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.gitlab.sources import remote_snapshots
from remote.helpers import make_settings

LISTING = "GET /groups/:id/projects"
GRAPHQL = "POST /api/graphql"
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Observed")


def get(double: GitLabDouble, token: str) -> requests.Response:
    return requests.get(
        f"{double.url}/api/v4/groups/hep/projects", headers={"PRIVATE-TOKEN": token}, timeout=5
    )


def test_unthrottled_answers_carry_no_rate_headers(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    gitlab_double.faults.configure(rate_limit=RateLimit(limit=2, period=30.0))
    first = get(gitlab_double, gitlab_world.tokens.reader)
    assert first.status_code == 200
    assert not any(name in first.headers for name in RATE_HEADERS)
    get(gitlab_double, gitlab_world.tokens.reader)
    throttled = get(gitlab_double, gitlab_world.tokens.reader)  # Rack::Attack: all headers
    assert throttled.status_code == 429 and throttled.text == "Retry later\n"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert all(name in throttled.headers for name in RATE_HEADERS)


@pytest.mark.parametrize("retry_after", [True, False])
def test_an_endpoint_limit_answers_without_rate_headers(
    gitlab_double: GitLabDouble, gitlab_world: World, retry_after: bool
) -> None:
    limit = RateLimit(limit=1, period=30.0, retry_after=retry_after)
    gitlab_double.faults.configure(endpoint_limits={LISTING: limit})
    assert get(gitlab_double, gitlab_world.tokens.reader).status_code == 200
    limited = get(gitlab_double, gitlab_world.tokens.reader)
    assert limited.status_code == 429
    assert limited.json() == {
        "message": "This endpoint has been requested too many times. Try again later."
    }
    assert not any(name in limited.headers for name in RATE_HEADERS)
    assert ("Retry-After" in limited.headers) is retry_after


@pytest.mark.slow  # about 4 s each: the limit is one GraphQL answer a second
@pytest.mark.parametrize("retry_after", [True, False], ids=["retry-after-only", "no-headers"])
def test_the_sweep_backs_off_on_bare_429s_and_loses_nothing(
    fresh_double: GitLabDouble, fresh_world: World, retry_after: bool
) -> None:
    """GraphQL limited to 1 request a second, 429s with at most ``Retry-After``: hepci waits,
    retries and reads every project, without hammering the server."""
    clean = remote_snapshots("gitlab:hep", make_settings(fresh_double, fresh_world.tokens.reader))
    fresh_double.stats.reset()
    fresh_double.faults.configure(
        endpoint_limits={GRAPHQL: RateLimit(limit=1, period=1.0, retry_after=retry_after)}
    )
    settings = make_settings(fresh_double, fresh_world.tokens.reader, batch_size=4, timeout=20.0)
    started = time.monotonic()
    run = remote_snapshots("gitlab:hep", settings)
    elapsed = time.monotonic() - started
    assert run.complete
    assert {r.full_path: r.result.files for r in run.results} == {
        r.full_path: r.result.files for r in clean.results
    }
    log = [r for r in fresh_double.stats.log if r.route == GRAPHQL]
    limited = sum(r.status == 429 for r in log)
    answered = sum(r.status == 200 for r in log)
    assert limited >= 1  # the limit was hit ...
    assert limited <= 2 * answered  # ... and backed off from, not hammered
    assert elapsed >= answered - 1.5  # at most about one GraphQL answer a second
