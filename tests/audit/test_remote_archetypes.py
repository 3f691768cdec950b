"""The rules on GitLab projects (the double's archetypes), through the real remote sweep."""

from __future__ import annotations

import json

import pytest

from hepci.cli import main

LEGACY_BUILDS = {"kaniko-cern", "kaniko-handwritten", "docker-image-build", "dind-privileged"}


@pytest.fixture(scope="module")
def group_report(gitlab_double_ro, gitlab_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("remote") / "hep.json"
    mp = pytest.MonkeyPatch()
    mp.setenv("GITLAB_TOKEN", gitlab_world.tokens.reader)
    mp.setenv("HEPCI_CACHE_DIR", str(out.parent / "cache"))
    try:
        gitlab_double_ro.faults.clear()
        code = main(
            ["audit", "gitlab:hep", "--gitlab-url", gitlab_double_ro.url, "--no-progress",
             "--no-cache", "-f", f"json={out}", "--fail-on", "never"]
        )  # fmt: skip
    finally:
        mp.undo()
    data = json.loads(out.read_text())
    assert code == (3 if data["failures"] else 0)
    return {p["name"]: {r["id"]: r for r in p["results"]} for p in data["projects"]}


def audited(world, report, kinds):
    specs = [p for p in world.projects if p.kind in kinds and p.full_path in report]
    assert specs, f"the world has no audited {kinds} project"
    return specs


def test_template_versions(gitlab_world, group_report):
    for spec in audited(gitlab_world, group_report, {"hepci-0.1.0"}):
        rules = group_report[spec.full_path]
        assert [rules[i]["status"] for i in ("CI004", "CI005", "CI006")] == ["pass"] * 3
    for spec in audited(gitlab_world, group_report, {"hepci-0.0.9"}):
        ci006 = group_report[spec.full_path]["CI006"]
        assert {f["message"] for f in ci006["findings"]} == {
            "templates 0.0.9 are 1 minor version behind 0.1.0"
        }
    for spec in audited(gitlab_world, group_report, {"hepci-branch", "hepci-noref"}):
        ci005 = group_report[spec.full_path]["CI005"]
        assert ci005["status"] == "fail"
        expected = "`main` looks like a branch" if spec.kind == "hepci-branch" else "no `ref`"
        assert all(expected in f["message"] for f in ci005["findings"])
        assert group_report[spec.full_path]["CI006"]["status"] == "skip"


def test_legacy_builds_and_missing_ci(gitlab_world, group_report):
    for spec in audited(gitlab_world, group_report, LEGACY_BUILDS):
        ci013 = group_report[spec.full_path]["CI013"]
        assert ci013["status"] == "fail", spec.kind
        assert ci013["findings"][0]["fix"] == "legacy-image-build"
    for spec in audited(gitlab_world, group_report, {"python-tests", "no-tests", "snakemake"}):
        assert group_report[spec.full_path]["CI013"]["status"] == "pass"
    for spec in audited(gitlab_world, group_report, {"no-ci"}):
        assert group_report[spec.full_path]["CI001"]["status"] == "fail"


def test_workflow_and_listing_rules(gitlab_world, group_report):
    for spec in audited(gitlab_world, group_report, {"reana", "snakemake"}):
        assert group_report[spec.full_path]["WF001"]["status"] == "pass", spec.kind
    for rules in group_report.values():
        assert rules["REPO005"]["skip_reason"] == "the source cannot list its files cheaply"
        assert rules["GL004"]["status"] in ("pass", "fail")  # listing metadata is always there
