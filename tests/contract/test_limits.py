"""GitLab's documented limits (``limits.tsv``): the double enforces each one as GitLab does,
and hepci stays inside it."""

from __future__ import annotations

import csv
import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse

from hepci.gitlab import graphql, rest
from hepci.gitlab.candidates import CANDIDATE_FILES
from hepci.gitlab.client import ClientPool
from hepci.gitlab.graphql import OPTIONAL, BlobFetcher, Item
from hepci.gitlab.model import ProjectInfo
from hepci.gitlab.settings import RemoteSettings, resolve_settings

TABLE = Path(__file__).with_name("limits.tsv")


def rows() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def double_value(spec: str) -> int | None:
    """``module.NAME`` (or ``module.NAME[key]``) of the double, ``None`` when not a constant."""
    name = spec.split(" ", 1)[0]
    if "." not in name or name == "n/a":
        return None
    module_name, _, attr = name.partition(".")
    module = importlib.import_module(f"gitlab_double.{module_name}")
    key = None
    if "[" in attr:
        attr, key = attr.rstrip("]").split("[")
    value = getattr(module, attr)
    return int(value[key] if key else value)


def deepest_query() -> int:
    fetcher = BlobFetcher(
        ClientPool(resolve_settings(url="http://127.0.0.1:9", env={})), max_batch=2
    )
    fetcher.enabled = set(OPTIONAL)
    items = [Item(ProjectInfo(1, "g/p"), list(CANDIDATE_FILES))]
    depth = 0
    for connection in (False, True):
        fetcher.connection = connection
        doc = parse(fetcher.build(items, list(CANDIDATE_FILES))[0])
        op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
        depth = max(depth, _depth(op.selection_set))
    return depth


def _depth(selection_set: object) -> int:
    selections = getattr(selection_set, "selections", None) or []
    return max((1 + _depth(getattr(s, "selection_set", None)) for s in selections), default=0)


HEPCI: dict[str, Callable[[int], bool]] = {
    "graphql_query_size": lambda v: v > graphql.MAX_QUERY_CHARS,
    "graphql_complexity_anonymous": lambda v: True,  # hepci always sends a token
    "graphql_complexity_authenticated": lambda v: graphql.HEADROOM < 1,
    "graphql_complexity_admin": lambda v: graphql.HEADROOM < 1,
    "graphql_depth_anonymous": lambda v: deepest_query() <= v,
    "graphql_depth_authenticated": lambda v: deepest_query() <= v,
    "graphql_page_size": lambda v: v >= graphql.MAX_FULL_PATHS and v >= graphql.RULES_PAGE,
    "graphql_full_paths": lambda v: v == graphql.MAX_FULL_PATHS,
    "graphql_blobs_total": lambda v: True,  # a field error → that project is read with REST
    "graphql_blobs_complexity_per_path": lambda v: True,  # learned from queryComplexity
    "graphql_last_commit_complexity": lambda v: True,  # learned from queryComplexity
    "graphql_timeout_seconds": lambda v: RemoteSettings().timeout <= v,
    "rest_per_page": lambda v: rest.LIST_FILTERS["per_page"] == v,
    "rest_total_headers": lambda v: True,  # pages are read in waves when X-Total is absent
}


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["id"])
def test_limit_has_a_source_a_double_rule_and_a_hepci_rule(row: dict[str, str]) -> None:
    value = int(row["value"])
    assert row["source"].strip() and (
        "gitlab" in row["source"] or "docs.gitlab.com" in row["source"]
    )
    enforced = double_value(row["double"])
    if enforced is not None:
        assert enforced == value, f"the double enforces {enforced}, GitLab {value}"
    assert row["id"] in HEPCI, "every limit says how hepci stays inside it"
    assert HEPCI[row["id"]](value), row["hepci"]


def test_every_checked_limit_is_in_the_table() -> None:
    assert {r["id"] for r in rows()} == set(HEPCI)
