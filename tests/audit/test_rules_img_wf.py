"""IMG001–IMG005 and WF001–WF004, and the Dockerfile reader they use."""

from __future__ import annotations

import pytest

from hepci.audit.dockerfile import parse_dockerfile, split_image

GOOD_DOCKERFILE = """\
ARG BASE=python:3.12-slim
FROM ${BASE} AS build
RUN pip install uproot
FROM build
RUN useradd -u 1000 -g 0 -m analyst \\
 && chgrp -R 0 /home/analyst && chmod -R g=u /home/analyst
USER analyst
"""


def where(result):
    return [(f.path, f.line, f.message) for f in result.findings]


def test_dockerfile_reader_args_stages_continuations():
    parsed = parse_dockerfile(GOOD_DOCKERFILE)
    assert [(f.image, f.line, f.stage, f.is_stage_ref) for f in parsed.froms] == [
        ("python:3.12-slim", 2, "build", False),
        ("build", 4, None, True),
    ]
    assert [r.line for r in parsed.runs()] == [3, 5]
    assert "chmod -R g=u" in parsed.runs()[1].args
    assert [u.args for u in parsed.users()] == ["analyst"]


def test_split_image():
    assert split_image("registry:5000/a/b") == ("registry:5000/a/b", None, None)
    assert split_image("a/b:1.2@sha256:ff") == ("a/b", "1.2", "sha256:ff")


def test_good_image_passes(audit):
    report = audit({"Dockerfile": GOOD_DOCKERFILE, ".dockerignore": ".git\n"})
    assert {r.id: r.status for r in report.results if r.family == "IMG"} == {
        "IMG001": "pass",
        "IMG002": "pass",
        "IMG003": "pass",
        "IMG004": "pass",
        "IMG005": "pass",
    }


def test_no_dockerfile_switches_the_family_off(audit):
    report = audit({"README.md": "x"})
    img = {r.id: r for r in report.results if r.family == "IMG"}
    assert where(img["IMG001"]) == [("Dockerfile", None, "no Dockerfile or Containerfile")]
    for rule_id in ("IMG002", "IMG003", "IMG004", "IMG005"):
        assert img[rule_id].status == "skip"
        assert img[rule_id].skip_reason == "requires IMG001 (Has a Dockerfile), which failed"
    fam = next(s for s in report.family_scores() if s.family == "IMG")
    assert (fam.passed, fam.applicable) == (0, 1)


@pytest.mark.parametrize(
    ("dockerfile", "message"),
    [
        ("FROM python\n", "base image `python` has no tag"),
        ("FROM rootproject/root:latest\n", "base image `rootproject/root:latest` has `:latest`"),
        (
            "ARG TAG=latest\nFROM python:$TAG\n",
            "base image `python:$TAG → python:latest` has `:latest`",
        ),
    ],
)
def test_img002_unpinned(rule, dockerfile, message):
    result = rule("IMG002", {"Dockerfile": dockerfile})
    assert where(result) == [("Dockerfile", dockerfile.count("\n"), message)]


def test_img002_unresolved_arg_template_and_scratch_are_not_flagged(rule):
    files = {"Dockerfile": "ARG IMG\nFROM $IMG\nFROM scratch\nFROM {{ cookiecutter.base }}\n"}
    assert rule("IMG002", files).status == "pass"


@pytest.mark.parametrize(
    "image",
    [
        "gitlab-registry.cern.ch/cms-cloud/cmssw-docker/cc7-cms:2024",
        "cmsopendata/cmssw_7_6_7-slc6_amd64_gcc493:1",
        "registry.cern.ch/docker.io/cmssw/el7:x86_64",
        "python:2.7-slim",
        "centos:7",
    ],
)
def test_img003_end_of_life(rule, image):
    result = rule("IMG003", {"Dockerfile": f"FROM {image}\n"})
    assert [f.line for f in result.findings] == [1]
    assert result.findings[0].message.startswith(f"base image `{image}` is end-of-life")


@pytest.mark.parametrize(
    "image", ["registry.cern.ch/docker.io/cmssw/el9:x86_64", "python:3.12", "almalinux:9"]
)
def test_img003_current(rule, image):
    assert rule("IMG003", {"Dockerfile": f"FROM {image}\n"}).status == "pass"


