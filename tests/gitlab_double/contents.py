"""Realistic file contents for generated projects: CI files, Dockerfiles, workflows, metadata.

Each archetype below is a pattern found in HEP analysis repositories (see
``../shared/reference/cern-cms-ci.md``): our templates at several refs, CERN's ``.build_kaniko``
include, hand-written kaniko, the legacy ``docker-image-build`` runner tag, privileged dind.
"""

from __future__ import annotations

TEMPLATES_PROJECT = "hepci/hepci"
TEMPLATE_FILES = {
    "ci-templates/image-build.yml": """spec:
  inputs:
    image_name:
      default: $CI_REGISTRY_IMAGE
    dockerfile:
      default: Dockerfile
    stage:
      default: build
---
image-build:
  stage: $[[ inputs.stage ]]
  image: quay.io/buildah/stable:v1.38
  variables:
    STORAGE_DRIVER: vfs
    BUILDAH_ISOLATION: chroot
  script:
    - buildah bud -f $[[ inputs.dockerfile ]] -t $[[ inputs.image_name ]]:$CI_COMMIT_SHORT_SHA .
    - buildah push $[[ inputs.image_name ]]:$CI_COMMIT_SHORT_SHA
""",
    "ci-templates/python-tests.yml": """spec:
  inputs:
    python_version:
      default: "3.12"
    stage:
      default: test
---
python-tests:
  stage: $[[ inputs.stage ]]
  image: python:$[[ inputs.python_version ]]-slim
  script:
    - pip install .[test]
    - pytest
""",
    "ci-templates/snakemake.yml": """spec:
  inputs:
    snakefile:
      default: Snakefile
---
snakemake-lint:
  stage: test
  image: snakemake/snakemake:v8.20.0
  script:
    - snakemake --lint -s $[[ inputs.snakefile ]]
""",
    "ci-templates/reana.yml": """spec:
  inputs:
    spec_file:
      default: reana.yaml
---
reana-validate:
  stage: test
  image: python:3.12-slim
  script:
    - pip install reana-client
    - reana-client validate -f $[[ inputs.spec_file ]]
""",
}
KANIKO_TEMPLATES_PROJECT = "ci-tools/container-image-ci-templates"
KANIKO_TEMPLATE = """# Source: https://gitlab.cern.ch/ci-tools/container-image-ci-templates
.build_kaniko:
  image:
    name: gitlab-registry.cern.ch/ci-tools/docker-image-builder
    entrypoint: [""]
  variables:
    CONTEXT_DIR: ""
    DOCKER_FILE_NAME: Dockerfile
    PUSH_IMAGE: "true"
  script:
    - /kaniko/executor --context "$CI_PROJECT_DIR/$CONTEXT_DIR" --dockerfile "$DOCKER_FILE_NAME"
      --destination "$REGISTRY_IMAGE_PATH"
"""


def hepci_ci(ref: str | None, with_tests: bool, extra: str = "") -> str:
    ref_line = f'\n    ref: "{ref}"' if ref is not None else ""
    text = f"""include:
  - project: {TEMPLATES_PROJECT}{ref_line}
    file: /ci-templates/image-build.yml
    inputs:
      image_name: $CI_REGISTRY_IMAGE/analysis
"""
    if with_tests:
        text += f"""  - project: {TEMPLATES_PROJECT}{ref_line}
    file: /ci-templates/python-tests.yml
"""
    return text + extra


KANIKO_CERN_CI = f"""include:
  - project: '{KANIKO_TEMPLATES_PROJECT}'
    file: 'kaniko-image.gitlab-ci.yml'

stages:
  - build
  - test

build_image:
  stage: build
  extends: .build_kaniko
  variables:
    REGISTRY_IMAGE_PATH: "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA"
    EXTRA_TAGS: "latest"

run_tests:
  stage: test
  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA
  script:
    - python -m pytest tests
"""

KANIKO_HANDWRITTEN_CI = """stages:
  - build

build_image:
  stage: build
  image:
    name: gcr.io/kaniko-project/executor:debug
    entrypoint: [""]
  variables:
    IMAGE_DESTINATION: $CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG-$CI_COMMIT_SHORT_SHA
  script:
    - echo "{\\"auths\\":{\\"$CI_REGISTRY\\":{\\"username\\":\\"$CI_REGISTRY_USER\\",\\"password\\":\\"$CI_REGISTRY_PASSWORD\\"}}}" > /kaniko/.docker/config.json
    - /kaniko/executor --context $CI_PROJECT_DIR --dockerfile $CI_PROJECT_DIR/Dockerfile --destination $IMAGE_DESTINATION
"""

