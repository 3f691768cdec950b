"""ci-templates/metadata.yml, run for real by gitlab-ci-local after image-build and snakemake:
Buildah pushes the image to a registry on 127.0.0.1, the image-build job's dotenv report hands
the pushed digest to the metadata job, which records it and the workflow's outputs (sizes,
sha256) in a Workflow Run Crate that roc-validator accepts."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from gitlab_double.job_logs import html_summary
from metadata.conftest import required_issues
from templates._project import Project
from templates._registry import Registry, fresh_storage

from hepci.gitlab.artifacts import summary_line
from hepci.metadata.codemeta import validate_codemeta
from hepci.metadata.summary import LOG_PREFIX, parse_log_summary

pytestmark = pytest.mark.slow

CI = """\
stages: [build, test, deploy]
include:
  - local: /ci-templates/image-build.yml
    inputs:
      context-dir: docker
      build-args: BASE=$BASE_IMAGE
      cache: "false"
  - local: /ci-templates/snakemake.yml
    inputs:
      needs: []
  - local: /ci-templates/metadata.yml
"""
SNAKEFILE = """\
configfile: "config/config.yaml"

rule all:
    input: "results/count.txt"

rule count:
    input: "data/small.csv"
    output: "results/count.txt"
    shell: "wc -l < {input} | tr -d ' ' > {output}"
"""
CONFIG = """\
datasets:
  - name: small synthetic sample
    synthetic: true
    description: made by the test
  - name: MuOnia Run2016H NanoAOD
    recid: 30560
    doi: 10.7483/OPENDATA.CMS.0UTR.A7KQ
    events: 38094977
"""
CITATION = """\
cff-version: 1.2.0
message: Cite it.
title: Run crate analysis
authors:
  - given-names: Jane
    family-names: Analyst
license: MIT
"""


def test_metadata_job_records_pushed_digest_and_outputs(
    tmp_path: Path, registry: Registry, base_image: str, gcl: str, snakemake_bin: Path,
    venv_bin: Path, validate_crate,
) -> None:  # fmt: skip
    files = {
        ".gitlab-ci.yml": CI,
        "docker/Dockerfile": "ARG BASE=missing\nFROM ${BASE}\nCOPY app.txt /app/app.txt\n",
        "docker/app.txt": "v1\n",
        "Snakefile": SNAKEFILE,
        "config/config.yaml": CONFIG,
        "data/small.csv": "".join(f"{i},{i * 1.5}\n" for i in range(37)),
        "CITATION.cff": CITATION,
        "README.md": "# Run crate analysis\n",
    }
    project = Project.create(tmp_path / "runcrate", files, ("image-build", "snakemake", "metadata"))
    name = "physics/runcrate"
    storage = tmp_path / "storage"
    storage.mkdir()
    project.variables = {
        "CI_REGISTRY": registry.host,
        "CI_REGISTRY_IMAGE": f"{registry.host}/{name}",
        "CI_REGISTRY_USER": registry.user,
        "CI_REGISTRY_PASSWORD": registry.password,
        "CI_PROJECT_URL": "https://gitlab.example.org/physics/runcrate",
        "BASE_IMAGE": base_image,
        "PATH": f"{snakemake_bin}:{venv_bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        **fresh_storage(storage),
    }
    done = project.gcl("image-build", "snakemake", "metadata", context="default", timeout=900)
    assert registry.password not in done.stdout + done.stderr

    digest, _ = registry.manifest(name, "latest")
    assert digest.startswith("sha256:")
    crate_file = project.artifact("metadata", "ro-crate-metadata.json")
    crate = json.loads(crate_file.read_text())
    graph = {entity["@id"]: entity for entity in crate["@graph"]}
    image = graph["#image-1"]
    assert image["@type"] == "ContainerImage"
    assert image["sha256"] == digest.removeprefix("sha256:")  # the pushed manifest's digest
    assert image["name"] == f"{registry.host}/{name}"

    expected = project.artifact("snakemake", "results/count.txt").read_bytes()
    assert expected.strip() == b"37"
    output = graph["results/count.txt"]
    assert output["sha256"] == hashlib.sha256(expected).hexdigest()
    assert output["contentSize"] == str(len(expected))
    action = next(e for e in crate["@graph"] if e["@type"] == "CreateAction")
    assert action["instrument"] == {"@id": "Snakefile"}
    assert {"@id": "results/count.txt"} in _list(action["result"])
    assert action["containerImage"] == {"@id": "#image-1"}
    recid = [
        e for e in crate["@graph"] if e.get("identifier") == "https://opendata.cern.ch/record/30560"
    ]
    assert recid and recid[0]["@id"] == "https://doi.org/10.7483/OPENDATA.CMS.0UTR.A7KQ"
    profiles = {p["@id"] for p in _list(graph["./"]["conformsTo"])}
    assert "https://w3id.org/ro/wfrun/workflow/0.5" in profiles

    # The job's log ends with the summary line the group catalogue reads (through GitLab's
    # HTML rendering of the log's tail): the pushed digest and the crate file's sha256.
    logged = [line for line in done.stdout.splitlines() if LOG_PREFIX in line]
    assert logged, done.stdout[-3000:]
    summary = parse_log_summary(logged[-1][logged[-1].index(LOG_PREFIX) :])
    assert summary is not None and summary["digest"] == digest
    assert (
        summary["crate_sha256"] == "sha256:" + hashlib.sha256(crate_file.read_bytes()).hexdigest()
    )
    assert summary["datasets"] == ["synthetic", "doi:10.7483/OPENDATA.CMS.0UTR.A7KQ"]
    assert summary_line(html_summary(done.stdout.encode(), 25)) is not None
    # codemeta.json is kept next to the crate and validates against the shipped contexts
    codemeta = json.loads(project.artifact("metadata", "codemeta.json").read_text())
    assert codemeta["name"] == "Run crate analysis" and validate_codemeta(codemeta) == []

    # The crate describes the checkout plus the workflow's outputs: validate it there.
    shutil.copytree(
        project.artifact("snakemake", "results"), project.path / "results", dirs_exist_ok=True
    )
    shutil.copy(crate_file, project.path / "ro-crate-metadata.json")
    result = validate_crate(project.path, "workflow-run-crate")
    # The validator checks that web-based data entities (the DOI) answer: offline they cannot.
    assert set(result["offline_misses"]) <= {"https://doi.org/10.7483/OPENDATA.CMS.0UTR.A7KQ"}
    assert required_issues(result) == []


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]
