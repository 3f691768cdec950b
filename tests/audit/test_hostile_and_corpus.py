"""Hostile files become findings, never crashes; every corpus file audits without an error."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from conftest import corpus_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hepci.audit.engine import audit_repo
from hepci.core.repo import LocalRepo, MemoryRepo

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def ci_result(report, rule_id="CI002"):
    return next(r for r in report.results if r.id == rule_id)


def no_crash(report):
    return [r.id for r in report.results if r.status == "error"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (BOMB.encode(), "YAML bomb"),
        (b"\x7fELF\x00\x00\x01binary", "binary file"),
        (b"job:\n  script: [\xff\xfe]\n", "invalid UTF-8"),
    ],
    ids=["yaml-bomb", "binary", "invalid-utf8"],
)
def test_hostile_ci_file_is_a_ci002_finding(content, expected):
    started = time.perf_counter()
    report = audit_repo(MemoryRepo("hostile", {".gitlab-ci.yml": content}))
    assert time.perf_counter() - started < 20
    assert no_crash(report) == []
    result = ci_result(report)
    assert result.status == "fail"
    assert expected.lower() in result.findings[0].message.lower()
    assert ci_result(report, "CI007").skip_reason.startswith("requires CI002")


def test_hostile_file_in_a_local_include():
    files = {".gitlab-ci.yml": b"include: [ci/a.yml]\n", "ci/a.yml": BOMB.encode()}
    report = audit_repo(MemoryRepo("r", files))
    assert no_crash(report) == []
    assert ci_result(report).status == "fail"


def test_sparse_50mb_files_are_not_read(tmp_path):
    with (tmp_path / ".gitlab-ci.yml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with (tmp_path / "events.root").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (tmp_path / "reana.yaml").write_bytes(b"\xff\xfeworkflow")
    (tmp_path / "Dockerfile").write_bytes(b"\x00\x01\x02")
    started = time.perf_counter()
    report = audit_repo(LocalRepo(tmp_path))
    assert time.perf_counter() - started < 10
    assert no_crash(report) == []
    assert "over the 2,097,152-byte limit" in ci_result(report).findings[0].message
    large = ci_result(report, "REPO005")
    assert [f.path for f in large.findings] == [".gitlab-ci.yml", "events.root"]
    wf002 = ci_result(report, "WF002")
    assert wf002.status == "fail" and wf002.findings[0].path == "reana.yaml"


def test_unreadable_config_toml_is_a_config_error():
    from hepci.errors import ConfigError

    with pytest.raises(ConfigError, match="not UTF-8"):
        audit_repo(MemoryRepo("r", {".hepci.toml": b"\xff\xfe"}))


@pytest.mark.corpus
def test_corpus_audits_without_internal_errors(corpus_dir):
    files = corpus_files()
    assert len(files) >= 50
    per_rule: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for path in files:
        report = audit_repo(MemoryRepo(path.name, {".gitlab-ci.yml": path.read_bytes()}))
        assert no_crash(report) == [], path.name
        for result in report.results:
            statuses[result.status] += 1
            if result.status == "fail" and result.family == "CI":
                per_rule[result.id] += 1
    print(f"\ncorpus: {len(files)} files; failing CI rules: {dict(sorted(per_rule.items()))}")
    # real-world files exercise the deprecation and pinning rules, not just the empty path
    assert per_rule["CI001"] == 0
    assert per_rule["CI007"] > 0 and per_rule["CI010"] > 0 and per_rule["CI012"] > 0
    assert per_rule["CI002"] < len(files) // 4


YAMLISH = st.text(
    alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#\n  \t.$@/=0123456789")), max_size=200
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ci=YAMLISH, dockerfile=st.text(max_size=120), reana=YAMLISH)
def test_arbitrary_files_never_crash_a_rule(ci, dockerfile, reana):
    files = {".gitlab-ci.yml": ci, "Dockerfile": dockerfile, "reana.yaml": reana}
    report = audit_repo(MemoryRepo("fuzz", {k: v.encode() for k, v in files.items()}))
    assert no_crash(report) == []
    assert {r.status for r in report.results} <= {"pass", "fail", "skip"}
