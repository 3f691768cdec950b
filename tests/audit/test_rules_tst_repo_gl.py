"""TST001–TST003, REPO001–REPO006 and GL001–GL004."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hepci.audit.config import AuditConfig
from hepci.core.repo import RepoMeta

CI_TESTS = "test:\n  script: [pytest --cov=src]\n  coverage: '/TOTAL.* (\\d+)%/'\n"


def where(result):
    return [(f.path, f.line, f.message) for f in result.findings]


def test_tests_chain_passes(audit):
    report = audit({".gitlab-ci.yml": CI_TESTS, "tests/test_cuts.py": "def test(): pass\n"})
    assert {r.id: r.status for r in report.results if r.family == "TST"} == {
        "TST001": "pass",
        "TST002": "pass",
        "TST003": "pass",
    }


def test_tst001_no_tests(audit):
    report = audit({".gitlab-ci.yml": CI_TESTS, "src/a.py": ""})
    tst = {r.id: r for r in report.results if r.family == "TST"}
    assert where(tst["TST001"]) == [
        ("tests/", None, "no tests (tests/ folder, test_*.py, *.feature)")
    ]
    assert tst["TST002"].skip_reason == "requires TST001 (Tests exist), which failed"


def test_tst001_without_a_listing(rule):
    result = rule("TST001", {"tests/test_a.py": ""}, listable=False)
    assert result.status == "skip"
    assert result.skip_reason == "the source cannot list its files cheaply"
    assert rule("TST001", {"tests/conftest.py": ""}, listable=False).status == "pass"


def test_tst002_tests_not_in_ci(rule):
    files = {".gitlab-ci.yml": "build:\n  script: [make]\n", "test_x.py": ""}
    assert where(rule("TST002", files)) == [
        (".gitlab-ci.yml", 1, "no CI job runs the tests (pytest, ctest, make test, …)")
    ]


@pytest.mark.parametrize(
    "command", ["python -m pytest tests", "ctest --output-on-failure", "make test"]
)
def test_tst002_commands(rule, command):
    files = {".gitlab-ci.yml": f"t:\n  script: ['{command}']\n", "tests/test_x.py": ""}
    assert rule("TST002", files).status == "pass"


def test_tst003_no_coverage(rule):
    files = {".gitlab-ci.yml": "t:\n  script: [pytest]\n", "tests/test_x.py": ""}
    result = rule("TST003", files)
    assert result.severity == "info"
    assert where(result) == [
        (".gitlab-ci.yml", 1, "no job reports coverage (`coverage:` or `coverage_report`)")
    ]


def test_repo_hygiene_passes(audit):
    cff = "cff-version: 1.2.0\nmessage: cite\ntitle: Dimuon\nauthors:\n  - family-names: Analyst\n"
    files = {"README.md": "x", "LICENSE": "MIT", "CITATION.cff": cff, ".gitignore": "*.root\n"}
    report = audit(files)
    assert {r.id: r.status for r in report.results if r.family == "REPO"} == {
        "REPO001": "pass",
        "REPO002": "pass",
        "REPO003": "pass",
        "REPO004": "pass",
        "REPO005": "pass",
        "REPO006": "pass",
    }


def test_repo_missing_files(audit):
    report = audit({"src/a.py": ""})
    got = {r.id: where(r) for r in report.results if r.family == "REPO" and r.status == "fail"}
    assert got == {
        "REPO001": [("README.md", None, "no README")],
        "REPO002": [("LICENSE", None, "no LICENSE file")],
        "REPO003": [("CITATION.cff", None, "no CITATION.cff")],
        "REPO004": [(".gitignore", None, "no .gitignore")],
    }


def test_repo003_invalid_citation(rule):
    cff = "cff-version: 1.2.0\ntitle: x\nauthors:\n  - given-names: Jane\n"
    result = rule("REPO003", {"CITATION.cff": cff})
    assert [f.message for f in result.findings] == [
        "missing required key `message`",
        "author 1 needs `family-names` or `name`",
    ]


def test_repo005_large_and_root_files(rule):
    files = {
        "data/events.root": b"r" * (2 * 1024 * 1024),
        "small.root": b"r" * 100,
        "notes.txt": "x",
    }
    result = rule("REPO005", files)
    assert where(result) == [("data/events.root", None, "data/events.root is 2.0 MB")]
    big = {"blob.bin": b"\0" * (3 * 1024 * 1024)}
    assert rule("REPO005", big, config=AuditConfig(large_file_mb=2)).status == "fail"
    assert rule("REPO005", big).status == "pass"


def test_repo006_secrets_are_found_and_not_shown(rule):
    token = "glpat-" + "a1B2c3D4e5F6g7H8i9J0"
    files = {
        "run.sh": f"#!/bin/sh\nexport TOKEN={token}\n",
        "keys/id_rsa": "whatever",
        "config.py": "KEY = '-----BEGIN OPENSSH " + "PRIVATE KEY-----'\n",
        "ok.py": "token = os.environ['GITLAB_TOKEN']\n",
    }
    result = rule("REPO006", files)
    assert where(result) == [
        ("config.py", 1, "private key (value not shown)"),
        ("keys/id_rsa", None, "credential file committed"),
        ("run.sh", 2, "GitLab token (value not shown)"),
    ]
    assert all(token not in f.message for f in result.findings)


def _meta(**kwargs):
    return RepoMeta(full_path="grp/ana", web_url="https://gitlab.example/grp/ana", **kwargs)


def test_gl_rules_skip_for_local_repositories(audit):
    report = audit({"README.md": "x"})
    gl = [r for r in report.results if r.family == "GL"]
    assert [r.status for r in gl] == ["skip"] * 4
    assert {r.skip_reason for r in gl} == {"local repository: no GitLab project settings"}


def test_gl_rules_fail_on_bad_settings(audit):
    old = (datetime.now(timezone.utc) - timedelta(days=800)).isoformat()
    meta = _meta(
        default_branch="main",
        default_branch_protected=False,
        latest_pipeline_status="failed",
        container_registry_enabled=False,
        last_activity_at=old,
    )
    ci = "build:\n  image: quay.io/buildah/stable:v1\n  script: [buildah build -t x .]\n"
    report = audit({".gitlab-ci.yml": ci}, meta=meta)
    got = {r.id: [f.message for f in r.findings] for r in report.results if r.family == "GL"}
    assert got == {
        "GL001": ["default branch `main` is not protected"],
        "GL002": ["the latest default-branch pipeline failed"],
        "GL003": ["CI builds images but the container registry is disabled"],
        "GL004": ["no activity for 26 months (limit 12)"],
    }
    assert report.web_url == "https://gitlab.example/grp/ana"


def test_gl_rules_pass_on_good_settings(audit):
    recent = datetime.now(timezone.utc).isoformat()
    meta = _meta(
        default_branch_protected=True,
        latest_pipeline_status="success",
        container_registry_enabled=True,
        last_activity_at=recent,
    )
    report = audit({".gitlab-ci.yml": "t:\n  script: [x]\n"}, meta=meta)
    got = {r.id: (r.status, r.skip_reason) for r in report.results if r.family == "GL"}
    assert got == {
        "GL001": ("pass", None),
        "GL002": ("pass", None),
        "GL003": ("skip", "CI builds no image"),
        "GL004": ("pass", None),
    }


def test_gl004_inactive_months_from_config(rule):
    stamp = (datetime.now(timezone.utc) - timedelta(days=100)).isoformat()
    meta = _meta(last_activity_at=stamp)
    assert rule("GL004", {}, meta=meta).status == "pass"
    result = rule("GL004", {}, meta=meta, config=AuditConfig(inactive_months=2))
    assert [f.message for f in result.findings] == ["no activity for 3 months (limit 2)"]
