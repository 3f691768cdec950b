"""hepci against GitLab's GraphQL answers that are not data (issue 16: 422, blob size limit) and
against the oldest release it supports (17.10).
"""

from __future__ import annotations

import time

import pytest
from gitlab_double import graphql_api
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble
from remote.helpers import expected_candidates, make_settings

from hepci.gitlab.graphql import BlobFetcher
from hepci.gitlab.sources import remote_snapshots

GRAPHQL = "POST /api/graphql"
RAW = "GET /projects/:id/repository/files/:file_path/raw"
MIB = 1024 * 1024


def test_query_too_large_is_split_not_read_with_rest(
    fresh_double: GitLabDouble, fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab answers a query text over its limit with HTTP 422 "Query too large" (nothing is
    executed): hepci splits the batch and learns the length, instead of reading every project
    of the batch with REST."""
    monkeypatch.setattr(graphql_api, "MAX_QUERY_LENGTH", 1_600)  # two aliased projects fit
    monkeypatch.setattr(BlobFetcher, "discover", lambda self: None)  # the aliased shape
    settings = make_settings(fresh_double, fresh_world.tokens.owner, batch_size=8)
    run = remote_snapshots("gitlab:hep", settings)
    assert not run.failed
    assert fresh_double.stats.statuses().get(422, 0) >= 1  # GitLab's answer did happen
    assert {r.source for r in run.results} == {"graphql"}
    assert RAW not in fresh_double.stats.counts()
    for result in run.results:
        files = {p: f.content for p, f in result.result.files.items()}
        assert files == expected_candidates(fresh_world.state, result.full_path)


def test_blobs_over_20_mib_are_read_with_rest(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    """``blobs(paths:)`` over 20 MiB in total is a field error on that project only: hepci
    reads that project's files with REST (no total limit there), the others stay batched."""
    state = fresh_world.state
    spec = next(
        p for p in fresh_world.projects if p.access == "member" and not (p.empty or p.archived)
    )
    project = state.projects[spec.id]
    big = {
        "README.md": b"# big\n" + b"x" * (11 * MIB),
        "Snakefile": b"rule all:\n" + b"#" * (11 * MIB),
    }
    project.repo.commit_files(
        project.default_branch_name, big, "big files", ("A", "a@example.org"), int(time.time())
    )
    settings = make_settings(fresh_double, fresh_world.tokens.owner, timeout=30.0)
    run = remote_snapshots("gitlab:hep", settings)
    assert not run.failed
    by_path = {r.full_path: r for r in run.results}
    big_one = by_path[spec.full_path]
    assert big_one.source == "rest"
    assert {p: f.content for p, f in big_one.result.files.items()} == expected_candidates(
        state, spec.full_path
    )
    assert {r.source for path, r in by_path.items() if path != spec.full_path} == {"graphql"}


def test_oldest_supported_release_reads_everything_with_graphql(
    fresh_double: GitLabDouble, fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The double serving GitLab 17.10's schema: discovery finds every optional field (17.10 has
    them all), so files, HEAD commit, pipeline and branch rules come from GraphQL alone."""
    monkeypatch.setattr(graphql_api, "SCHEMA", graphql_api.build("17.10"))
    run = remote_snapshots("gitlab:hep", make_settings(fresh_double, fresh_world.tokens.owner))
    assert not run.failed and run.results
    assert {r.source for r in run.results} == {"graphql"}
    counts = fresh_double.stats.counts()
    assert RAW not in counts and "GET /projects/:id/repository/branches/:branch" not in counts
    heads = [r.result.details.head_sha for r in run.results]
    assert all(heads)
