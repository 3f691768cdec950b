"""Each codemod on small files: exact output, preserved comments/quotes/anchors, manual reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepci.cli import main
from hepci.core.yamledit import parse_text
from hepci.upgrade.base import UpgradeContext
from hepci.upgrade.codemods import ALL_CODEMODS, by_id
from hepci.upgrade.engine import upgrade_file
from hepci.upgrade.versions import release_policy


def run(text: str, codemod: str, **policy: object) -> tuple[str, list[str]]:
    ctx = UpgradeContext(release_policy(**policy), cern=True)  # type: ignore[arg-type]
    cls = by_id(codemod)
    assert cls is not None
    outcome = upgrade_file(parse_text(text, "ci.yml"), [cls], ctx)
    return outcome.text, [m.message for m in outcome.manual]


def test_type_to_stage_keeps_comments_and_quotes() -> None:
    text = 'types: [build]  # old\njob:\n  type: "build"  # keep me\n  script: [x]\n'
    out, _ = run(text, "type-to-stage")
    assert out == 'stages: [build]  # old\njob:\n  stage: "build"  # keep me\n  script: [x]\n'


def test_ci_build_variables_in_block_script() -> None:
    text = "job:\n  script:\n    - |\n      echo $CI_BUILD_REF_NAME\n      echo ${CI_BUILD_ID}x\n"
    out, _ = run(text, "ci-build-variables")
    assert "$CI_COMMIT_REF_NAME" in out and "${CI_JOB_ID}x" in out and "CI_BUILD" not in out


def test_jwt_reported_not_guessed() -> None:
    text = 'job:\n  script: [curl -H "$CI_JOB_JWT_V2" x]\n'
    out, manual = run(text, "ci-build-variables")
    assert out == text and any("id_tokens" in m for m in manual)


def test_cobertura_and_public() -> None:
    text = (
        "job:\n  script: [x]\n  artifacts:\n    public: false\n"
        "    reports:\n      cobertura: cov.xml\n"
    )
    out, _ = run(text, "cobertura-report")
    assert "coverage_report:" in out and "coverage_format: cobertura" in out
    assert "path: cov.xml" in out and "cobertura:" not in out.replace("format: cobertura", "")
    out, _ = run(out, "artifacts-public")
    assert "access: developer" in out and "public" not in out
    commented = text.replace("cov.xml\n", "cov.xml  # why\n")
    same, manual = run(commented, "cobertura-report")  # the move would drop the comment
    assert same == commented and any("comments" in m for m in manual)


def test_include_with_becomes_inputs() -> None:
    text = "include:\n  - component: $CI_SERVER_FQDN/a/b/c@1.0.0\n    with:\n      x: 1\n"
    out, _ = run(text, "include-with-inputs")
    assert out == text.replace("with:", "inputs:")


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        ("[main]", 'if: $CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG == "main"'),
        (
            "[tags, merge_requests]",
            'if: $CI_COMMIT_TAG || $CI_PIPELINE_SOURCE == "merge_request_event"',
        ),
        ('{refs: [branches], variables: [$X == "1"]}', 'if: $CI_COMMIT_BRANCH && $X == "1"'),
        (
            "[schedules, web]",
            'if: $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "web"',
        ),
    ],
)
def test_only_to_rules(only: str, expected: str) -> None:
    out, manual = run(f"job:\n  script: [x]\n  only: {only}\n", "only-except-to-rules")
    assert not manual
    assert expected in out.replace("'", "") and "only" not in out


def test_except_becomes_leading_never_rule() -> None:
    out, _ = run("job:\n  script: [x]\n  except: [tags]\n", "only-except-to-rules")
    data = parse_text(out).body.data["job"]["rules"]  # type: ignore[union-attr]
    assert data == [
        {"if": "$CI_COMMIT_TAG", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH || $CI_COMMIT_TAG"},
    ]


def test_inherited_policy_is_manual() -> None:
    text = ".t:\n  only: [main]\njob:\n  extends: .t\n  except: [tags]\n  script: [x]\n"
    out, manual = run(text, "only-except-to-rules")
    assert out == text and len(manual) == 2


def test_global_to_default_and_cvmfs() -> None:
    text = "image: python:3.12\nstages: [a]\njob:\n  tags: [cvmfs]\n  script: [x]\n"
    out, _ = run(text, "global-to-default")
    assert parse_text(out).body.data["default"] == {"image": "python:3.12"}  # type: ignore[union-attr]
    out, _ = run(out, "cvmfs-tag")
    assert "tags: [k8s-cvmfs]" in out


def test_bump_templates_all_forms() -> None:
    text = (
        "include:\n"
        "  - project: hepci/hepci\n    file: /ci-templates/python-tests.yml\n"
        "  - project: 'hepci/hepci'\n    ref: main\n    file: /ci-templates/lint.yml\n"
        "  - component: $CI_SERVER_FQDN/hepci/hepci/snakemake@~latest\n"
        "  - https://gitlab.cern.ch/hepci/hepci/-/raw/0.0.9/ci-templates/reana.yml\n"
    )
    out, _ = run(text, "bump-templates", extra_releases=("0.0.9",))
    assert out.count("0.1.0") == 4 and "ref: 'main'" not in out and "~latest" not in out
    assert "project: 'hepci/hepci'" in out  # quotes kept
    again, _ = run(out, "bump-templates", extra_releases=("0.0.9",))
    assert again == out


def test_bump_never_crosses_major_without_allow() -> None:
    text = "include:\n  - project: hepci/hepci\n    ref: 0.0.9\n    file: /ci-templates/lint.yml\n"
    out, _ = run(text, "bump-templates", extra_releases=("0.0.9", "1.0.0"))
    assert "ref: 0.1.0" in out
    out, _ = run(text, "bump-templates", extra_releases=("0.0.9", "1.0.0"), allow_major=True)
    assert "ref: 1.0.0" in out


def test_cern_kaniko_template_migrates_with_its_variables() -> None:
    text = (
        "include:\n  - project: 'ci-tools/container-image-ci-templates'\n"
        "    file: 'kaniko-image.gitlab-ci.yml'\n"
        "build_image:\n  stage: build\n  extends: .build_kaniko\n  variables:\n"
        '    DOCKER_FILE_NAME: "Dockerfile"  # ours too\n    PUSH_IMAGE: "true"\n'
    )
    out, _ = run(text, "legacy-image-build")
    data = parse_text(out).body.data  # type: ignore[union-attr]
    assert data["include"] == [
        {
            "project": "hepci/hepci",
            "ref": "0.1.0",
            "file": "/ci-templates/image-build.yml",
            "inputs": {"job-name": "build_image"},
        }
    ]
    assert data["build_image"]["extends"] == ".hepci-image-build"
    assert '    DOCKER_FILE_NAME: "Dockerfile"  # ours too\n' in out


def test_handwritten_kaniko_becomes_variables() -> None:
    text = (
        "build:\n  image:\n    name: gcr.io/kaniko-project/executor:debug\n"
        '    entrypoint: [""]\n  script:\n    - mkdir -p /kaniko/.docker\n'
        "    - /kaniko/executor --context $CI_PROJECT_DIR/img --dockerfile "
        "$CI_PROJECT_DIR/img/Dockerfile --destination $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA "
        "--destination $CI_REGISTRY_IMAGE:latest --build-arg A=1\n"
    )
    out, manual = run(text, "legacy-image-build")
    assert not manual
    job = parse_text(out).body.data["build"]  # type: ignore[union-attr]
    assert job["variables"] == {
        "CONTEXT_DIR": "img",
        "DOCKER_FILE_NAME": "img/Dockerfile",
        "REGISTRY_IMAGE_PATH": "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA",
        "EXTRA_TAGS": "latest",
        "BUILD_ARGS": "A=1",
    }
    assert "image" not in job and "script" not in job


def test_unrecognised_script_is_manual() -> None:
    text = (
        "build:\n  image: docker:24\n  services: [docker:24-dind]\n"
        "  script:\n    - docker build -t x .\n    - ./deploy.sh\n"
    )
    out, manual = run(text, "legacy-image-build")
    assert out == text and any("deploy.sh" in m for m in manual)


def test_cli_check_write_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("job:\n  type: test  # why\n  script: [x]\n", encoding="utf-8")
    assert main(["upgrade", str(tmp_path)]) == 0
    assert "+  stage: test  # why" in capsys.readouterr().out
    assert main(["upgrade", str(tmp_path), "--check"]) == 1
    assert main(["upgrade", str(tmp_path), "--write"]) == 0
    assert ci.read_text(encoding="utf-8") == "job:\n  stage: test  # why\n  script: [x]\n"
    assert main(["upgrade", str(tmp_path), "--check"]) == 0
    assert main(["upgrade", str(tmp_path), "--select", "nope"]) == 2


def test_registry_ids_unique() -> None:
    ids = [c.id for c in ALL_CODEMODS]
    assert len(ids) == len(set(ids)) == 12


ANCHORS = """\
.defaults: &defaults
  image: "alpine:3.20"   # pinned
  before_script:
    - echo setup
