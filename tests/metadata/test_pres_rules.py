"""PRES001–PRES003 on small repositories: each fails on the gap it names and passes once fixed."""

from __future__ import annotations

from hepci.audit.engine import audit_repo
from hepci.core.repo import MemoryRepo

SNAKEFILE = 'rule all:\n    input: "out.txt"\n'
CI_BOTH = """\
include:
  - project: hepci/hepci
    ref: "0.1.0"
    file: /ci-templates/image-build.yml
  - component: $CI_SERVER_FQDN/hepci/hepci/metadata@0.1.0
"""
CITATION = """\
cff-version: 1.2.0
message: Cite it.
title: Dimuon analysis
version: 0.1.0
license: MIT
repository-code: https://gitlab.cern.ch/a/b
authors:
  - given-names: Jane
    family-names: Analyst
"""


def results(files: dict[str, str]) -> dict[str, object]:
    repo = MemoryRepo("x", {k: v.encode() for k, v in files.items()})
    return {r.id: r for r in audit_repo(repo).results if r.family == "PRES"}


def test_pres001_inputs_need_persistent_identifiers() -> None:
    base = {"Snakefile": SNAKEFILE}
    assert results({"README.md": "x"})["PRES001"].status == "skip"  # no workflow
    none = results(base)["PRES001"]
    assert none.status == "fail" and "no inputs declared" in none.findings[0].message
    url = results(
        {**base, "config.yaml": "input_files:\n  - root://eospublic.cern.ch//eos/x.root\n"}
    )
    assert url["PRES001"].status == "fail"
    assert "has no DOI or CERN Open Data record ID" in url["PRES001"].findings[0].message
    declared = (
        "datasets:\n  - name: MuOnia\n    recid: 30560\n    doi: 10.7483/OPENDATA.CMS.0UTR.A7KQ\n"
    )
    assert results({**base, "config.yaml": declared})["PRES001"].status == "pass"
    synthetic = "datasets:\n  - name: toy\n    synthetic: true\n"
    assert results({**base, "config/config.yaml": synthetic})["PRES001"].status == "pass"


def test_pres002_image_digest_recorded() -> None:
    dockerfile = {"Dockerfile": "FROM python:3.12-slim\n"}
    assert results({"README.md": "x"})["PRES002"].status == "skip"
    built_only = results(
        {**dockerfile, ".gitlab-ci.yml": CI_BOTH.split("  - component", maxsplit=1)[0]}
    )
    assert built_only["PRES002"].status == "fail"
    assert "include the metadata template" in built_only["PRES002"].findings[0].message
    assert results({**dockerfile, ".gitlab-ci.yml": CI_BOTH})["PRES002"].status == "pass"
    bare = results({**dockerfile, ".gitlab-ci.yml": "build:\n  script: [docker build .]\n"})
    assert "nothing builds the image" in bare["PRES002"].findings[0].message


def test_pres003_citation_complete() -> None:
    assert results({"CITATION.cff": CITATION})["PRES003"].status == "pass"
    thin = CITATION.replace("version: 0.1.0\n", "").replace(
        "repository-code: https://gitlab.cern.ch/a/b\n", ""
    )
    thin = thin.replace(
        "  - given-names: Jane\n    family-names: Analyst\n", "  - family-names: Analyst\n"
    )
    found = [f.message for f in results({"CITATION.cff": thin})["PRES003"].findings]
    assert found == [
        "CITATION.cff has no `version`",
        "CITATION.cff says nowhere where the work is (`repository-code`, `url` or `doi`)",
        "author 1 has `family-names` but no `given-names`",
    ]
    assert results({"README.md": "x"})["PRES003"].status == "skip"  # REPO003 failed
