"""hepci's own tag pipeline, run by gitlab-ci-local on a copy of this checkout tagged X.Y.Z.

The copy is prepared as a maintainer does (`python -m hepci._release prepare X.Y.Z`, commit,
tag) for a version other than this checkout's, so the tag visibly drives every file. The
release jobs then run for real on the host: `release-check`, `wheel` (wheel + sdist),
`publish-package` (twine upload to a real pypiserver on 127.0.0.1 with a password),
`verify-install` (`pip install hepci==X.Y.Z` from that index into a fresh virtualenv, then
`hepci new` + `hepci lint` with it) and `release`, whose `release:` keyword is then executed
as GitLab would (tests/release/_standins.py) against a recording Releases API.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import yaml
from release._standins import (
    ReleasesApi,
    add_unreleased_change,
    install_release_cli,
    release_cli_command,
    releases_api,
)
from templates._project import GCL, Project, git
from templates._registry import free_port
from templates._tools import tool_bin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(GCL is None, reason="gitlab-ci-local is not installed"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION = "0.1.1"  # not this checkout's version: everything must follow the tag
TOKEN = "pypi-s3cret-token"
JOBS = ("release-check", "wheel", "publish-package", "verify-install", "release")
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".gitlab-ci-local", "node_modules", "dist", "build", "*.egg-info", ".hypothesis",
)  # fmt: skip


@dataclass
class Run:
    project: Project
    packages: Path
    api: ReleasesApi
    done: subprocess.CompletedProcess[str]
    seconds: float
    env: dict[str, str]


def _copy_and_prepare(work: Path) -> Project:
    path = work / "hepci"
    shutil.copytree(REPO_ROOT, path, ignore=IGNORED)
    add_unreleased_change(path / "CHANGELOG.md")
    env = {**os.environ, "PYTHONPATH": str(path / "src")}  # the copy's hepci, not ours
    done = subprocess.run(
        [sys.executable, "-m", "hepci._release", "prepare", VERSION, "--date", "2026-12-02"],
        cwd=path, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrote src/hepci/__init__.py" in done.stdout
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", f"Release {VERSION}")
    git(path, "tag", "-a", VERSION, "-m", f"hepci {VERSION}")
    git(path, "remote", "add", "origin", "https://gitlab.example.org/hepci/hepci.git")
    git(path, "update-ref", "refs/remotes/origin/main", "main")
    home = work / "gcl-home"
    home.mkdir()
    return Project(path=path, home=home)


def _pypiserver(work: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    bin_dir = tool_bin("pypiserver")
    packages, htpasswd = work / "index", work / "htpasswd"
    packages.mkdir()
    subprocess.run(
        [str(bin_dir / "python"), "-c",
         "import sys; from passlib.apache import HtpasswdFile as H; "
         "h = H(sys.argv[1], new=True); h.set_password('__token__', sys.argv[2]); h.save()",
         str(htpasswd), TOKEN],
        check=True,
    )  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "pypi-server"), "run", "-i", "127.0.0.1", "-p", str(port),
         "-P", str(htpasswd), "-a", "update", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port, packages
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("pypiserver did not start")


@pytest.fixture(scope="module")
def tag_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("release")
    project = _copy_and_prepare(work)
    jobs_venv = work / "jobs-venv"  # the jobs' `python` (the image's, on GitLab)
    venv.EnvBuilder(with_pip=True, clear=True).create(jobs_venv)
    server, port, packages = _pypiserver(work)
    path = f"{jobs_venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env = {
        "CI_COMMIT_TAG": VERSION,
        "CI_COMMIT_REF_NAME": VERSION,
        "CI_COMMIT_REF_SLUG": VERSION.replace(".", "-"),
        "PATH": path,
        "PYPI_TOKEN": TOKEN,
        "HEPCI_UPLOAD_URL": f"http://127.0.0.1:{port}/",
        "HEPCI_INDEX_URL": f"http://127.0.0.1:{port}/simple/",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_REQUIRE_VIRTUALENV": "true",  # never into the host's Python, whatever happens
    }
    try:
        with releases_api() as api, mock.patch.dict(os.environ, {"PIP_REQUIRE_VIRTUALENV": "true"}):
            start = time.monotonic()
            # One job at a time: on the host they share one Python (GitLab gives each its own).
            done = project.gcl(
                "--concurrency", "1", *JOBS, context="tag", extra=env, timeout=1800, check=False
            )
            yield Run(project, packages, api, done, time.monotonic() - start, env)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_tag_pipeline_succeeds(tag_run: Run) -> None:
    out = tag_run.done.stdout + tag_run.done.stderr
    assert tag_run.done.returncode == 0, out[-8000:]
    for job in JOBS:
        assert f"PASS  {job}" in out or f"{job} finished" in out, job


def test_the_package_is_built_from_the_tag_and_uploaded(tag_run: Run) -> None:
    uploaded = sorted(p.name for p in tag_run.packages.iterdir())
    assert uploaded == [f"hepci-{VERSION}-py3-none-any.whl", f"hepci-{VERSION}.tar.gz"]
    for name in uploaded:
        built = tag_run.project.artifact("wheel", f"dist/{name}")
        assert (tag_run.packages / name).read_bytes() == built.read_bytes(), name
    out = tag_run.done.stdout
    assert TOKEN not in out + tag_run.done.stderr  # the upload token is never printed


def test_a_fresh_virtualenv_installs_it_from_the_index(tag_run: Run) -> None:
    verify = tag_run.project.path / ".verify-venv"
    version = subprocess.run(
        [str(verify / "bin" / "hepci"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"hepci {VERSION}"
    direct = verify / "lib"
    assert not any(direct.rglob("__editable__*hepci*")), "installed from the index, not -e"
    analysis = tag_run.project.path / ".verify-analysis" / ".gitlab-ci.yml"
    ci = yaml.safe_load(analysis.read_text())
    assert {i["component"].rsplit("@", 1)[1] for i in ci["include"]} == {VERSION}


def test_release_notes_docs_and_components_are_the_tags(tag_run: Run) -> None:
    notes = tag_run.project.artifact("release-check", "release-notes.md").read_text()
    changelog = (tag_run.project.path / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}] - 2026-12-02" in changelog
    assert notes.startswith(f"hepci {VERSION}\n\n### Added\n")
    templates = tag_run.project.artifact("release-check", "templates")
    names = sorted(p.stem for p in (tag_run.project.path / "ci-templates").glob("*.yml"))
    assert sorted(p.name for p in templates.iterdir()) == names
    for name in names:
        source = (tag_run.project.path / "ci-templates" / f"{name}.yml").read_bytes()
        assert (templates / name / "template.yml").read_bytes() == source
    docs = tag_run.project.artifact("release-check", "docs/templates.md").read_text()
    assert f"hepci/hepci/image-build@{VERSION}" in docs and "0.1.0" not in docs
    for template in (tag_run.project.path / "templates").glob("*/template.yml"):
        text = template.read_text()  # `pip install hepci==X.Y.Z` in the lint (and other) jobs
        assert "hepci-version:" not in text or f"default: {VERSION}\n" in text, template


def test_the_release_keyword_creates_the_gitlab_release(tag_run: Run, tmp_path: Path) -> None:
    preview = tag_run.project.gcl("--preview", context="tag", extra=tag_run.env).stdout
    merged = yaml.safe_load(preview[preview.index("---") + 3 :])
    release = merged["release"]["release"]
    command = release_cli_command(release)
    assert command.startswith('release-cli create --name "hepci $CI_COMMIT_TAG" --description')
    bin_dir = tmp_path / "bin"
    install_release_cli(bin_dir)
    sha = git(tag_run.project.path, "rev-parse", "HEAD")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CI_COMMIT_TAG": VERSION,
        "CI_COMMIT_SHA": sha,
        "CI_PROJECT_DIR": str(tag_run.project.artifact("release-check", "")),
        "CI_API_V4_URL": tag_run.api.api_url,
        "CI_PROJECT_ID": "42",
        "CI_JOB_TOKEN": "job-token-of-the-release-job",
    }
    done = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    [call] = tag_run.api.calls
    assert call["path"] == "/api/v4/projects/42/releases"
    assert call["job_token"] == "job-token-of-the-release-job"
    body = call["body"]
    notes = tag_run.project.artifact("release-check", "release-notes.md").read_text()
    assert body["tag_name"] == VERSION and body["name"] == f"hepci {VERSION}"
    assert body["description"] == notes and body["ref"] == sha
    assert body["assets"]["links"] == [
        {
            "name": f"hepci {VERSION} on PyPI",
            "url": f"https://pypi.org/project/hepci/{VERSION}/",
            "link_type": "package",
        }
    ]
    again = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, text=True, check=False
    )
    assert again.returncode != 0 and "Release already exists" in again.stderr
    print(json.dumps({"pipeline_seconds": round(tag_run.seconds, 1)}))


def test_a_tag_that_is_not_the_version_stops_the_release(tag_run: Run) -> None:
    extra = {**tag_run.env, "CI_COMMIT_TAG": "0.1.2", "CI_COMMIT_REF_NAME": "0.1.2"}
    done = tag_run.project.gcl("release-check", context="tag", extra=extra, check=False)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "release 0.1.2: src/hepci/__init__.py: the package names '0.1.1'" in out