DOCKER_IMAGE_BUILD_CI = """variables:
  TO: $CI_REGISTRY_IMAGE

stages:
  - build

build_image:
  stage: build
  tags:
    - docker-image-build
  script: "ignore"
"""

DIND_CI = """image: docker:24.0

services:
  - docker:24.0-dind

variables:
  DOCKER_TLS_CERTDIR: "/certs"

build:
  stage: build
  tags:
    - docker-privileged
  script:
    - docker login -u $CI_REGISTRY_USER -p $CI_REGISTRY_PASSWORD $CI_REGISTRY
    - docker build -t $CI_REGISTRY_IMAGE:latest .
    - docker push $CI_REGISTRY_IMAGE:latest
"""

PYTHON_NO_TESTS_CI = """image: python:3.11

stages:
  - build

build:
  stage: build
  script:
    - pip install .
    - python -m analysis --help
"""

PYTHON_TESTS_CI = """image: python:3.12-slim

stages:
  - test

unit-tests:
  stage: test
  script:
    - pip install .[test]
    - pytest -q
"""

SNAKEMAKE_CI = """stages:
  - test

snakemake-dry-run:
  stage: test
  image: snakemake/snakemake:v7.32.4
  script:
    - snakemake -n --cores 1
"""

REANA_CI = """stages:
  - validate

validate-reana:
  stage: validate
  image: python:3.11
  script:
    - pip install reana-client
    - reana-client validate -f reana.yaml
"""

DOCKERFILE_BASES = (
    "python:latest",
    "rootproject/root:latest",
    "gitlab-registry.cern.ch/linuxsupport/alma9-base",
    "python:3.12-slim",
    "rootproject/root:6.30.02-ubuntu22.04",
    "python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c",
    "cmssw/el8:x86_64",
)


def dockerfile(base: str) -> str:
    return f"""FROM {base}

COPY . /analysis
WORKDIR /analysis
RUN pip install --no-cache-dir .
"""


SNAKEFILE = """rule all:
    input:
        "results/histograms.root"

rule skim:
    input:
        "data/events.root"
    output:
        "results/skimmed.root"
    shell:
        "python scripts/skim.py {input} {output}"

rule histograms:
    input:
        "results/skimmed.root"
    output:
        "results/histograms.root"
    shell:
        "python scripts/histograms.py {input} {output}"
"""

REANA_YAML = """version: 0.8.0
inputs:
  files:
    - code/analysis.py
  parameters:
    events: 10000
workflow:
  type: serial
  specification:
    steps:
      - environment: 'docker.io/reanahub/reana-env-root6:6.18.04'
        commands:
          - python code/analysis.py --events ${events}
outputs:
  files:
    - results/plot.png
"""

LICENSE = """Apache License
Version 2.0, January 2004
http://www.apache.org/licenses/
"""

GITIGNORE = "__pycache__/\n*.root\nresults/\n.snakemake/\n"
DOCKERIGNORE = ".git\nresults/\n*.root\n"


def readme(name: str) -> str:
    return (
        f"# {name}\n\nAn analysis of LHC collision data.\n\n## Running\n\nSee `.gitlab-ci.yml`.\n"
    )


def pyproject(name: str) -> str:
    return f"""[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["uproot>=5", "awkward>=2", "hist>=2"]

[project.optional-dependencies]
test = ["pytest>=8"]
"""


def citation(name: str) -> str:
    return f"""cff-version: 1.2.0
message: "If you use this software, please cite it as below."
title: "{name}"
authors:
  - family-names: Physicist
    given-names: A.
"""


HEPCI_TOML = '[hepci]\ntemplates_ref = "0.1.0"\n'
ANALYSIS_PY = (
    'def main() -> None:\n    print("analysis")\n\n\nif __name__ == "__main__":\n    main()\n'
)
TEST_PY = "from analysis import main\n\n\ndef test_main() -> None:\n    main()\n"
