"""Which jobs a pipeline contains, per context: gitlab-ci-local `--list-json` on an analysis
repository that includes every template. Docs-only changes run nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from templates._analysis import ALL_TEMPLATES, FILES
from templates._project import TEMPLATES_DIR, Project

from hepci import __version__

pytestmark = pytest.mark.slow

BUILD = {"image-build": "on_success"}
CODE = {
    "python-tests": "on_success",
    "zpeak-build": "on_success",
    "zpeak-test": "on_success",
    "snakemake": "on_success",
    "reana-validate": "on_success",
}
LINT = dict.fromkeys(("lint-yaml", "lint-dockerfile", "lint-hepci", "lint-audit"), "on_success")
RETAG = {"image-retag": "on_success", "image-retag-unpacked": "on_success"}

# context, what the last commit changes, expected {job: when}
TABLE = [
    ("branch", "code", {**BUILD, **CODE, "reana-run": "manual"}),
    ("mr", "code", {**BUILD, **CODE, "reana-run": "manual"}),
    ("branch", "docs", {}),
    ("mr", "docs", {}),
    ("branch", "ci", {**LINT}),
    ("default", "docs", {**BUILD, **CODE, **LINT}),
    ("default", "code", {**BUILD, **CODE, **LINT, "reana-run": "manual"}),
    ("tag", "docs", {**BUILD, **CODE, **LINT, **RETAG, "reana-run": "on_success"}),
    ("schedule", "docs", {**BUILD, **CODE, **LINT, "reana-run": "on_success"}),
    ("web", "docs", {**BUILD, **CODE, **LINT, "reana-run": "on_success"}),
]

CHANGES = {
    "code": {"analysis/select.py": "def passes(pt: float) -> bool:\n    return pt > 30.0\n"},
    "docs": {"docs/index.md": "# Z peak analysis\n\nMore words.\n", "README.md": "# Z\n"},
    "ci": {".gitlab-ci.yml": FILES[".gitlab-ci.yml"] + "# tweak\n"},
}


def listed(project: Project, context: str) -> dict[str, str]:
    out = project.gcl("--list-json", context=context).stdout
    jobs = json.loads(out[out.index("[") :])
    return {j["name"]: j["when"] for j in jobs if j["when"] != "never"}


@pytest.mark.parametrize(
    ("context", "change", "expected"), TABLE, ids=[f"{c}-{w}" for c, w, _ in TABLE]
)
def test_jobs_per_pipeline_context(
    tmp_path: Path, gcl: str, context: str, change: str, expected: dict[str, str]
) -> None:
    project = Project.create(tmp_path / "zpeak", dict(FILES), ALL_TEMPLATES)
    if context in {"branch", "mr"}:
        project.branch("feature/cuts")
    project.write(CHANGES[change])
    project.commit(f"change {change}")
    if context == "tag":
        project.tag("1.0.0")
    assert listed(project, context) == expected


def test_audit_and_unpacked_jobs_are_off_by_default(tmp_path: Path, gcl: str) -> None:
    ci = (
        FILES[".gitlab-ci.yml"]
        .replace('      unpacked: "true"\n', "")
        .replace('      audit: "true"\n', "")
    )
    ci = ci.replace(
        "  - local: /ci-templates/image-retag.yml\n    inputs:\n",
        "  - local: /ci-templates/image-retag.yml\n",
    )
    ci = ci.replace(
        "  - local: /ci-templates/lint.yml\n    inputs:\n", "  - local: /ci-templates/lint.yml\n"
    )
    project = Project.create(tmp_path / "zpeak", {**FILES, ".gitlab-ci.yml": ci}, ALL_TEMPLATES)
    project.tag("1.0.0")
    jobs = listed(project, "tag")
    assert "image-retag" in jobs and "lint-yaml" in jobs
    assert "image-retag-unpacked" not in jobs
    assert "lint-audit" not in jobs


def test_include_project_as_documented(tmp_path: Path, gcl: str) -> None:
    """The documented `include: project: hepci/hepci, ref: <version>` form, served from
    gitlab-ci-local's include cache (seeded as a fetch would fill it: no network)."""
    ci = FILES[".gitlab-ci.yml"].replace(
        "  - local: /ci-templates/",
        f'  - project: hepci/hepci\n    ref: "{__version__}"\n    file: /ci-templates/',
    )
    project = Project.create(tmp_path / "zpeak", {**FILES, ".gitlab-ci.yml": ci})
    cache = project.path / ".gitlab-ci-local/includes/gitlab.example.org/hepci/hepci" / __version__
    (cache / "ci-templates").mkdir(parents=True)
    for name in ALL_TEMPLATES:
        (cache / "ci-templates" / f"{name}.yml").write_text(
            (TEMPLATES_DIR / f"{name}.yml").read_text()
        )
    project.tag("1.0.0")
    expected = {**BUILD, **CODE, **LINT, **RETAG, "reana-run": "on_success"}
    assert listed(project, "tag") == expected
