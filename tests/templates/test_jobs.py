"""python-tests, snakemake and lint, run for real by gitlab-ci-local on the host."""

from __future__ import annotations

import json
import os
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from templates._project import Project

pytestmark = pytest.mark.slow


def path_with(*dirs: Path) -> str:
    return os.pathsep.join([*(str(d) for d in dirs), os.environ.get("PATH", "")])


# --- python-tests ------------------------------------------------------------------------

PY_CI = """\
include:
  - local: /ci-templates/python-tests.yml
    inputs:
      python: $TEST_PYTHON
      needs: []
      coverage-source: zpeak
      pytest-args: -p no:cacheprovider tests
"""

PACKAGE = {
    "zpeak/__init__.py": "",
    "zpeak/cuts.py": (
        "def passes(pt, eta):\n"
        "    if pt < 25.0:\n"
        "        return False\n"
        "    return abs(eta) < 2.4\n\n\n"
        "def never_tested(x):\n"
        "    return x * 2\n"
    ),
    "tests/test_cuts.py": (
        "import pytest\n"
        "from zpeak.cuts import passes\n\n\n"
        "@pytest.mark.parametrize('pt, eta, ok', [(30, 0.1, True), (20, 0.1, False), (30, 3.0, False)])\n"
        "def test_passes(pt, eta, ok):\n"
        "    assert passes(pt, eta) is ok\n\n\n"
        "def test_symmetric():\n"
        "    assert passes(40, -1.0) == passes(40, 1.0)\n"
    ),
}


def _py_project(tmp_path: Path, venv_bin: Path, files: dict[str, str]) -> Project:
    project = Project.create(
        tmp_path / "pyana", {".gitlab-ci.yml": PY_CI, **PACKAGE, **files}, ("python-tests",)
    )
    project.variables = {"TEST_PYTHON": str(venv_bin / "python")}
    return project


def test_python_tests_reports(tmp_path: Path, gcl: str, venv_bin: Path) -> None:
    project = _py_project(tmp_path, venv_bin, {})
    done = project.gcl("python-tests", context="default")
    junit = ET.parse(project.artifact("python-tests", "reports/junit.xml")).getroot()
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "0")) == 4
    assert int(suite.get("failures", "0")) == 0
    cobertura = ET.parse(project.artifact("python-tests", "reports/coverage.xml")).getroot()
    assert cobertura.tag == "coverage"
    rate = float(cobertura.get("line-rate", "0"))
    assert 0.5 < rate < 1.0  # never_tested() is not covered
    classes = {c.get("filename") for c in cobertura.iter("class")}
    assert any(name and name.endswith("cuts.py") for name in classes)
    # The job's `coverage:` regex picks the total pytest-cov prints (as GitLab would).
    assert f"PASS  python-tests {round(rate * 100)}% coverage" in done.stdout


def test_python_tests_failure_still_reports(tmp_path: Path, gcl: str, venv_bin: Path) -> None:
    broken = {"tests/test_broken.py": "def test_wrong():\n    assert 1 + 1 == 3\n"}
    project = _py_project(tmp_path, venv_bin, broken)
    done = project.gcl("python-tests", context="default", check=False)
    assert done.returncode != 0
    junit = ET.parse(project.artifact("python-tests", "reports/junit.xml")).getroot()
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite is not None
    assert (int(suite.get("tests", "0")), int(suite.get("failures", "0"))) == (5, 1)


# --- snakemake -----------------------------------------------------------------------------

SNAKE_CI = """\
include:
  - local: /ci-templates/snakemake.yml
    inputs:
      needs: []
      config: sample=small
"""

SNAKEFILE = """\
configfile: "config/config.yaml"

rule all:
    input: f"results/{config['sample']}/count.txt"

rule select:
    input: "data/{sample}.csv"
    output: "results/{sample}/selected.csv"
    run:
        with open(input[0]) as src, open(output[0], "w") as dst:
            for line in src:
                if float(line.split(",")[1]) > config["pt_cut"]:
                    dst.write(line)

rule count:
    input: "results/{sample}/selected.csv"
    output: "results/{sample}/count.txt"
    shell: "wc -l < {input} | tr -d ' ' > {output}"
"""


def _events(n: int, seed: int) -> tuple[str, list[float]]:
    rng = random.Random(seed)
    pts = [round(rng.uniform(0, 80), 3) for _ in range(n)]
    return "".join(f"{i},{pt}\n" for i, pt in enumerate(pts)), pts


