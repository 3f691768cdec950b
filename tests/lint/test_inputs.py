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


# --- `component:` includes of the shipped templates, end to end ------------------------------


def _scaffolded(tmp_path: Path, **answers: str) -> Path:
    from hepci import scaffold

    return scaffold.create(
        tmp_path / "analysis", answers={"workflow": "reana-snakemake", **answers}
    ).path


def _codes(path: Path) -> list[tuple[str, int, int, str]]:
    found = lint_paths([path], LintOptions(ignore=("YL",))).findings
    return [(f.code, f.line, f.column, f.message) for f in found]


@pytest.mark.parametrize("style", ["component", "project"])
def test_a_scaffolded_repository_lints_clean(tmp_path: Path, style: str) -> None:
    repo = _scaffolded(tmp_path, include_style=style)
    ci = (repo / ".gitlab-ci.yml").read_text()
    assert ("component: $CI_SERVER_FQDN/hepci/hepci/reana@" in ci) == (style == "component")
    assert _codes(repo) == []


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        ("      coverage-source: src/analysis\n", "      coverage-source: src/analysis\n      colour: red\n",
         "HL201", "python-tests has no input 'colour'"),
        ("      coverage-source: src/analysis\n", "      coverage-source: [src]\n",
         "HL202", "input 'coverage-source' must be a string"),
        ("      snakefile: workflow/Snakefile\n", "      snakefile: workflow/Snakefile\n      cores: many\n",
         "HL202", "input 'cores' must be a number"),
        ("/hepci/hepci/image-retag@", "/hepci/hepci/image-retagger@",
         "HL206", "hepci/hepci has no template 'image-retagger'"),
    ],
)  # fmt: skip
def test_component_inputs_are_checked_like_project_inputs(tmp_path, old, new, code, message):
    repo = _scaffolded(tmp_path)
    ci = repo / ".gitlab-ci.yml"
    text = ci.read_text()
    assert old in text
    ci.write_text(text.replace(old, new, 1))
    found = _codes(repo)
    assert [c for c, _, _, _ in found] == [code] and found[0][3].startswith(message)
    line = found[0][1]
    assert new.splitlines()[-1].strip().split(":")[0] in ci.read_text().splitlines()[line - 1]


def test_component_on_a_literal_host_and_missing_required_input(tmp_path: Path) -> None:
    options = LintOptions(ignore=("YL",), templates_dir=write_shipped(tmp_path))
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text("include:\n  - component: gitlab.cern.ch/hepci/hepci/image-build@0.1.0\n")
    assert [f.code for f in lint_paths([ci], options).findings] == ["HL205"]
    ci.write_text(
        "include:\n  - component: gitlab.cern.ch:8443/hepci/hepci/image-build@0.1.0\n"
        "    inputs: {image: x, count: 2}\n"
    )
    assert lint_paths([ci], options).findings == []
    # Someone else's component with the same name is not ours to check.
    ci.write_text("include:\n  - component: $CI_SERVER_FQDN/other/tools/image-build@1.0.0\n")
    assert lint_paths([ci], options).findings == []
