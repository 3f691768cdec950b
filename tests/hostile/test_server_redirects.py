"""Issue 11.4: a GitLab that redirects elsewhere never gets the token sent there.

The double answers 302/307/308 with a ``Location`` on another origin: a recording server on
another port of 127.0.0.1 (other port), on ``localhost`` (other host) or with ``https://``
(other scheme). Whatever the token kind (``PRIVATE-TOKEN``, ``Authorization: Bearer``,
``JOB-TOKEN``) and whatever the request (the group listing, GraphQL, raw files, a project),
0 requests reach it with a credential; in fact none reach it at all, and the user is told
where the redirect pointed. A redirect within the instance (GitLab's answer for a moved
project) is still followed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gitlab_double.hostile import RecordingServer
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.errors import RemoteError
from hepci.gitlab.client import ClientPool
from hepci.gitlab.settings import resolve_settings
from hepci.gitlab.sources import remote_snapshots

LISTING = "GET /groups/:id/projects"
GRAPHQL = "POST /api/graphql"
RAW = "GET /projects/:id/repository/files/:file_path/raw"
TREE = "GET /projects/:id/repository/tree"
PROJECT = "GET /projects/:id"


@pytest.fixture
def recorder() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


def settings(double: GitLabDouble, token: str, kind: str = "private") -> object:
    found = resolve_settings(url=double.url, token=token, env={}, timeout=5.0, concurrency=2)
    from dataclasses import replace

    return replace(found, token_kind=kind)


def assert_nothing_reached(recorder: RecordingServer, token: str) -> None:
    leaked = [r for r in recorder.requests if token in "".join(r.credentials.values())]
    assert leaked == [], leaked
    assert recorder.requests == [] and recorder.connections == 0


@pytest.mark.parametrize("status", [302, 307, 308])
@pytest.mark.parametrize("kind", ["private", "oauth"])
def test_listing_redirected_to_another_port_gets_no_token(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    recorder: RecordingServer,
    status: int,
    kind: str,
) -> None:
    token = gitlab_world.tokens.reader
    gitlab_double.faults.configure(
        redirect_to=recorder.url, redirect_status=status, only=frozenset({LISTING})
    )
    with pytest.raises(RemoteError) as caught:
        remote_snapshots("gitlab:hep", settings(gitlab_double, token, kind))  # type: ignore[arg-type]
    assert_nothing_reached(recorder, token)
    message = str(caught.value)
    assert f"another origin (http://127.0.0.1:{recorder.port})" in message
    assert "not followed" in message and token not in message


@pytest.mark.parametrize("status", [302, 307, 308])
def test_graphql_and_raw_files_redirected_get_no_token(
    gitlab_double: GitLabDouble, gitlab_world: World, recorder: RecordingServer, status: int
) -> None:
    """GraphQL redirected: the REST fallback reads the files; raw files (and trees) redirected
    too: those projects fail, each with the reason; the token goes nowhere else."""
    token = gitlab_world.tokens.reader
    gitlab_double.faults.configure(
        redirect_to=recorder.url, redirect_status=status, only=frozenset({GRAPHQL, RAW})
    )
    run = remote_snapshots("gitlab:hep/analyses/top", settings(gitlab_double, token))  # type: ignore[arg-type]
    assert_nothing_reached(recorder, token)
    counts = gitlab_double.stats.counts()
    assert counts.get(GRAPHQL, 0) >= 1 and counts.get(RAW, 0) >= 1  # both were tried
    with_files = [r for r in run.results if r.result.files]
    assert not with_files  # every file read was refused ...
    assert run.failed and all("another origin" in f.reason for f in run.failed)


def test_a_job_token_is_not_sent_to_another_origin(
    gitlab_double: GitLabDouble, gitlab_world: World, recorder: RecordingServer
) -> None:
    token = gitlab_world.tokens.job
    project = next(p for p in gitlab_world.projects if p.access == "member" and not p.empty)
    gitlab_double.faults.configure(redirect_to=recorder.url, only=frozenset({PROJECT}))
    with pytest.raises(RemoteError) as caught:
        remote_snapshots(f"gitlab:{project.full_path}", settings(gitlab_double, token, "job"))  # type: ignore[arg-type]
    assert "another origin" in str(caught.value)
    assert_nothing_reached(recorder, token)


@pytest.mark.parametrize(
    ("where", "origin"),
    [("https://127.0.0.1:{port}", "https://127.0.0.1:{port}"),
     ("http://localhost:{port}", "http://localhost:{port}")],
    ids=["other-scheme", "other-host"],
)  # fmt: skip
def test_other_scheme_or_host_is_another_origin(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    recorder: RecordingServer,
    where: str,
    origin: str,
) -> None:
    token = gitlab_world.tokens.reader
    target = where.format(port=recorder.port)
    gitlab_double.faults.configure(redirect_to=target, only=frozenset({LISTING}))
    with pytest.raises(RemoteError) as caught:
        remote_snapshots("gitlab:hep", settings(gitlab_double, token))  # type: ignore[arg-type]
    assert origin.format(port=recorder.port) in str(caught.value)
    assert_nothing_reached(recorder, token)  # not even a TLS hello: no connection at all


def test_a_redirect_within_the_instance_is_followed_with_the_token(
    recorder: RecordingServer,
) -> None:
    """GitLab answers a moved project's old path with a 301 to its id (GET only)."""
    recorder.redirect("/api/v4/projects/old%2Fpath", 301, recorder.url + "/api/v4/projects/1")
    token = "glpat-" + "same-origin-0000000000"
    pool = ClientPool(resolve_settings(url=recorder.url, token=token, env={}, timeout=5.0))
    try:
        found = pool.rest().http_get("/projects/old%2Fpath")
    finally:
        pool.close()
    assert isinstance(found, dict) and found["seen"] == "/api/v4/projects/1"
    first, second = recorder.requests
    assert first.path == "/api/v4/projects/old%2Fpath" and second.path == "/api/v4/projects/1"
    assert second.credentials == {"private-token": token}  # the same origin: still signed in
