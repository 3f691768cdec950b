"""image-build and image-retag, run for real: gitlab-ci-local runs the jobs on the host,
Buildah builds a fixture Dockerfile and pushes to a registry with htpasswd auth over TLS."""

from __future__ import annotations

from pathlib import Path

import pytest
from templates._project import Project, git
from templates._registry import Registry, fresh_storage

pytestmark = pytest.mark.slow

DOCKERFILE = """\
ARG BASE=missing
FROM ${BASE}
COPY app.txt /app/app.txt
RUN echo "$RANDOM-$RANDOM-$RANDOM $(date)" > /app/built-at
# Buildah checks no cache for ARG steps, and a fresh ARG layer changes the keys of every later
# step: keep ARGs after the expensive steps.
ARG GREETING=unset
RUN echo "$GREETING" > /app/greeting
"""

CI = """\
include:
  - local: /ci-templates/image-build.yml
    inputs:
      context-dir: docker
      build-args: BASE=$BASE_IMAGE GREETING=hi
"""


def _project(tmp_path: Path, registry: Registry, base_image: str, name: str) -> Project:
    project = Project.create(
        tmp_path / name,
        {
            ".gitlab-ci.yml": CI,
            "docker/Dockerfile": DOCKERFILE,
            "docker/app.txt": "v1\n",
            "docs/index.md": "# Analysis\n",
        },
        templates=("image-build",),
    )
    project.variables = {
        "CI_REGISTRY": registry.host,
        "CI_REGISTRY_IMAGE": f"{registry.host}/physics/{name}",
        "CI_REGISTRY_USER": registry.user,
        "CI_REGISTRY_PASSWORD": registry.password,
        "CI_PROJECT_URL": f"https://gitlab.example.org/physics/{name}",
        "BASE_IMAGE": base_image,
    }
    return project


def _build(project: Project, tmp_path: Path, context: str, run: str) -> str:
    storage = tmp_path / f"storage-{run}"
    storage.mkdir()
    done = project.gcl("image-build", context=context, extra=fresh_storage(storage))
    assert project.variables["CI_REGISTRY_PASSWORD"] not in done.stdout + done.stderr
    return done.stdout


def test_tags_per_pipeline_context(tmp_path: Path, registry: Registry, base_image: str) -> None:
    project = _project(tmp_path, registry, base_image, "tags")
    name = "physics/tags"
    sha_main = git(project.path, "rev-parse", "--short=8", "HEAD")

    # Default branch: short SHA, ref slug and latest.
    out = _build(project, tmp_path, "default", "main")
    assert "logged in to" in out
    assert registry.tags(name) == {sha_main, "main", "latest"}
    labels = registry.config(name, "latest")["config"]["Labels"]  # type: ignore[index]
    assert labels["org.opencontainers.image.revision"] == git(project.path, "rev-parse", "HEAD")
    assert labels["org.opencontainers.image.source"] == "https://gitlab.example.org/physics/tags"
    assert labels["org.opencontainers.image.created"].endswith("Z")

    # Feature branch that changes the build context: short SHA and branch slug.
    project.branch("feature/New-Cuts")
    project.write({"docker/app.txt": "v2\n"})
    project.commit("new cuts")
    sha_feature = git(project.path, "rev-parse", "--short=8", "HEAD")
    _build(project, tmp_path, "branch", "feature")
    assert registry.tags(name) == {sha_main, "main", "latest", sha_feature, "feature-new-cuts"}

    # Merge request pipeline: builds, pushes nothing.
    project.write({"docker/app.txt": "v3\n"})
    project.commit("review fix")
    sha_mr = git(project.path, "rev-parse", "--short=8", "HEAD")
    before = registry.tags(name)
    out = _build(project, tmp_path, "mr", "mr")
    assert "not pushing" in out
    assert "COMMIT" in out.upper()  # the build did run
    assert registry.tags(name) == before
    assert sha_mr not in registry.tags(name)

    # Tag pipeline: short SHA and the tag name.
    project.tag("1.0.0")
    _build(project, tmp_path, "tag", "tag")
    assert registry.tags(name) == before | {sha_mr, "1.0.0"}
    assert registry.manifest(name, "1.0.0")[0] == registry.manifest(name, sha_mr)[0]


def test_second_build_reuses_registry_cache(
    tmp_path: Path, registry: Registry, base_image: str
) -> None:
    project = _project(tmp_path, registry, base_image, "cached")
    name = "physics/cached"
    _build(project, tmp_path, "default", "first")
    _, first = registry.manifest(name, "latest")
    # A new commit that leaves the build context alone, built on a fresh runner (empty storage).
    project.write({"docs/index.md": "# Analysis, v2\n"})
    project.commit("docs")
    out = _build(project, tmp_path, "default", "second")
    _, second = registry.manifest(name, "latest")
    first_layers = [layer["digest"] for layer in first["layers"]]  # type: ignore[index]
    second_layers = [layer["digest"] for layer in second["layers"]]  # type: ignore[index]
    # The RUN layer holds random bytes: equal digests mean it came from the cache, not a rerun.
    assert len(first_layers) == len(second_layers) >= 4
    assert second_layers[:3] == first_layers[:3]  # base, COPY, RUN with random bytes
    assert out.count("Cache pulled from remote") >= 2
    assert registry.tags(f"{name}/cache")  # the cache repository was populated


