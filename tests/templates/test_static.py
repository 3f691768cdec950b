"""Every shipped template: GitLab's JSON schema (header and body), yamllint, conventions,
the spec-header model (hepci.core.templates) and the generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from templates._schema import schema_errors
from yamllint import linter
from yamllint.config import YamlLintConfig

from hepci import __version__
from hepci._docgen import stale_files, write_all
from hepci.core import templates as tpl
from hepci.errors import InputFileError

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = tpl.shipped_templates(REPO_ROOT / "ci-templates")
EXPECTED = {
    "image-build", "image-retag", "python-tests", "cmssw-build", "snakemake", "reana", "lint",
    "metadata", "group-audit",
}  # fmt: skip
GLOBAL_KEYWORDS = {"stages", "default", "workflow", "variables", "include", "image", "services",
                   "cache", "before_script", "after_script", "spec"}  # fmt: skip
YAMLLINT = YamlLintConfig(
    "{extends: default, rules: {line-length: {max: 120}, document-start: disable}}"
)


def test_all_capabilities_are_shipped() -> None:
    assert set(TEMPLATES) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_header_and_body_pass_gitlab_schema(name: str) -> None:
    spec = TEMPLATES[name]
    header_text = spec.path.read_text().split("\n---\n", 1)[0]
    from ruamel.yaml import YAML

    header = YAML(typ="safe").load(header_text)
    assert schema_errors(header) == []
    body = tpl.render_body(spec)
    assert isinstance(body, dict)
    assert schema_errors(body) == []


def test_schema_check_catches_a_broken_body() -> None:
    body = tpl.render_body(TEMPLATES["python-tests"])
    assert isinstance(body, dict)
    body["python-tests"]["artifacts"] = {
        "reports": {"cobertura": "coverage.xml"}
    }  # removed in 15.0
    assert any("cobertura" in e for e in schema_errors(body))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_yamllint_clean(name: str) -> None:
    problems = list(linter.run(TEMPLATES[name].path.read_text(), YAMLLINT))
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_conventions(name: str) -> None:
    spec = TEMPLATES[name]
    body = tpl.render_body(spec)
    assert isinstance(body, dict)
    assert not GLOBAL_KEYWORDS & set(body), "templates must not use global keywords"
    hidden = [k for k in body if k.startswith(".hepci-")]
    jobs = [k for k in body if not k.startswith(".")]
    assert hidden and jobs
    for job in jobs:
        assert body[job]["extends"] in hidden, f"{job} must extend the template's base job"
    # Job names and stage are inputs.
    assert {"job-name", "job-prefix"} & set(spec.inputs)
    assert any(i.startswith("stage") or i.endswith("stage") for i in spec.inputs)
    for item in spec.inputs.values():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", item.name), item.name
        assert item.description, f"{name}: input {item.name} has no description"
        assert not item.required, f"{name}: {item.name} should have a default"
    # Pinned images: no floating :latest, and a tag everywhere.
    text = spec.path.read_text()
    for image in re.findall(r"default: (\S+/\S+:\S+)$", text, flags=re.MULTILINE):
        assert not image.endswith(":latest"), image
    assert "set -x" not in text
    if "login" in text:
        assert "--password-stdin" in text
        assert not re.search(r"login[^\n]*(-p|--password)[ =]", text)


def test_renamed_jobs_and_stage_from_inputs() -> None:
    body = tpl.render_body(TEMPLATES["cmssw-build"], {"job-prefix": "zpeak", "stage": "compile"})
    assert isinstance(body, dict)
    assert {"zpeak-build", "zpeak-test"} <= set(body)
    assert body[".hepci-cmssw-test"]["needs"][0]["job"] == "zpeak-build"
    assert body[".hepci-cmssw-build"]["stage"] == "compile"
    assert body[".hepci-cmssw"]["variables"]["CMSSW_SCRAM_JOBS"] == 4  # typed, not "4"


def test_lint_installs_this_version() -> None:
    assert TEMPLATES["lint"].inputs["hepci-version"].default == __version__


def test_inputs_are_mirrored_into_variables() -> None:
    build = TEMPLATES["image-build"]
    assert build.variables is not None
    # The CERN kaniko template's names, so the template is a drop-in replacement.
    for name, var in {
        "context-dir": "CONTEXT_DIR", "dockerfile": "DOCKER_FILE_NAME",
        "registry-image-path": "REGISTRY_IMAGE_PATH", "push-image": "PUSH_IMAGE",
        "build-args": "BUILD_ARGS", "extra-tags": "EXTRA_TAGS",
    }.items():  # fmt: skip
        assert build.variables[name] == var
    assert TEMPLATES["cmssw-build"].variables["scram-arch"] == "SCRAM_ARCH"  # type: ignore[index]


# --- validate_inputs, the API the lint rules use ---------------------------------------


def codes(name: str, inputs: dict[str, object]) -> list[tuple[str, str]]:
    return [(p.code, p.input) for p in tpl.validate_inputs(TEMPLATES[name], inputs)]


def test_validate_inputs_accepts_good_inputs() -> None:
    assert codes("image-build", {"context-dir": "docker", "runner-tags": ["k8s-cvmfs"]}) == []
    assert codes("cmssw-build", {"release": "CMSSW_10_6_30", "scram-jobs": 8}) == []


def test_validate_inputs_reports_each_problem() -> None:
    assert codes("image-build", {"contxt-dir": "x"}) == [(tpl.UNKNOWN_INPUT, "contxt-dir")]
    assert codes("image-build", {"runner-tags": "k8s-cvmfs"}) == [(tpl.WRONG_TYPE, "runner-tags")]
    assert codes("cmssw-build", {"scram-jobs": "4"}) == [(tpl.WRONG_TYPE, "scram-jobs")]
    assert codes("cmssw-build", {"scram-jobs": True}) == [(tpl.WRONG_TYPE, "scram-jobs")]
    assert codes("image-build", {"push-image": "yes"}) == [(tpl.NOT_IN_OPTIONS, "push-image")]
    assert codes("cmssw-build", {"release": "10_6_30"}) == [(tpl.REGEX_MISMATCH, "release")]


def test_validate_inputs_missing_required(tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(
        "spec:\n  inputs:\n    target:\n      description: t\n"
        "    flag:\n      type: boolean\n      default: false\n---\njob:\n  script: [echo]\n"
    )
    spec = tpl.parse_template(path)
    assert spec.inputs["target"].required and not spec.inputs["flag"].required
    assert [(p.code, p.input) for p in tpl.validate_inputs(spec, {})] == [
        (tpl.MISSING_INPUT, "target")
    ]
    assert tpl.validate_inputs(spec, {"target": "x", "flag": True}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("job:\n  script: [echo]\n", "no spec: header"),
        ("spec:\n  inputs:\n    a: {type: float}\n---\nx: {}\n", "unknown type"),
        ("spec: [\n---\nx: {}\n", "does not parse"),
    ],
)
def test_bad_headers_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(InputFileError, match=message) as info:
        tpl.parse_template(path)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


# --- generated documentation ------------------------------------------------------------


def test_docs_templates_md_is_current() -> None:
    assert stale_files() == [], "docs/templates.md is stale: run `python -m hepci._docgen`"


def test_docs_list_every_input() -> None:
    text = tpl.render_templates_markdown(TEMPLATES)
    for spec in TEMPLATES.values():
        assert f"### {spec.name}" in text
        for name in spec.inputs:
            assert f"| `{name}` |" in text
    assert "only template not executed for real" in text
    table = tpl.render_readme_table(TEMPLATES)
    assert table.count("](docs/templates.md#") == len(EXPECTED)


def test_stale_docs_are_detected(tmp_path: Path) -> None:
    (tmp_path / "templates.md").write_text("# old\n")
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- templates-table:start -->\nold\n<!-- templates-table:end -->\n")
    assert stale_files(tmp_path, readme) == [
        tmp_path / "templates.md",
        tmp_path / "rules.md",
        readme,
    ]
    write_all(tmp_path, readme)
    assert stale_files(tmp_path, readme) == []
    assert "](docs/templates.md#image-build)" in readme.read_text()
