"""Parsed files are shared between repositories with the same content, without changing results."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from hepci.audit import context
from hepci.audit.context import ParseMemo
from hepci.audit.engine import audit_repo
from hepci.audit.model import RepoReport
from hepci.core.repo import MemoryRepo
from hepci.core.yamledit import Limits, parse_bytes

SHARED_CI = b"""\
include:
  - local: ci/extra.yml
variables: &vars
  IMAGE: python:3.12
build:
  image: $IMAGE
  script: [make]
  artifacts:
    paths: [out/]
test:
  variables: *vars
  extends: .base
  script: [pytest]
"""


def repos() -> list[MemoryRepo]:
    """Four projects: the same CI file with different includes, Dockerfiles and extras."""
    base = {".gitlab-ci.yml": SHARED_CI, "README.md": b"# x\n"}
    return [
        MemoryRepo("a", {**base, "ci/extra.yml": b".base:\n  image: python:3.12\n"}),
        MemoryRepo("b", {**base, "ci/extra.yml": b".base:\n  image: python\n  tags: [cvmfs]\n"}),
        MemoryRepo("c", {**base, "Dockerfile": b"FROM cern/cc7-base\n"}),  # include missing
        MemoryRepo("d", {".gitlab-ci.yml": b"a: &a [*a]\n", "README.md": b"# x\n"}),  # bad alias
    ]


def signature(report: RepoReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data.pop("seconds")
    return data


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> Iterator[ParseMemo]:
    fresh = ParseMemo()
    monkeypatch.setattr(context, "PARSED", fresh)
    yield fresh


def test_shared_parses_give_the_same_reports_in_any_order(
    memo: ParseMemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = []
    for repo in repos():  # each with an empty memo: nothing shared
        monkeypatch.setattr(context, "PARSED", ParseMemo())
        alone.append(signature(audit_repo(repo)))
    monkeypatch.setattr(context, "PARSED", memo)
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2, 1, 0]):
        for index in order:
            assert signature(audit_repo(repos()[index])) == alone[index], (order, index)
    assert memo.hits >= 10  # the shared CI file was parsed once and reused
    assert memo.misses == 2  # the shared CI file and the self-referencing one, once each
    # the reports differ where the repositories differ, so sharing did not blur them
    assert alone[0] != alone[1] != alone[2]


def test_the_memo_is_bounded_by_entries_and_bytes() -> None:
    limits = Limits()
    by_entries = ParseMemo(max_entries=2)
    for n in range(5):
        by_entries.get(f"f{n}.yml", f"k: {n}\n".encode(), limits, parse_bytes)
    assert by_entries.misses == 5
    by_entries.get("f4.yml", b"k: 4\n", limits, parse_bytes)
    by_entries.get("f0.yml", b"k: 0\n", limits, parse_bytes)  # evicted long ago
    assert (by_entries.hits, by_entries.misses) == (1, 6)
    by_bytes = ParseMemo(max_bytes=800)  # keeps texts up to 100 bytes, 800 in all
    big = b"k: " + b"x" * 200 + b"\n"
    by_bytes.get("big.yml", big, limits, parse_bytes)
    by_bytes.get("big.yml", big, limits, parse_bytes)
    assert by_bytes.hits == 0  # too big to keep
    for n in range(20):
        by_bytes.get(f"s{n}.yml", b"k: " + b"y" * 90 + b"\n", limits, parse_bytes)
    assert by_bytes.misses == 22
    by_bytes.get("s19.yml", b"k: " + b"y" * 90 + b"\n", limits, parse_bytes)
    by_bytes.get("s0.yml", b"k: " + b"y" * 90 + b"\n", limits, parse_bytes)
    assert (by_bytes.hits, by_bytes.misses) == (1, 23)


def test_same_text_under_another_name_is_parsed_again(memo: ParseMemo) -> None:
    limits = Limits()
    first = memo.get("a.yml", b"k: 1\n", limits, parse_bytes)
    second = memo.get("b.yml", b"k: 1\n", limits, parse_bytes)
    assert first is not second and second.path == "b.yml"  # findings name the right file
    assert memo.get("a.yml", b"k: 1\n", limits, parse_bytes) is first