RETAG_CI = (
    CI
    + """\
  - local: /ci-templates/image-retag.yml
    inputs:
      unpacked: "true"
"""
)


def test_retag_promotes_without_rebuild(
    tmp_path: Path, registry: Registry, base_image: str
) -> None:
    project = _project(tmp_path, registry, base_image, "release")
    project.write({".gitlab-ci.yml": RETAG_CI})
    (project.path / "ci-templates" / "image-retag.yml").write_text(
        (Path(__file__).resolve().parents[2] / "ci-templates" / "image-retag.yml").read_text()
    )
    project.commit("release pipeline")
    name = "physics/release"
    sha = git(project.path, "rev-parse", "--short=8", "HEAD")
    _build(project, tmp_path, "default", "main")
    digest, _ = registry.manifest(name, sha)
    project.tag("1.0.0")
    done = project.gcl("image-retag", "image-retag-unpacked", context="tag")
    assert registry.password not in done.stdout + done.stderr
    assert "1.0.0" in registry.tags(name)
    for tag in ("1.0.0", "latest"):
        assert registry.manifest(name, tag)[0] == digest
    promoted = project.artifact("image-retag", "image-retag.txt").read_text().split()
    assert promoted == [
        f"{registry.host}/{name}:1.0.0@{digest}",
        f"{registry.host}/{name}:latest@{digest}",
    ]
    sync = project.artifact("image-retag-unpacked", "unpacked-sync.txt").read_text().splitlines()
    assert sync == [
        f"- 'https://{registry.host}/{name}:1.0.0'",
        f"- 'https://{registry.host}/{name}:latest'",
    ]


def test_retag_fails_for_a_missing_source(
    tmp_path: Path, registry: Registry, base_image: str
) -> None:
    project = _project(tmp_path, registry, base_image, "nosource")
    project.write({".gitlab-ci.yml": RETAG_CI})
    (project.path / "ci-templates" / "image-retag.yml").write_text(
        (Path(__file__).resolve().parents[2] / "ci-templates" / "image-retag.yml").read_text()
    )
    project.commit("release pipeline")
    project.tag("1.0.0")
    done = project.gcl("image-retag", context="tag", check=False)
    assert done.returncode != 0
    assert registry.tags("physics/nosource") == set()


KANIKO_STYLE_CI = """\
include:
  - local: /ci-templates/image-build.yml
    inputs:
      job-name: unused-default-job
      changes: ["nothing-matches-this"]

# A job written for CERN's kaniko template (`extends: .build_kaniko`), switched to ours.
build_image:
  stage: build
  extends: .hepci-image-build
  rules:
    - when: on_success
  variables:
    CONTEXT_DIR: docker
    DOCKER_FILE_NAME: docker/Dockerfile
    REGISTRY_IMAGE_PATH: ${CI_REGISTRY_IMAGE}/analysis:${CI_COMMIT_SHORT_SHA}
    PUSH_IMAGE: "true"
    BUILD_ARGS: BASE=$BASE_IMAGE GREETING=kaniko
    EXTRA_TAGS: stable v2
    IMAGE_BUILD_CACHE: "false"
"""


def test_kaniko_template_variables_drop_in(
    tmp_path: Path, registry: Registry, base_image: str
) -> None:
    project = _project(tmp_path, registry, base_image, "dropin")
    project.write({".gitlab-ci.yml": KANIKO_STYLE_CI})
    project.commit("switch from kaniko")
    # A separate registry account in REGISTRY_USER/REGISTRY_PASSWORD wins over the job token.
    project.variables.update(
        {"REGISTRY_USER": registry.user, "REGISTRY_PASSWORD": registry.password,
         "CI_REGISTRY_USER": "gitlab-ci-token", "CI_REGISTRY_PASSWORD": "wrong-job-token"}
    )  # fmt: skip
    project.branch("feature")
    storage = tmp_path / "storage-dropin"
    storage.mkdir()
    # PUSH_IMAGE "true" pushes even from a merge-request pipeline, as with kaniko.
    done = project.gcl("build_image", context="mr", extra=fresh_storage(storage))
    assert registry.password not in done.stdout + done.stderr
    sha = git(project.path, "rev-parse", "--short=8", "HEAD")
    assert registry.tags("physics/dropin/analysis") == {sha, "stable", "v2"}
    assert registry.tags("physics/dropin/analysis/cache") == set()  # cache turned off
    config = registry.config("physics/dropin/analysis", "stable")["config"]
    assert config["Labels"]["org.opencontainers.image.ref.name"] == "feature"  # type: ignore[index]