def test_img004_dockerignore(rule):
    result = rule("IMG004", {"docker/Dockerfile": "FROM python:3.12\n"})
    assert where(result) == [
        ("docker/.dockerignore", None, "no .dockerignore next to docker/Dockerfile")
    ]
    files = {"docker/Dockerfile": "FROM python:3.12\n", ".dockerignore": "*.root\n"}
    assert rule("IMG004", files).status == "pass"


def test_img005_root_user_without_group0(rule):
    result = rule("IMG005", {"Dockerfile": "FROM python:3.12\nRUN useradd analyst\nUSER analyst\n"})
    assert [(f.line, f.path) for f in result.findings] == [(3, "Dockerfile")]


def test_img005_user_in_group_0(rule):
    assert rule("IMG005", {"Dockerfile": "FROM python:3.12\nUSER 1000:0\n"}).status == "pass"


REANA = """\
version: 0.9.0
inputs:
  files: [code/analysis.py]
  parameters: {events: 1000}
workflow:
  type: serial
  specification:
    steps:
      - name: skim
        environment: gitlab-registry.cern.ch/grp/img:abc1234
        commands: [python code/analysis.py]
outputs:
  files: [results/plot.png]
"""


def test_good_reana_workflow(audit):
    report = audit({"reana.yaml": REANA, "code/analysis.py": "print(1)\n"})
    assert {r.id: r.status for r in report.results if r.family == "WF"} == {
        "WF001": "pass",
        "WF002": "pass",
        "WF003": "pass",
        "WF004": "pass",
    }


def test_no_workflow_switches_the_family_off(audit):
    report = audit({"README.md": "x"})
    wf = {r.id: r for r in report.results if r.family == "WF"}
    assert wf["WF001"].status == "fail"
    assert all(wf[i].status == "skip" for i in ("WF002", "WF003", "WF004"))


def test_wf002_invalid_reana(rule):
    bad = "workflow:\n  type: serail\n  file: flow.yml\noutput:\n  files: [x]\n"
    result = rule("WF002", {"reana.yaml": bad, "flow.yml": "stages: []\n"})
    assert where(result) == [
        ("reana.yaml", 4, "unknown top-level key `output`"),
        (
            "reana.yaml",
            2,
            "`workflow.type` must be one of cwl, serial, yadage, snakemake, got 'serail'",
        ),
    ]


def test_wf002_missing_workflow_file(rule):
    text = "workflow:\n  type: snakemake\n  file: workflow/Snakefile\n"
    result = rule("WF002", {"reana.yaml": text})
    assert where(result) == [("reana.yaml", 3, "workflow.file `workflow/Snakefile` does not exist")]


def test_wf002_serial_steps(rule):
    text = "workflow:\n  type: serial\n  specification:\n    steps:\n      - name: a\n        commands: []\n"
    result = rule("WF002", {"reana.yaml": text})
    assert [f.message for f in result.findings] == [
        "step 1 needs an `environment` image",
        "step 1 needs a non-empty list of `commands`",
    ]
    assert {f.line for f in result.findings} == {5}


def test_wf003_moving_tags(rule):
    reana = REANA.replace("img:abc1234", "img:latest")
    snake = 'rule all:\n    input: "a.txt"\n\nrule a:\n    container: "docker://rootproject/root"\n'
    result = rule("WF003", {"reana.yaml": reana, "Snakefile": snake})
    assert where(result) == [
        ("reana.yaml", 10, "workflow image `gitlab-registry.cern.ch/grp/img:latest` uses the moving tag `latest`"),
        ("Snakefile", 5, "workflow image `rootproject/root` has no tag"),
    ]  # fmt: skip


def test_wf004_outputs(rule):
    no_outputs = REANA.split("outputs:", maxsplit=1)[0]
    assert where(rule("WF004", {"reana.yaml": no_outputs})) == [
        ("reana.yaml", 1, "reana.yaml declares no `outputs`")
    ]
    assert rule("WF004", {"workflow/Snakefile": "rule all:\n    input: 'x'\n"}).status == "pass"
    assert where(rule("WF004", {"Snakefile": "rule a:\n    output: 'x'\n"})) == [
        ("Snakefile", 1, "no `rule all` target naming the outputs")
    ]