job:
  <<: *defaults
  type: test
  script:
    - !reference [.defaults, before_script]
    - echo $CI_BUILD_REF_NAME   # ref

  only:
    - main
"""


def test_anchors_references_comments_blank_lines_survive() -> None:
    text = ANCHORS
    for codemod in ("type-to-stage", "ci-build-variables", "only-except-to-rules"):
        text, manual = run(text, codemod)
        assert not manual
    before, after = ANCHORS.splitlines(), text.splitlines()
    for line in [*before[:6], before[7], before[8], before[10]]:  # anchors, <<, !reference, blank
        assert line in after
    assert "  stage: test" in after
    assert "    - echo $CI_COMMIT_REF_NAME   # ref" in after
    assert after[-2:] == [
        "  rules:",
        '    - if: $CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG == "main"',
    ]
    data = parse_text(text).body.data  # type: ignore[union-attr]
    assert data["job"]["image"] == "alpine:3.20"  # the merge key still works


def test_help_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "--help"]) == 0
    assert "[skip ci]" in capsys.readouterr().out
    assert main(["upgrade", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(cls.id in listing for cls in ALL_CODEMODS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_write_keeps_encoding_and_crlf(tmp_path: Path, encoding: str) -> None:
    text = "job:\r\n  type: test\r\n  script: [x]  # é\r\n"
    bom = b"\xff\xfe" if encoding == "utf-16" else b""
    data = bom + text.encode("utf-16-le" if encoding == "utf-16" else "utf-8")
    (tmp_path / ".gitlab-ci.yml").write_bytes(data)
    assert main(["upgrade", str(tmp_path), "--write"]) == 0
    expected = text.replace("type:", "stage:")
    encoded = expected.encode("utf-16-le" if encoding == "utf-16" else "utf-8")
    assert (tmp_path / ".gitlab-ci.yml").read_bytes() == bom + encoded
