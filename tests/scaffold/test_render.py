"""Every flavour x workflow combination renders a well-formed repository."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tomllib
import yaml
from scaffold.support import (
    ALL_CASES,
    ALL_IDS,
    combo_id,
    hadolint,
    hepci_commands,
    reana_client,
    run,
    template_includes,
    tool,
)

from hepci import __version__
from hepci.cli import main

pytestmark = pytest.mark.parametrize(("flavour", "workflow", "extra"), ALL_CASES, ids=ALL_IDS)


def files_of(repo: Path) -> set[str]:
    return {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()}


def test_expected_files_and_nothing_else(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    files = files_of(repo)
    common = {
        ".gitlab-ci.yml",
        "Dockerfile",
        ".dockerignore",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".yamllint",
        ".pre-commit-config.yaml",
        "LICENSE",
        "CITATION.cff",
        ".cruft.json",
        "config/config.yaml",
    }
    assert common <= files
    slug = repo.name.replace("-", "_")
    columnar = {
        f"src/{slug}/selection.py",
        f"src/{slug}/samples.py",
        "tests/test_selection.py",
        "tests/test_samples.py",
    }
    cmssw_dir = f"cmssw/Analysis/{''.join(w.capitalize() for w in slug.split('_'))}"
    cmssw = {
        f"{cmssw_dir}/plugins/BuildFile.xml",
        f"{cmssw_dir}/plugins/DimuonAnalyzer.cc",
        f"{cmssw_dir}/test/dimuon_cfg.py",
    }
    assert (columnar <= files) == (flavour != "cmssw")
    assert not (columnar & files) or flavour != "cmssw"
    assert (cmssw <= files) == (flavour != "columnar")
    assert not (cmssw & files) or flavour != "columnar"
    assert ("workflow/Snakefile" in files) == (workflow in {"snakemake", "reana-snakemake"})
    assert ("reana.yaml" in files) == workflow.startswith("reana")
    empty = [p for p in repo.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert empty == []


def test_no_unrendered_jinja_left(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    for path in repo.rglob("*"):
        assert "{{" not in path.name and "{%" not in path.name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\{\{\s*cookiecutter|\{%-?\s*(if|endif|for|raw)", text), path


def test_yaml_passes_yamllint_with_the_repository_config(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    result = run([tool("yamllint"), "--strict", "."], cwd=repo)
    assert result.returncode == 0, result.stdout
    checked = [p for p in repo.rglob("*") if p.suffix in {".yml", ".yaml"} or p.name == ".yamllint"]
    assert len(checked) >= 4
    for path in checked:
        yaml.safe_load(path.read_text(encoding="utf-8"))


def test_gitlab_ci_matches_gitlab_schema_and_pins_templates(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    result = run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.gitlab-ci",
            "--data-transform",
            "gitlab-ci",
            "--regex-variant",
            "nonunicode",
            ".gitlab-ci.yml",
        ],
        cwd=repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    includes = template_includes(ci)
    style = extra.get("include_style", "component")  # components unless asked otherwise
    assert includes and {(s, v) for s, _, v, _ in includes} == {(style, __version__)}
    files = {name for _, name, _, _ in includes}
    assert {"lint", "image-build", "python-tests", "image-retag"} <= files
    assert ("cmssw-build" in files) == (flavour != "columnar")
    runs_snakemake = workflow in {"snakemake", "reana-snakemake"} and flavour != "cmssw"
    assert ("snakemake" in files) == runs_snakemake
    assert ("reana" in files) == workflow.startswith("reana")


def test_included_inputs_exist_in_our_templates(rendered, repo_root, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    for _, name, _, inputs in template_includes(ci):
        template = repo_root / "ci-templates" / f"{name}.yml"
        spec = next(yaml.safe_load_all(template.read_text(encoding="utf-8")))
        declared = spec["spec"]["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"{name}: unknown inputs {unknown}"
        required = {k for k, v in declared.items() if not v or "default" not in v}
        assert required <= set(inputs), name


def test_dockerfile_passes_hadolint_and_runs_as_group_zero(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    result = run([hadolint(), "Dockerfile"], cwd=repo)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (repo / "Dockerfile").read_text(encoding="utf-8")
    base = re.search(r"^FROM (\S+)", text, re.M).group(1)
    assert re.search(r":\d+\.\d+", base) and not base.endswith(":latest")
    assert re.search(r"^USER \d+:0$", text, re.M)
    assert "chgrp -R 0" in text and "chmod -R g=u" in text
    for label in ("title", "source", "licenses", "authors", "version"):
        assert f"org.opencontainers.image.{label}=" in text
    assert ("COPY workflow/" in text) == (workflow in {"snakemake", "reana-snakemake"})


def test_citation_cff_is_valid(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    result = run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.citation-file-format",
            "CITATION.cff",
        ],
        cwd=repo,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cff = yaml.safe_load((repo / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["license"] == extra.get("license", "Apache-2.0")
    assert cff["authors"][0]["family-names"] == "Analyst"


def test_python_files_compile_and_pyproject_is_consistent(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    for path in repo.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    meta = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["name"] == repo.name
    assert meta["project"]["license"] == extra.get("license", "Apache-2.0")
    assert meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        f"src/{repo.name.replace('-', '_')}"
    ]
    license_text = (repo / "LICENSE").read_text(encoding="utf-8")
    heading = {
        "Apache-2.0": "Apache License",
        "MIT": "MIT License",
        "BSD-3-Clause": "BSD 3-Clause License",
    }[meta["project"]["license"]]
    assert license_text.lstrip().startswith(heading) and "Jane Analyst" in license_text


def test_cmssw_package_is_well_formed(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    if flavour == "columnar":
        assert not (repo / "cmssw").exists()
        return
    (buildfile,) = repo.glob("cmssw/Analysis/*/plugins/BuildFile.xml")
    root = ET.fromstring(f"<BuildFile>{buildfile.read_text(encoding='utf-8')}</BuildFile>")
    uses = {e.get("name") for e in root.iter("use")}
    assert {"FWCore/Framework", "DataFormats/PatCandidates", "CommonTools/UtilAlgos"} <= uses
    assert root.find("flags").get("EDM_PLUGIN") == "1"
    plugin = (buildfile.parent / "DimuonAnalyzer.cc").read_text(encoding="utf-8")
    assert "DEFINE_FWK_MODULE(DimuonAnalyzer)" in plugin
    assert plugin.count("{") == plugin.count("}")
    (config,) = repo.glob("cmssw/Analysis/*/test/dimuon_cfg.py")
    code = compile(config.read_text(encoding="utf-8"), str(config), "exec")
    assert "DimuonAnalyzer" in code.co_consts or '"DimuonAnalyzer"' in config.read_text()


def test_reana_yaml_passes_reana_client_validate(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    if not workflow.startswith("reana"):
        assert not (repo / "reana.yaml").exists()
        return
    client = reana_client()
    result = run([client, "validate"], cwd=repo, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid REANA specification file" in result.stdout
    spec = yaml.safe_load((repo / "reana.yaml").read_text(encoding="utf-8"))
    expected = "snakemake" if workflow == "reana-snakemake" else "serial"
    assert spec["workflow"]["type"] == expected
    assert "results/dimuon_mass.png" in spec["outputs"]["files"]


def test_cruft_record_matches_answers(rendered, flavour, workflow, extra):
    repo = rendered[combo_id(flavour, workflow, extra)]
    record = json.loads((repo / ".cruft.json").read_text(encoding="utf-8"))
    assert set(record) == {"template", "commit", "checkout", "context", "directory", "skip"}
    context = record["context"]["cookiecutter"]
    assert context["flavour"] == flavour and context["workflow"] == workflow
    assert context["_template"] == record["template"] == "https://gitlab.cern.ch/hepci/hepci.git"
    assert record["directory"] == "cookiecutter-analysis"
    assert not any(str(v).startswith("/") for v in context.values())


def test_hepci_lint_finds_nothing(rendered, capsys, flavour, workflow, extra):
    if "lint" not in hepci_commands():
        pytest.skip("hepci lint is not available yet")
    repo = rendered[combo_id(flavour, workflow, extra)]
    code = main(["lint", str(repo)])
    out, err = capsys.readouterr()
    assert code == 0, out + err


def test_hepci_audit_has_no_error_or_warning(rendered, capsys, flavour, workflow, extra):
    if "audit" not in hepci_commands():
        pytest.skip("hepci audit is not available yet")
    repo = rendered[combo_id(flavour, workflow, extra)]
    code = main(["audit", "--fail-on", "warning", "-f", "json", str(repo)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    report = json.loads(out)
    assert report["summary"]["audited"] == 1
    assert report["summary"]["failed_rules"]["error"] == 0
    assert report["summary"]["failed_rules"]["warning"] == 0


def test_generated_python_passes_its_own_ruff_hooks(rendered, flavour, workflow, extra):
    """The repository ships ruff in .pre-commit-config.yaml: its own code must pass it."""
    repo = rendered[combo_id(flavour, workflow, extra)]
    checked = run([tool("ruff"), "check", "--no-cache", "."], cwd=repo)
    assert checked.returncode == 0, checked.stdout
    formatted = run([tool("ruff"), "format", "--check", "--no-cache", "."], cwd=repo)
    assert formatted.returncode == 0, formatted.stdout
