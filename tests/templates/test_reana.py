"""reana.yml, run for real: `reana-client validate` on good and broken specifications, and
submission to a REANA test double on 127.0.0.1 (success, failure, time-out, no token)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from templates._project import Project
from templates.reana_double import ReanaDouble

pytestmark = pytest.mark.slow

TOKEN = "reana-Secret-Token-0123456789"
IMAGE = "gitlab-registry.example.org/physics/zpeak"

REANA_YAML = f"""\
version: 0.9.0
inputs:
  files:
    - code/fit.py
    - data/sample.csv
  parameters:
    events: 1000
workflow:
  type: serial
  specification:
    steps:
      - name: fit
        environment: '{IMAGE}:latest'
        commands:
          - mkdir -p results && python code/fit.py --events ${{events}} > results/fit.txt
outputs:
  files:
    - results/fit.txt
"""

BROKEN_YAML = REANA_YAML.replace("type: serial", "type: make")

CI = """\
include:
  - local: /ci-templates/reana.yml
    inputs:
      server-url: {url}
      timeout: {timeout}
      needs: []
"""


@pytest.fixture
def reana(reana_bin: Path) -> Iterator[ReanaDouble]:
    double = ReanaDouble(token=TOKEN, running_polls=0).start()
    yield double
    double.stop()


def _project(tmp_path: Path, reana: ReanaDouble, reana_bin: Path, spec: str = REANA_YAML,
             timeout: int = 120) -> Project:  # fmt: skip
    files = {
        ".gitlab-ci.yml": CI.format(url=reana.url, timeout=timeout),
        "reana.yaml": spec,
        "code/fit.py": "print('fit')\n",
        "data/sample.csv": "1,30.5\n2,12.0\n",
    }
    project = Project.create(tmp_path / "zpeak", files, ("reana",))
    project.variables = {
        "PATH": f"{reana_bin}:/usr/local/bin:/usr/bin:/bin",
        "CI_REGISTRY_IMAGE": IMAGE,
        "REANA_ACCESS_TOKEN": TOKEN,
    }
    return project


def test_validate_accepts_good_and_rejects_broken_spec(
    tmp_path: Path, gcl: str, reana: ReanaDouble, reana_bin: Path
) -> None:
    good = _project(tmp_path / "good", reana, reana_bin)
    assert "SUCCESS: Workflow operations appear valid" in good.gcl("reana-validate").stdout
    bad = _project(tmp_path / "bad", reana, reana_bin, spec=BROKEN_YAML)
    done = bad.gcl("reana-validate", check=False)
    assert done.returncode != 0
    assert "make" in done.stdout
    assert reana.calls == []  # validation is offline


def test_run_success_downloads_outputs(
    tmp_path: Path, gcl: str, reana: ReanaDouble, reana_bin: Path
) -> None:
    project = _project(tmp_path, reana, reana_bin)
    sha = _short_sha(project)
    # The workflow is named after the pipeline (GitLab gives each its own CI_PIPELINE_ID).
    done = project.gcl("reana-run", context="schedule", extra={"CI_PIPELINE_ID": "4711"})
    assert TOKEN not in done.stdout + done.stderr
    (workflow,) = reana.workflows.values()
    assert workflow.name == "analysis-4711.1"
    # The analysis image is pinned to this commit, so REANA pulls the image just built.
    step = workflow.spec["workflow"]["specification"]["steps"][0]
    assert step["environment"] == f"{IMAGE}:{sha}"
    assert {"code/fit.py", "data/sample.csv"} <= set(workflow.files)
    fit = project.artifact("reana-run", "reana-outputs/results/fit.txt").read_text()
    assert fit.startswith(f"{workflow.name}: results/fit.txt")
    assert [c for c in reana.calls if c[1].endswith("/start")] == [
        ("POST", "/api/workflows/analysis-4711/start")
    ]


def test_run_failure_fails_job_and_keeps_logs(
    tmp_path: Path, gcl: str, reana: ReanaDouble, reana_bin: Path
) -> None:
    reana.outcome = "failed"
    project = _project(tmp_path, reana, reana_bin)
    done = project.gcl("reana-run", context="web", extra={"CI_PIPELINE_ID": "4712"}, check=False)
    assert done.returncode != 0
    assert "workflow analysis-4712 failed" in done.stdout + done.stderr
    logs = project.artifact("reana-run", "reana-logs.txt").read_text()
    assert "is failed" in logs
    assert not project.artifact("reana-run", "reana-outputs").exists()


def test_run_timeout_stops_workflow_and_fails(
    tmp_path: Path, gcl: str, reana: ReanaDouble, reana_bin: Path
) -> None:
    reana.outcome = "running"
    project = _project(tmp_path, reana, reana_bin, timeout=8)
    done = project.gcl("reana-run", context="schedule", check=False)
    assert done.returncode != 0
    assert "still running after 8s: stopping it" in done.stdout + done.stderr
    (workflow,) = reana.workflows.values()
    assert workflow.status == "stopped"


def test_run_without_token_fails_before_contacting_reana(
    tmp_path: Path, gcl: str, reana: ReanaDouble, reana_bin: Path
) -> None:
    project = _project(tmp_path, reana, reana_bin)
    del project.variables["REANA_ACCESS_TOKEN"]
    done = project.gcl("reana-run", context="schedule", check=False)
    assert done.returncode != 0
    assert "REANA_ACCESS_TOKEN is not set" in done.stdout + done.stderr
    assert reana.calls == []


def _short_sha(project: Project) -> str:
    from templates._project import git

    return git(project.path, "rev-parse", "--short=8", "HEAD")
