"""hepci's own .gitlab-ci.yml: it uses ci-templates/ through `include: local`, tests every
supported Python through a parallel matrix over the template's PYTEST_IMAGE variable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from templates._project import TEMPLATES_DIR, Project
from templates._schema import schema_errors

pytestmark = pytest.mark.slow

REPO_ROOT = TEMPLATES_DIR.parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


def _own_project(tmp_path: Path) -> Project:
    files = {
        ".gitlab-ci.yml": (REPO_ROOT / ".gitlab-ci.yml").read_text(),
        "src/hepci/__init__.py": '__version__ = "0.1.0"\n',
        "pyproject.toml": "[project]\nname = 'hepci'\n",
    }
    names = tuple(sorted(p.stem for p in TEMPLATES_DIR.glob("*.yml")))
    return Project.create(tmp_path / "hepci", files, names)


def test_own_pipeline_jobs(tmp_path: Path, gcl: str) -> None:
    project = _own_project(tmp_path)
    out = project.gcl("--list-json", context="default").stdout
    jobs = {j["name"]: j for j in json.loads(out[out.index("[") :]) if j["when"] != "never"}
    matrix = {f"tests: [docker.io/library/python:{v}-slim-bookworm]" for v in PYTHONS}
    assert (
        set(jobs)
        == {"lint-yaml", "lint-dockerfile", "lint-hepci", "ruff", "mypy", "wheel"} | matrix
    )
    assert {jobs[name]["stage"] for name in matrix} == {"test"}


def test_own_pipeline_runs_nothing_for_other_files_on_a_branch(tmp_path: Path, gcl: str) -> None:
    project = _own_project(tmp_path)
    project.branch("docs-typo")
    project.write({"notes.txt": "a note\n"})
    project.commit("notes")
    out = project.gcl("--list-json", context="branch").stdout
    jobs = {j["name"] for j in json.loads(out[out.index("[") :]) if j["when"] != "never"}
    # Jobs of our own (ruff, mypy, wheel) always run; template jobs follow their `changes`.
    assert jobs == {"ruff", "mypy", "wheel"}


def test_own_pipeline_passes_gitlab_schema(tmp_path: Path, gcl: str) -> None:
    project = _own_project(tmp_path)
    preview = project.gcl("--preview", context="default").stdout
    from ruamel.yaml import YAML

    expanded = YAML(typ="safe").load(preview[preview.index("---") + 3 :])
    assert schema_errors(expanded) == []
    assert expanded["tests"]["image"]["name"] == "$PYTEST_IMAGE"


def test_a_release_tag_adds_the_release_jobs_in_order(tmp_path: Path, gcl: str) -> None:
    project = _own_project(tmp_path)
    release = {"release-check", "publish-package", "verify-install", "release"}
    tag = {"CI_COMMIT_TAG": "0.1.0", "CI_COMMIT_REF_NAME": "0.1.0", "CI_COMMIT_REF_SLUG": "0-1-0"}
    out = project.gcl("--list-json", context="tag", extra=tag).stdout
    jobs = {j["name"]: j for j in json.loads(out[out.index("[") :]) if j["when"] != "never"}
    assert release <= set(jobs) and "wheel" in jobs
    stages = ["lint", "test", "build", "publish", "release"]
    order = [stages.index(jobs[n]["stage"]) for n in ("release-check", "wheel", "publish-package")]
    assert order == sorted(order) and jobs["release"]["stage"] == "release"
    needs = {n["job"] if isinstance(n, dict) else n for n in jobs["publish-package"]["needs"]}
    assert {"tests", "ruff", "mypy", "wheel", "release-check"} <= needs
    # A tag that is not a release version (or a branch) never publishes.
    other = {**tag, "CI_COMMIT_TAG": "v1.0-test", "CI_COMMIT_REF_NAME": "v1.0-test"}
    out = project.gcl("--list-json", context="tag", extra=other).stdout
    listed = {j["name"] for j in json.loads(out[out.index("[") :]) if j["when"] != "never"}
    assert not release & listed


def test_the_release_job_publishes_with_the_release_keyword(tmp_path: Path, gcl: str) -> None:
    """The Catalog publishes only from a `release:` keyword job of this project."""
    from ruamel.yaml import YAML

    ci = YAML(typ="safe").load((REPO_ROOT / ".gitlab-ci.yml").read_text())
    release = ci["release"]["release"]
    assert release["tag_name"] == "$CI_COMMIT_TAG" and release["description"] == "release-notes.md"
    assert ci["release"]["image"].startswith("registry.gitlab.com/gitlab-org/cli:v")
    assert "release-check" in ci["release"]["needs"]
