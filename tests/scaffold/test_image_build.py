"""The generated pipeline's image-build job, run for real (columnar + snakemake, the default).

`hepci new` renders the repository with its base image pointed at a stand-in for
`python:3.11-slim-bookworm` (Debian bookworm made here with debootstrap, see standin.py) in a
real registry on 127.0.0.1 (htpasswd auth over TLS). gitlab-ci-local runs the generated
`.gitlab-ci.yml` with our real templates (include cache seeded) for a push to `main`: Buildah
builds the generated Dockerfile (pip installs the physics stack from PyPI inside the build) and
pushes the short SHA and `latest`. The pushed image is then pulled into empty storage and runs
the analysis package.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from scaffold.standin import push_standin
from scaffold.support import run
from scaffold.test_gitlab_ci_local import fetch_race, prepare
from templates._gitserver import GitServer
from templates._project import GCL, job_shell_level
from templates._registry import Registry, fresh_storage, running_registry

from hepci import scaffold

pytestmark = pytest.mark.slow

NAMESPACE = "cms-analysis/example"
REPO_NAME = "dimuon-analysis"
SLUG = "dimuon_analysis"
STANDIN = "library/python:3.11-standin"
# Predefined variables the test sets itself (gitlab-ci-local would refuse to override).
PREDEFINED = ",".join(
    [
        "CI_PIPELINE_SOURCE", "CI_COMMIT_BRANCH", "CI_DEFAULT_BRANCH", "CI_REGISTRY",
        "CI_REGISTRY_IMAGE", "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD", "CI_PROJECT_URL",
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    if GCL is None:
        pytest.skip("gitlab-ci-local is not installed (make test installs it with npm)")
    with running_registry(
        tmp_path_factory.mktemp("registry"), ("buildah", "debootstrap"),
        "the registry's CA goes to /etc/containers/certs.d and debootstrap needs root",
    ) as reg:  # fmt: skip
        yield reg


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Path]:
    """Where the Buildah storages go: vfs copies every layer (GBs), so removed afterwards."""
    path = tmp_path / "storage"
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def buildah_env(storage: Path) -> dict[str, str]:
    storage.mkdir(parents=True, exist_ok=True)
    return {**fresh_storage(storage), "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}


def test_image_build_pushes_an_image_that_runs_the_analysis(
    registry: Registry, tmp_path: Path, storage: Path, templates_server: GitServer
) -> None:
    base = f"{registry.host}/{STANDIN}"
    push_standin(buildah_env(storage / "base"), tmp_path, base, registry.user, registry.password)
    answers = {
        "analysis_name": "Dimuon analysis",
        "gitlab_namespace": NAMESPACE,
        "python_version": "3.11",
        "base_image": base,
    }
    repo = scaffold.create(tmp_path / REPO_NAME, answers=answers, no_input=True).path
    assert (repo / "Dockerfile").read_text().count(f"FROM {base}\n") == 1
    prepare(repo, templates_server)
    image = f"{registry.host}/{NAMESPACE}/{REPO_NAME}"
    variables = {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_DEFAULT_BRANCH": "main",
        "CI_REGISTRY": registry.host,
        "CI_REGISTRY_IMAGE": image,
        "CI_REGISTRY_USER": registry.user,
        "CI_REGISTRY_PASSWORD": registry.password,
        "CI_PROJECT_URL": f"https://gitlab.cern.ch/{NAMESPACE}/{REPO_NAME}",
        **buildah_env(storage / "runner"),
    }
    cmd = [GCL, "--home", str(tmp_path / "gcl-home"), "--no-color", "--force-shell-executor"]
    cmd += ["--ignore-schema-paths", "#/definitions/tags/minItems"]
    for key, value in variables.items():
        cmd += ["--variable", f"{key}={value}"]
    env = {**os.environ, "NO_COLOR": "1", "GCL_IGNORE_PREDEFINED_VARS": PREDEFINED}
    env["SHLVL"] = job_shell_level()  # job shells must not read ~/.bashrc
    done = run([*cmd, "image-build"], cwd=repo, env=env, timeout=1500)
    if done.returncode != 0 and fetch_race(done.stdout + done.stderr):
        done = run([*cmd, "image-build"], cwd=repo, env=env, timeout=1500)
    output = done.stdout + done.stderr
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert registry.password not in output

    name = f"{NAMESPACE}/{REPO_NAME}"
    sha = run(["git", "rev-parse", "--short=8", "HEAD"], cwd=repo).stdout.strip()
    assert registry.tags(name) == {sha, "main", "latest"}
    assert registry.manifest(name, sha)[0] == registry.manifest(name, "latest")[0]
    config = registry.config(name, "latest")
    labels = config["config"]["Labels"]  # type: ignore[index]
    assert labels["org.opencontainers.image.title"] == REPO_NAME
    assert (
        labels["org.opencontainers.image.revision"]
        == run(["git", "rev-parse", "HEAD"], cwd=repo).stdout.strip()
    )
    assert config["config"]["User"] == "1000:0"  # type: ignore[index]

    # A fresh runner pulls the pushed image and runs the analysis package in it.
    check = f"""
set -eu
printf '%s' "$PW" | buildah login -u {registry.user} --password-stdin {registry.host} >/dev/null
c=$(buildah from -q docker://{image}:latest)
buildah run "$c" -- python -c 'import {SLUG}, awkward, uproot, hist; print({SLUG}.__name__, "ok")'
buildah run "$c" -- snakemake --version
buildah run "$c" -- id -u
"""
    pulled = run(
        ["bash", "-c", check],
        cwd=tmp_path,
        env={**os.environ, **buildah_env(storage / "puller"), "PW": registry.password},
        timeout=600,
    )
    assert pulled.returncode == 0, pulled.stderr[-3000:]
    lines = pulled.stdout.split()
    assert lines[:2] == [SLUG, "ok"] and lines[-1] == "1000", pulled.stdout