def test_snakemake_runs_small_sample(tmp_path: Path, gcl: str, snakemake_bin: Path) -> None:
    small, pts = _events(200, seed=7)
    big, _ = _events(1000, seed=8)
    files = {
        ".gitlab-ci.yml": SNAKE_CI,
        "Snakefile": SNAKEFILE,
        "config/config.yaml": "sample: full\npt_cut: 25.0\n",
        "data/small.csv": small,
        "data/full.csv": big,
    }
    project = Project.create(tmp_path / "wf", files, ("snakemake",))
    project.variables = {"PATH": path_with(snakemake_bin)}
    project.gcl("snakemake", context="default")
    count = project.artifact("snakemake", "results/small/count.txt").read_text().strip()
    assert int(count) == sum(pt > 25.0 for pt in pts)
    assert not project.artifact("snakemake", "results/full").exists()  # only the small sample
    logs = list(project.artifact("snakemake", ".snakemake/log").glob("*.snakemake.log"))
    assert len(logs) == 1


def test_snakemake_failure_fails_job_and_keeps_logs(
    tmp_path: Path, gcl: str, snakemake_bin: Path
) -> None:
    files = {
        ".gitlab-ci.yml": SNAKE_CI,
        "Snakefile": SNAKEFILE.replace("wc -l < {input}", "exit 3; wc -l < {input}"),
        "config/config.yaml": "sample: full\npt_cut: 25.0\n",
        "data/small.csv": _events(50, seed=1)[0],
    }
    project = Project.create(tmp_path / "wf", files, ("snakemake",))
    project.variables = {"PATH": path_with(snakemake_bin)}
    done = project.gcl("snakemake", context="default", check=False)
    assert done.returncode != 0
    log = next(project.artifact("snakemake", ".snakemake/log").glob("*.snakemake.log")).read_text()
    assert "Error in rule count" in log
    assert project.artifact("snakemake", "results/small/selected.csv").is_file()


# --- lint ----------------------------------------------------------------------------------

LINT_CI = """\
include:
  - local: /ci-templates/lint.yml
"""
YAMLLINT_CONFIG = "extends: default\nignore: |\n  ci-templates/\n  .gitlab-ci-local/\n"

GOOD_DOCKERFILE = "FROM python:3.12.7-slim\nWORKDIR /analysis\nCOPY . .\n"
BAD_DOCKERFILE = "FROM python:latest\nRUN cd /tmp && apt-get update && apt-get install -y curl\n"


def _lint_project(
    tmp_path: Path, files: dict[str, str], venv_bin: Path, hadolint_bin: Path
) -> Project:
    project = Project.create(
        tmp_path / "lintme",
        {".gitlab-ci.yml": "---\n" + LINT_CI, ".yamllint": YAMLLINT_CONFIG, **files},
        ("lint",),
    )
    project.variables = {"PATH": path_with(venv_bin, hadolint_bin)}
    return project


def test_lint_passes_on_a_clean_repository(
    tmp_path: Path, gcl: str, venv_bin: Path, hadolint_bin: Path
) -> None:
    files = {"docker/Dockerfile": GOOD_DOCKERFILE, "config.yaml": "---\nsample: small\n"}
    project = _lint_project(tmp_path, files, venv_bin, hadolint_bin)
    done = project.gcl("lint-yaml", "lint-dockerfile", context="default")
    assert "linting: ./docker/Dockerfile" in done.stdout
    assert (
        json.loads(project.artifact("lint-dockerfile", "hadolint-codequality.json").read_text())
        == []
    )


def test_lint_fails_on_bad_yaml_and_dockerfile(
    tmp_path: Path, gcl: str, venv_bin: Path, hadolint_bin: Path
) -> None:
    files = {"Dockerfile": BAD_DOCKERFILE, "config.yaml": "sample: small\nsample: big\n"}
    project = _lint_project(tmp_path, files, venv_bin, hadolint_bin)
    yaml_run = project.gcl("lint-yaml", context="default", check=False)
    assert yaml_run.returncode != 0
    assert "duplication of key" in yaml_run.stdout
    docker_run = project.gcl("lint-dockerfile", context="default", check=False)
    assert docker_run.returncode != 0
    report = json.loads(
        project.artifact("lint-dockerfile", "hadolint-codequality.json").read_text()
    )
    rules = {issue["check_name"] for issue in report}
    assert "DL3007" in rules  # FROM ...:latest
    assert all(issue["location"]["path"].endswith("Dockerfile") for issue in report)
