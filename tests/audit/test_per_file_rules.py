"""CI rules that judge each CI file on its own run once per distinct parsed file.

A group sweep meets one CI file in many projects (``ParseMemo`` hands them the same parsed
file); a :class:`~hepci.audit.rules.ci.CiFileRule` keeps its findings on that file, so the
next project with the same content costs a look-up. What must hold: the same findings as
running the check afresh, each file's own path in them, and nothing kept across different
content.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import pytest

from hepci.audit.engine import audit_repo
from hepci.audit.model import Finding, RepoReport
from hepci.audit.rule import all_rules
from hepci.audit.rules import _ci
from hepci.audit.rules.ci import CiFileRule
from hepci.core.cilocal import LoadedFile
from hepci.core.cimodel import ci_config
from hepci.core.repo import MemoryRepo
from hepci.core.yamledit import parse_text

DEPRECATED = b"include: [{local: ci/more.yml}]\nbuild:\n  script: [echo $CI_BUILD_REF]\n"
INCLUDED = b"deploy:\n  image: python:latest\n  script: [echo $CI_JOB_JWT]\n  only: [main]\n"


def _audit(name: str, ci: bytes, included: bytes = INCLUDED) -> RepoReport:
    files = {".gitlab-ci.yml": ci, "ci/more.yml": included, "README.md": b"# x\n"}
    return audit_repo(MemoryRepo(name, files), read_config=False)


def _findings(report: RepoReport) -> dict[str, list[tuple[str | None, int | None, str]]]:
    per_file = {r.id for r in report.results if issubclass(all_rules()[r.id], CiFileRule)}
    return {
        r.id: [(f.path, f.line, f.message) for f in r.findings]
        for r in report.results
        if r.id in per_file
    }


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Calls of CI008's ``check_file`` (on a fresh per-file store: a new process)."""
    monkeypatch.setattr(_ci, "_BY_FILE", WeakKeyDictionary())
    calls = {"CI008": 0}
    rule = all_rules()["CI008"]
    original = rule.check_file

    def check_file(self: CiFileRule, loaded: LoadedFile) -> list[Finding]:
        calls["CI008"] += 1
        return original(self, loaded)  # type: ignore[arg-type]

    monkeypatch.setattr(rule, "check_file", check_file)
    return calls


def test_the_same_root_file_is_checked_once_across_projects(counted: dict[str, int]) -> None:
    first = _audit("group/a", DEPRECATED)
    assert counted["CI008"] == 2  # the root and its local include
    second = _audit("group/b", DEPRECATED)
    # the root is shared through ParseMemo: only the include (parsed per project) is re-checked
    assert counted["CI008"] == 3
    assert _findings(first) == _findings(second)
    messages = {(path, line) for path, line, _ in _findings(first)["CI008"]}
    assert messages == {(".gitlab-ci.yml", 3), ("ci/more.yml", 3)}


def test_kept_findings_equal_a_fresh_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ci, "_BY_FILE", WeakKeyDictionary())
    warm = [_findings(_audit(f"group/{i}", DEPRECATED)) for i in range(3)]
    monkeypatch.setattr(_ci, "_BY_FILE", WeakKeyDictionary())
    fresh = _findings(_audit("group/fresh", DEPRECATED))
    assert warm == [fresh] * 3
    assert {"CI003", "CI007", "CI008", "CI009", "CI010"} <= set(fresh)
    assert fresh["CI007"] and fresh["CI010"]  # `only:` and `:latest` in the include


def test_different_content_is_checked_again(counted: dict[str, int]) -> None:
    _audit("group/a", DEPRECATED)
    clean = b"build:\n  script: [echo $CI_COMMIT_SHA]\n"
    report = _audit("group/b", clean)
    assert counted["CI008"] == 3  # a's two files, then b's root (it includes nothing)
    assert _findings(report)["CI008"] == []


def test_a_check_that_raises_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ci, "_BY_FILE", WeakKeyDictionary())
    calls = []

    def failing(_loaded: LoadedFile) -> list[Finding]:
        calls.append(1)
        raise RuntimeError("boom")

    file = parse_text("build:\n  script: [x]\n", ".gitlab-ci.yml")
    item = LoadedFile(".gitlab-ci.yml", file, ci_config(file))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            _ci.file_findings("X001", item, failing)
    assert len(calls) == 2 and file not in _ci._BY_FILE
