"""The generated `.gitlab-ci.yml` runs under gitlab-ci-local with our real templates.

`include: project` makes gitlab-ci-local fetch from the origin's host; its include cache
(`.gitlab-ci-local/includes/<host>/<project>/<ref>/<file>`, 4.72.0) is seeded with this
checkout's `ci-templates/`, so nothing is fetched and the generated file runs unchanged.
Jobs run on the host (`--force-shell-executor`) with the session's physics virtualenv first
on PATH, standing in for the analysis image that image-build would produce.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import pytest
import yaml
from scaffold.support import REPO_ROOT, combo_id, git, pip_install, render, run

GCL = shutil.which("gitlab-ci-local")
ORIGIN_HOST = "127.0.0.1"
ORIGIN = f"http://{ORIGIN_HOST}:9/cms-analysis/example/analysis.git"  # never contacted
# Predefined variables the tests set themselves (gitlab-ci-local would refuse to override).
PREDEFINED = "CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH,CI_REGISTRY_IMAGE"

pytestmark = pytest.mark.skipif(GCL is None, reason="gitlab-ci-local is not installed")


def prepare(repo: Path) -> None:
    """A git repository on `main` with an origin, and the include cache seeded."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hepci new")
    git(repo, "remote", "add", "origin", ORIGIN)
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    for include in ci["include"]:
        cached = (
            repo
            / ".gitlab-ci-local"
            / "includes"
            / ORIGIN_HOST
            / include["project"]
            / include["ref"]
            / include["file"].lstrip("/")
        )
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / include["file"].lstrip("/"), cached)


def gcl(repo: Path, *args: str, variables: dict[str, str] | None = None, timeout: float = 600):
    values = {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_DEFAULT_BRANCH": "main",
        **(variables or {}),
    }
    home = repo.parent / f"{repo.name}-gcl-home"
    home.mkdir(exist_ok=True)
    cmd = [
        GCL,
        "--home",
        str(home),
        "--no-color",
        "--force-shell-executor",
        "--ignore-schema-paths",
        "#/definitions/tags/minItems",
    ]
    for key, value in values.items():
        cmd += ["--variable", f"{key}={value}"]
    env = {**os.environ, "NO_COLOR": "1", "GCL_IGNORE_PREDEFINED_VARS": PREDEFINED}
    return run([*cmd, *args], cwd=repo, env=env, timeout=timeout)


def expected_jobs(flavour: str, workflow: str) -> set[str]:
    jobs = {"image-build", "python-tests", "lint-yaml", "lint-dockerfile", "lint-hepci"}
    if workflow in {"snakemake", "reana-snakemake"} and flavour != "cmssw":
        jobs.add("snakemake")
    if workflow.startswith("reana"):
        jobs.add("reana-validate")  # reana-run: web, schedules, tags, or manual on changes
    if flavour != "columnar":
        jobs |= {"cmssw-build", "cmssw-test"}
    return jobs


# Between them these include every template and every conditional job; the other
# combinations are checked statically (schema, include inputs) in test_render.py.
PIPELINE_CASES = [
    ("columnar", "snakemake"),
    ("columnar", "none"),
    ("cmssw", "snakemake"),
    ("cmssw", "reana-serial"),
    ("both", "reana-snakemake"),
]


def listed_jobs(repo: Path, **variables: str) -> list[dict[str, object]]:
    done = gcl(repo, "--list-json", variables=variables)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    listed = json.loads(done.stdout[done.stdout.index("[") :])
    return [job for job in listed if job.get("when") != "never"]


@pytest.mark.parametrize(
    ("flavour", "workflow"), PIPELINE_CASES, ids=[combo_id(*case) for case in PIPELINE_CASES]
)
def test_default_branch_pipeline_has_the_expected_jobs(rendered, tmp_path, flavour, workflow):
    repo = tmp_path / "repo"
    shutil.copytree(rendered[combo_id(flavour, workflow)], repo)
    prepare(repo)
    listed = listed_jobs(repo)
    jobs = {str(job["name"]) for job in listed}
    assert jobs - {"lint-audit"} == expected_jobs(flavour, workflow), jobs
    stages = {str(job["name"]): job["stage"] for job in listed}
    assert stages["image-build"] == "build" and stages["python-tests"] == "test"
    if flavour != "columnar":
        assert stages["cmssw-build"] == "build" and stages["cmssw-test"] == "test"
    if workflow.startswith("reana"):  # a pipeline started by hand (web) runs on REANA
        web = {str(job["name"]) for job in listed_jobs(repo, CI_PIPELINE_SOURCE="web")}
        assert "reana-run" in web


@pytest.mark.slow
def test_push_to_main_runs_unit_tests_and_workflow(physics_venv, tmp_path_factory):
    repo = render(tmp_path_factory.mktemp("gcl"), "columnar", "snakemake")
    pip_install(physics_venv, "-e", ".", "--group", "test", "--group", "workflow", cwd=repo)
    prepare(repo)
    path = f"{physics_venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    done = gcl(repo, "python-tests", "snakemake", variables={"PATH": path, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    artifacts = repo / ".gitlab-ci-local" / "artifacts"
    junit = (artifacts / "python-tests" / "reports" / "junit.xml").read_text()
    assert 'failures="0"' in junit and 'errors="0"' in junit
    assert int(junit.split('tests="')[1].split('"')[0]) >= 8
    assert (artifacts / "python-tests" / "reports" / "coverage.xml").is_file()
    png = (artifacts / "snakemake" / "results" / "dimuon_mass.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24])[0] >= 400
    fit = json.loads((artifacts / "snakemake" / "results" / "fit.json").read_text())
    assert abs(fit["peak_mass_gev"] - 91.1876) < 1.0
