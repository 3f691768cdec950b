"""Every GraphQL query hepci sends is valid against GitLab's published schemas (19.0 and 17.10).

The queries are captured from hepci's real code paths: group sweeps with and without schema
discovery, with and without the optional fields (HEAD commit, its pipelines, branch rules and
user permissions), both shapes (aliased ``project(fullPath:)`` lookups and
``projects(fullPaths:)``), the shared-path include rounds, and the retries after a server
rejected a field. They stay within GitLab's limits: 10,000 characters always, the complexity
limit once hepci has learned it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from gitlab_double import graphql_api, schema
from gitlab_double.graphql_cost import Cost
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble
from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from remote.helpers import make_settings

from hepci.gitlab.candidates import CANDIDATE_FILES
from hepci.gitlab.client import ClientPool
from hepci.gitlab.graphql import OPTIONAL, BlobFetcher, Item
from hepci.gitlab.model import ProjectInfo
from hepci.gitlab.sources import remote_snapshots

Captured = list[tuple[str, dict[str, Any]]]
PUBLISHED: dict[str, GraphQLSchema] = {v: build_schema(schema.sdl(v)) for v in schema.VERSIONS}


def problems(query: str) -> dict[str, list[str]]:
    doc = parse(query)
    found = {v: [e.message for e in validate(s, doc)] for v, s in PUBLISHED.items()}
    return {v: errors for v, errors in found.items() if errors}


def score(query: str, variables: dict[str, Any]) -> int:
    doc = parse(query)
    meter = Cost(doc, variables)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    return sum(meter.cost(f) for f in meter.fields(op.selection_set))


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """Every (query, variables) hepci POSTs to ``/api/graphql`` during the test."""
    seen: Captured = []
    original = ClientPool.graphql

    def recording(self: ClientPool, query: str, variables: Any = None) -> dict[str, Any]:
        seen.append((query, dict(variables or {})))
        return original(self, query, variables)

    monkeypatch.setattr(ClientPool, "graphql", recording)
    yield seen


def sweep(double: GitLabDouble, world: World, **options: Any) -> None:
    run = remote_snapshots("gitlab:hep", make_settings(double, world.tokens.owner, **options))
    assert run.results and not run.failed, run.failed


def check(captured: Captured) -> None:
    assert captured
    for query, _variables in captured:
        assert problems(query) == {}, query
        assert len(query) <= graphql_api.MAX_QUERY_LENGTH


@pytest.mark.parametrize("served", sorted(schema.VERSIONS))
@pytest.mark.parametrize("discovery", [True, False])
def test_group_sweep_queries_are_valid_against_both_releases(
    fresh_double: GitLabDouble,
    fresh_world: World,
    monkeypatch: pytest.MonkeyPatch,
    capture: Captured,
    served: str,
    discovery: bool,
) -> None:
    monkeypatch.setattr(graphql_api, "SCHEMA", graphql_api.build(served))
    if not discovery:  # introspection refused: aliased lookups, fields dropped as errors name them
        monkeypatch.setattr(BlobFetcher, "discover", lambda self: None)
    sweep(fresh_double, fresh_world, batch_size=10)
    check(capture)
    shapes = {"projects(fullPaths:" in q for q, _ in capture if "__type" not in q}
    assert shapes == ({True} if discovery else {False})
    # the batch size was learned from the first answers: later batches stay within the limit
    scores = [score(q, v) for q, v in capture if "__type" not in q]
    over = [s for s in scores if s > graphql_api.MAX_COMPLEXITY_AUTH]
    assert len(over) <= 4  # at most the first wave of --concurrency batches


def test_queries_after_a_rejected_field_are_valid(
    fresh_double: GitLabDouble,
    fresh_world: World,
    monkeypatch: pytest.MonkeyPatch,
    capture: Captured,
) -> None:
    """A server that lacks ``Project.branchRules`` (and refuses introspection): hepci drops it
    as the error names it and sends the rest again; both queries are valid GitLab queries."""
    sdl = schema.sdl().replace(
        "  branchRules(before: String, after: String, first: Int, last: Int, buildMissing: Boolean)"
        ": BranchRuleConnection\n",
        "",
    )
    monkeypatch.setattr(graphql_api, "SCHEMA", graphql_api.build(sdl))
    monkeypatch.setattr(BlobFetcher, "discover", lambda self: None)
    sweep(fresh_double, fresh_world)
    check(capture)
    with_rules = [q for q, _ in capture if "branchRules" in q]
    without = [q for q, _ in capture if "branchRules" not in q and "blobs(" in q]
    assert with_rules and without


def fetcher_variants() -> Iterator[tuple[frozenset[str], bool]]:
    for n in range(len(OPTIONAL) + 1):
        for enabled in itertools.combinations(OPTIONAL, n):
            for connection in (False, True):
                yield frozenset(enabled), connection


@pytest.mark.parametrize(("enabled", "connection"), list(fetcher_variants()))
def test_every_query_shape_is_valid(
    gitlab_world: World, enabled: frozenset[str], connection: bool
) -> None:
    """The query builder's every combination of optional fields and shapes."""
    fetcher = BlobFetcher(ClientPool(make_settings_stub()), max_batch=25)
    fetcher.enabled, fetcher.connection = set(enabled), connection
    specs = [p for p in gitlab_world.projects if not p.empty][:3]
    items = [Item(ProjectInfo(s.id, s.full_path), list(CANDIDATE_FILES)) for s in specs]
    for shared in (None, list(CANDIDATE_FILES)):
        query, _ = fetcher.build(items, shared)
        assert problems(query) == {}, query
        # one project always fits in the limit (more per request: as hepci learns the cost)
        one, one_vars = fetcher.build(items[:1], shared)
        assert score(one, one_vars) < graphql_api.MAX_COMPLEXITY_AUTH


def test_schema_discovery_query_is_valid() -> None:
    from hepci.gitlab.graphql import INTROSPECTION

    assert problems(INTROSPECTION) == {}


def make_settings_stub() -> Any:
    from hepci.gitlab.settings import resolve_settings

    return resolve_settings(url="http://127.0.0.1:9", token="x", env={})
