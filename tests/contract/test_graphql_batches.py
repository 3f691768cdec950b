"""Batch sizes under GitLab's complexity rules (issue 16.4: ``Tree.lastCommit`` costs 10).

GitLab's complexity is computed from the query text alone, so projects that ask the same
paths cost the same: once hepci has learned that cost, a shared batch holds as many projects
as fit under the limit, and never more.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from gitlab_double import graphql_api
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble
from remote.helpers import make_settings

from hepci.gitlab.client import ClientPool
from hepci.gitlab.graphql import QC_COST, BlobFetcher
from hepci.gitlab.sources import remote_snapshots


def test_shared_alias_batches_fill_the_complexity_limit(
    fresh_double: GitLabDouble, fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[tuple[int, dict[str, Any]]] = []
    original = ClientPool.graphql

    def recording(self: ClientPool, query: str, variables: Any = None) -> dict[str, Any]:
        answer = original(self, query, variables)
        if "$paths" in query:  # a first-round batch: every project asks the same paths
            answers.append((len(re.findall(r"\bproject\(fullPath", query)), answer))
        return answer

    monkeypatch.setattr(ClientPool, "graphql", recording)
    monkeypatch.setattr(BlobFetcher, "discover", lambda self: None)  # aliases, every detail
    run = remote_snapshots("gitlab:hep", make_settings(fresh_double, fresh_world.tokens.owner))
    assert not run.failed
    assert {r.source for r in run.results} == {"graphql"}
    scores = [(n, a["data"]["queryComplexity"]["score"]) for n, a in answers if "data" in a]
    assert scores
    limit = graphql_api.MAX_COMPLEXITY_AUTH
    per_project = max((score - QC_COST) / n for n, score in scores)
    assert per_project > 90  # HEAD commit (10), its pipeline, branch rules, the candidate paths
    fit = int((limit - QC_COST) // per_project)
    assert fit >= 2
    assert all(score <= limit for _, score in scores)
    sizes = [n for n, _ in scores]
    assert max(sizes) == fit, sizes  # before: 90 % headroom, one project a request


@pytest.mark.parametrize(("score", "paths", "fit"), [(115, 31, 2), (227, 31, 2), (85, 31, 3)])
def test_learned_cost_sizes_shared_batches_to_the_limit(score: int, paths: int, fit: int) -> None:
    """One project with 31 paths and every detail scored 115 (112 + queryComplexity): two
    cost 227 <= 250. A 90 % margin would have sent them one by one."""
    from contract.test_graphql_queries import make_settings_stub

    from hepci.gitlab.graphql import Item
    from hepci.gitlab.model import ProjectInfo

    fetcher = BlobFetcher(ClientPool(make_settings_stub()), max_batch=25)
    n = 1 if score < 200 else 2
    items = [Item(ProjectInfo(i, f"g/p{i}"), [f"f{k}" for k in range(paths)]) for i in range(n)]
    fetcher._learn(score, 250, items, True)
    assert fetcher.size_for(paths) == fit
