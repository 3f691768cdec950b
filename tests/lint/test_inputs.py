"""HL201-HL206: ``include:`` inputs against a template's ``spec:inputs``."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepci.lint import LintOptions, lint_paths

TEMPLATE = """\
spec:
  inputs:
    image:
      description: required, no default
    mode:
      options: [fast, full]
      default: fast
    count:
      type: number
      default: 1
    name:
      regex: ^[a-z]+$
      default: abc
    job-name:
      default: tpl-job
---
.tpl-base:
  script: [echo]
$[[ inputs.job-name ]]:
  extends: .tpl-base
  image: $[[ inputs.image ]]
"""


def lint_with_inputs(tmp_path: Path, inputs: str, tail: str = "") -> list[tuple[str, int, int]]:
    (tmp_path / "ci-templates").mkdir(exist_ok=True)
    (tmp_path / "ci-templates" / "tpl.yml").write_text(TEMPLATE, encoding="utf-8")
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        "include:\n  - local: ci-templates/tpl.yml\n    inputs:\n" + inputs + tail,
        encoding="utf-8",
    )
    findings = lint_paths([ci], LintOptions(ignore=("YL",))).findings
    return [(f.code, f.line, f.column) for f in findings]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ("      image: x\n      colour: red\n", [("HL201", 5, 7)]),
        ("      image: x\n      count: two\n", [("HL202", 5, 14)]),
        ("      image: x\n      mode: slow\n", [("HL203", 5, 13)]),
        ("      image: x\n      name: ABC\n", [("HL204", 5, 13)]),
        ("      mode: full\n", [("HL205", 4, 7)]),
    ],
)
def test_input_problems(tmp_path: Path, inputs: str, expected: list[tuple[str, int, int]]) -> None:
    assert lint_with_inputs(tmp_path, inputs) == expected


def test_valid_inputs_and_template_job_names(tmp_path: Path) -> None:
    ok = "      image: x\n      mode: full\n      count: 3\n      name: xyz\n      job-name: mine\n"
    assert lint_with_inputs(tmp_path, ok) == []
    # The job the template defines (named by an input) can be extended.
    assert lint_with_inputs(tmp_path, ok, "other:\n  extends: mine\n") == []
    assert lint_with_inputs(tmp_path, ok, "other:\n  extends: tpl-job\n") == [("HL301", 10, 12)]


def write_shipped(tmp_path: Path) -> Path:
    shipped = tmp_path / "shipped"
    shipped.mkdir(parents=True)
    (shipped / "image-build.yml").write_text(TEMPLATE, encoding="utf-8")
    return shipped


@pytest.mark.parametrize(
    "include",
    [
        "  - project: hepci/hepci\n    ref: '0.1.0'\n    file: /ci-templates/image-build.yml\n",
        "  - component: $CI_SERVER_FQDN/hepci/hepci/image-build@0.1.0\n",
    ],
)
def test_hepci_templates_by_project_and_component(tmp_path: Path, include: str) -> None:
    options = LintOptions(ignore=("YL",), templates_dir=write_shipped(tmp_path))
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("include:\n" + include + "    inputs:\n      mode: slow\n", encoding="utf-8")
    codes = [f.code for f in lint_paths([ci], options).findings]
    assert codes == ["HL205", "HL203"]  # missing: at the inputs mapping (4:7); options: 4:13
    ci.write_text("include:\n" + include + "    inputs:\n      image: x\n", encoding="utf-8")
    assert lint_paths([ci], options).findings == []


def test_unknown_hepci_template(tmp_path: Path) -> None:
    options = LintOptions(ignore=("YL",), templates_dir=write_shipped(tmp_path))
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        "include:\n  - project: hepci/hepci\n    file: /ci-templates/nope.yml\n", encoding="utf-8"
    )
    found = lint_paths([ci], options).findings
    assert [(f.code, f.line, f.column) for f in found] == [("HL206", 2, 14)]
    assert "image-build" in found[0].message
    # Another project's templates are not ours to check.
    other = LintOptions(
        ignore=("YL",), templates_dir=write_shipped(tmp_path / "o"), templates_project="x/y"
    )
    assert lint_paths([ci], other).findings == []
