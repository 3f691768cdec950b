"""The generated `.gitlab-ci.yml` runs under gitlab-ci-local with our real templates.

The includes are fetched for real: a git smart-HTTP server on 127.0.0.1 serves a
`hepci/hepci` repository holding this checkout's `templates/` and `ci-templates/` at the tag
of this version, and the analysis repository's `origin` is on that host. gitlab-ci-local
4.72.0 resolves `include: component: $CI_SERVER_FQDN/hepci/hepci/<name>@<version>` (and
`include: project`) by a shallow sparse `git clone --branch <version>` of that project from
the origin's host, as GitLab resolves them on the same instance. Jobs run on the host
(`--force-shell-executor`) with the session's physics virtualenv first on PATH, standing in
for the analysis image that image-build would produce.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import pytest
from scaffold.support import REPO_ROOT, combo_id, git, pip_install, render, run
from templates._gitserver import GitServer
from templates._project import job_shell_level

from hepci import __version__

GCL = shutil.which("gitlab-ci-local")
# Predefined variables the tests set themselves (gitlab-ci-local would refuse to override).
PREDEFINED = "CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_DEFAULT_BRANCH,CI_REGISTRY_IMAGE"

pytestmark = pytest.mark.skipif(GCL is None, reason="gitlab-ci-local is not installed")


def prepare(repo: Path, server: GitServer) -> None:
    """A git repository on `main` whose origin is on the host that serves hepci/hepci."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hepci new")
    git(repo, "remote", "add", "origin", server.url("cms-analysis/example/analysis"))
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")


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
    env["SHLVL"] = job_shell_level()  # job shells must not read ~/.bashrc (see there)
    if "PATH" in values:  # gitlab-ci-local's own PATH too: its shell jobs start from it
        env["PATH"] = values["PATH"]
    done = run([*cmd, *args], cwd=repo, env=env, timeout=timeout)
    if done.returncode != 0 and fetch_race(done.stdout + done.stderr):
        done = run([*cmd, *args], cwd=repo, env=env, timeout=timeout)  # the rest is cached now
    return done


def fetch_race(output: str) -> bool:
    """gitlab-ci-local 4.72.0 fetches the components of one project and ref in parallel, each
    clone ending in `cp -r <clone>/templates <ref dir>`: two at once can fail with "File exists"
    (parser-includes.ts, downloadIncludeComponent). Nothing is wrong with the include; the
    files fetched so far are cached, so a second run fetches only the missing one."""
    return "Component include could not be fetched" in output and "File exists" in output


def expected_jobs(flavour: str, workflow: str) -> set[str]:
    jobs = {"image-build", "python-tests", "lint-yaml", "lint-dockerfile", "lint-hepci", "metadata"}
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
    ("columnar", "snakemake", {}),
    ("columnar", "none", {}),
    ("cmssw", "snakemake", {}),
    ("cmssw", "reana-serial", {}),
    ("both", "reana-snakemake", {}),
    ("both", "reana-snakemake", {"include_style": "project"}),
]


def listed_jobs(repo: Path, **variables: str) -> list[dict[str, object]]:
    done = gcl(repo, "--list-json", variables=variables)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    listed = json.loads(done.stdout[done.stdout.index("[") :])
    return [job for job in listed if job.get("when") != "never"]


@pytest.mark.parametrize(
    ("flavour", "workflow", "extra"),
    PIPELINE_CASES,
    ids=[combo_id(*case) for case in PIPELINE_CASES],
)
def test_default_branch_pipeline_has_the_expected_jobs(
    rendered, templates_server, tmp_path, flavour, workflow, extra
):
    repo = tmp_path / "repo"
    shutil.copytree(rendered[combo_id(flavour, workflow, extra)], repo)
    prepare(repo, templates_server)
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
    # Fetched from the served project at the release tag, byte for byte our files.
    assert templates_server.fetched("hepci/hepci")
    cache = repo / ".gitlab-ci-local" / "includes" / "127.0.0.1" / "hepci" / "hepci" / __version__
    fetched = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*.yml"))
    assert fetched, "nothing was fetched"
    for rel in fetched:
        assert (cache / rel).read_bytes() == (REPO_ROOT / rel).read_bytes(), rel
    style = extra.get("include_style", "component")
    assert {rel.split("/")[0] for rel in fetched} == {
        "templates" if style == "component" else "ci-templates"
    }


@pytest.mark.slow
def test_push_to_main_runs_unit_tests_and_workflow(
    physics_venv, templates_server, tmp_path_factory
):
    """The component includes of a fresh `hepci new` repository run their jobs for real."""
    repo = render(tmp_path_factory.mktemp("gcl"), "columnar", "snakemake")
    assert "component: $CI_SERVER_FQDN/hepci/hepci/" in (repo / ".gitlab-ci.yml").read_text()
    pip_install(physics_venv, "-e", ".", "--group", "test", "--group", "workflow", cwd=repo)
    prepare(repo, templates_server)
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
