"""PIN001–PIN005: unpinned includes, components, remote URLs, CI images and base images.

The corpus tests compute what should be found with an independent walk (PyYAML, a simpler
notion of "pinned") and assert that the rules find exactly those includes.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hepci.audit.config import AuditConfig
from hepci.audit.context import AuditContext
from hepci.audit.model import Finding
from hepci.audit.rule import Skip, all_rules
from hepci.audit.rules._ci import ref_problem
from hepci.cli import main
from hepci.core.repo import MemoryRepo

SHA = "145b1bc7ef1702d2bd71584010d7113c6786a506"
DIGEST = "sha256:" + "ab" * 32


def messages(result):
    return [(f.line, f.message) for f in result.findings]


# ------------------------------------------------------------------- the Done-means case


CERN_KANIKO = """\
include: [{project: 'ci-tools/container-image-ci-templates', file: ['kaniko-image.gitlab-ci.yml']}]
build_image:
  stage: build
  extends: .build_kaniko
  variables: {DOCKER_FILE_NAME: "Dockerfile", PUSH_IMAGE: "true"}
"""


def test_audit_json_reports_the_unpinned_cern_template_include(tmp_path, capsys):
    repo = tmp_path / "analysis"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitlab-ci.yml").write_text(CERN_KANIKO)
    out = tmp_path / "audit.json"
    code = main(["audit", str(repo), "--select", "PIN,CI005", "-f", f"json={out}"])
    assert code == 1  # a warning, at the default --fail-on warning
    results = {r["id"]: r for r in json.loads(out.read_text())["projects"][0]["results"]}
    assert results["PIN001"]["status"] == "fail"
    assert results["PIN001"]["severity"] == "warning"
    (finding,) = results["PIN001"]["findings"]
    assert finding["line"] == 1 and finding["path"] == ".gitlab-ci.yml"
    assert finding["message"] == (
        "project `ci-tools/container-image-ci-templates` (kaniko-image.gitlab-ci.yml): "
        "no `ref`: follows the default branch"
    )
    assert results["CI005"]["status"] == "skip"  # not the hepci templates


# -------------------------------------------------------------------------- PIN001


def project_ci(ref: str | None) -> str:
    line = "" if ref is None else f"    ref: '{ref}'\n"
    return f"include:\n  - project: group/tools\n{line}    file: /ci.yml\n"


@pytest.mark.parametrize(
    ("ref", "problem"),
    [
        (None, "no `ref`: follows the default branch"),
        ("main", "`main` looks like a branch, not a tag or full commit SHA"),
        ("master", "`master` looks like a branch, not a tag or full commit SHA"),
        ("develop", "`develop` looks like a branch, not a tag or full commit SHA"),
        ("feature/new-fit", "`feature/new-fit` looks like a branch, not a tag or full commit SHA"),
        ("HEAD", "`HEAD` follows the default branch"),
        ("7", "partial version `7` moves with every release"),
        ("v7.9", "partial version `v7.9` moves with every release"),
        ("707b49ef", "abbreviated SHA `707b49ef`"),
    ],
)
def test_pin001_flags_moving_refs(rule, ref, problem):
    result = rule("PIN001", {".gitlab-ci.yml": project_ci(ref)})
    assert result.status == "fail" and result.severity == "warning"
    ((line, message),) = messages(result)
    assert message.startswith(f"project `group/tools` (/ci.yml): {problem}")
    assert line == (2 if ref is None else 3)


@pytest.mark.parametrize(
    "ref", ["1.2.3", "v2025.09.0", "release-1.2.3", "2.0.0-rc1", SHA, "$CI_COMMIT_SHA", "$MY_REF"]
)
def test_pin001_passes_tags_full_shas_and_unjudged_variables(rule, ref):
    assert rule("PIN001", {".gitlab-ci.yml": project_ci(ref)}).status == "pass"


def test_pin001_leaves_the_hepci_templates_to_ci005(audit):
    ci = "include:\n  - project: hepci/hepci\n    file: /ci-templates/lint.yml\n"
    by_id = {r.id: r for r in audit({".gitlab-ci.yml": ci}).results}
    assert by_id["CI005"].status == "fail" and by_id["PIN001"].status == "pass"


def test_pin001_follows_local_includes_and_trigger_includes(rule):
    files = {
        ".gitlab-ci.yml": (
            "include:\n  - local: ci/extra.yml\n"
            "child:\n  trigger:\n    include:\n"
            "      - project: group/pipelines\n        file: child.yml\n"
        ),
        "ci/extra.yml": "include:\n  - project: group/other\n    ref: main\n    file: a.yml\n",
    }
    result = rule("PIN001", files)
    assert [(f.path, f.line, f.message) for f in result.findings] == [
        (
            ".gitlab-ci.yml", 6,
            "job `child` trigger: project `group/pipelines` (child.yml): "
            "no `ref`: follows the default branch",
        ),
        (
            "ci/extra.yml", 3,
            "project `group/other` (a.yml): `main` looks like a branch, not a tag or full commit SHA",
        ),
    ]  # fmt: skip


# -------------------------------------------------------------------------- PIN002


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("~latest", "`~latest` moves with every release"),
        ("1", "partial version `1` moves with every release"),
        ("1.2", "partial version `1.2` moves with every release"),
        ("master", "`master` looks like a branch, not a tag or full commit SHA"),
    ],
)
def test_pin002_flags_moving_component_versions(rule, version, problem):
    ci = f"include:\n  - component: gitlab.gnome.org/GNOME/citemplates/release-service@{version}\n"
    result = rule("PIN002", {".gitlab-ci.yml": ci})
    assert messages(result) == [
        (2, f"component `gitlab.gnome.org/GNOME/citemplates/release-service`: {problem}")
    ]


@pytest.mark.parametrize("version", ["1.2.3", SHA, "$CI_COMMIT_SHA", "$VERSION"])
def test_pin002_passes_full_versions(rule, version):
    ci = f"include:\n  - component: $CI_SERVER_FQDN/group/comp/build@{version}\n"
    assert rule("PIN002", {".gitlab-ci.yml": ci}).status == "pass"


# -------------------------------------------------------------------------- PIN003


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        ("https://gitlab.dune-project.org/core/ci-config/raw/master/config/common/master.yml", "master"),
        ("https://gitlab.com/firecow/includes/-/raw/main/.gitlab-http.yml", "main"),
        ("https://raw.githubusercontent.com/org/repo/develop/ci.yml", "develop"),
    ],
)  # fmt: skip
def test_pin003_flags_branch_urls(rule, url, ref):
    result = rule("PIN003", {".gitlab-ci.yml": f"include:\n  - remote: '{url}'\n"})
    assert messages(result) == [
        (2, f"remote include {url}: `{ref}` looks like a branch, not a tag or full commit SHA")
    ]


@pytest.mark.parametrize(
    "url",
    [
        f"https://gitlab.gnome.org/Infrastructure/freedesktop-ci-templates/-/raw/{SHA}/t/fedora.yml",
        "https://gitlab.com/group/project/-/raw/v1.4.0/ci.yml",
        "https://example.org/ci/templates/build.yml",  # not a raw URL we can read: CI009's
    ],
)
def test_pin003_passes_tag_and_sha_urls(rule, url):
    assert rule("PIN003", {".gitlab-ci.yml": f"include:\n  - remote: '{url}'\n"}).status == "pass"


# -------------------------------------------------------------------------- PIN004

IMAGES_CI = f"""\
variables:
  PY: python:3.12-slim
  ROOT_IMAGE: rootproject/root:6.30.04-ubuntu22.04
image: alpine:3.20
default:
  services:
    - name: postgres:16.3
      alias: db
    - redis@{DIGEST}
build:
  image: $PY
  script: [make]
local-py:
  variables:
    PY: python:3.11@{DIGEST}
  image: ${{PY}}
  script: [make]
matrix:
  image: $ROOT_IMAGE
  parallel:
    matrix:
      - ROOT_IMAGE: ["rootproject/root:6.28.10-ubuntu22.04", "rootproject/root:6.32.02@{DIGEST}"]
  script: [make]
own:
  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA
  services: [docker:latest]
  script: [make]
"""


def test_pin004_reports_tag_only_images_in_every_form(rule):
    result = rule("PIN004", {".gitlab-ci.yml": IMAGES_CI})
    assert result.status == "fail" and result.severity == "info"
    assert messages(result) == [
        (4, "image `alpine:3.20` is pinned by tag only, not by digest"),
        (6, "services `postgres:16.3` is pinned by tag only, not by digest"),
        (
            11,
            "job `build`: image `python:3.12-slim` is pinned by tag only, not by digest "
            "(from `$PY`)",
        ),
        (
            19,
            "job `matrix`: image `rootproject/root:6.28.10-ubuntu22.04` is pinned by tag only, "
            "not by digest (from `$ROOT_IMAGE`)",
        ),
    ]
    assert {f.fix for f in result.findings} == {"pin-digests"}


def test_pin004_skips_images_known_only_at_run_time(rule):
    ci = "job:\n  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\n  script: [x]\n"
    result = rule("PIN004", {".gitlab-ci.yml": ci})
    assert result.status == "skip"
    assert result.skip_reason == (
        "1 image reference(s) use values not known here ($CI_COMMIT_SHORT_SHA, $CI_REGISTRY_IMAGE)"
    )
    assert rule("PIN004", {".gitlab-ci.yml": "job:\n  script: [x]\n"}).skip_reason == (
        "no CI image or service"
    )


# -------------------------------------------------------------------------- PIN005


def test_pin005_reports_base_images_by_tag(rule):
    dockerfile = (
        "ARG BASE=python:3.12-slim-bookworm\n"
        "FROM ${BASE} AS build\n"
        f"FROM almalinux:9.4@{DIGEST}\n"
        "FROM build AS final\n"
        "FROM alpine:latest\n"
    )
    result = rule("PIN005", {"Dockerfile": dockerfile})
    assert result.severity == "info"
    assert messages(result) == [
        (2, "base image `python:3.12-slim-bookworm` is pinned by tag only, not by digest "
            "(from `${BASE}`)"),
    ]  # fmt: skip
    pinned = f"FROM python:3.12-slim-bookworm@{DIGEST}\n"
    assert rule("PIN005", {"Dockerfile": pinned}).status == "pass"


# --------------------------------------------------------------- the shared classifier


@pytest.mark.parametrize(
    ("ref", "pinned"),
    [("1.2.3", True), ("v0.1.0", True), (SHA, True), ("a" * 64, True), ("1234567", False),
     ("main", False), ("~latest", False), ("", False), (None, False), ("abc1234", False)],
)  # fmt: skip
def test_ref_problem(ref, pinned):
    assert (ref_problem(ref, "project") is None) is pinned


# ------------------------------------------------------------------------------ corpus


class _AnyTag(yaml.SafeLoader):
    pass


_AnyTag.add_multi_constructor("!", lambda loader, suffix, node: None)


def _independent_unpinned(data: Any) -> dict[str, set[str]]:
    """What should be found, by a walk that shares no code with the rules."""
    pinned = re.compile(r"[0-9a-f]{40}|.*\d+\.\d+\.\d+.*|\$CI_COMMIT_SHA")
    out: dict[str, set[str]] = {"PIN001": set(), "PIN002": set(), "PIN003": set()}
    if not isinstance(data, dict):
        return out
    entries = data.get("include")
    entries = entries if isinstance(entries, list) else [entries] if entries else []
    for job in data.values():
        trigger = job.get("trigger") if isinstance(job, dict) else None
        if isinstance(trigger, dict) and trigger.get("include"):
            inner = trigger["include"]
            entries += inner if isinstance(inner, list) else [inner]
    for item in entries:
        entry = item
        if isinstance(item, str):
            entry = {"remote": item} if item.startswith("http") else {"local": item}
        if not isinstance(entry, dict):
            continue
        if "project" in entry:
            ref = str(entry.get("ref") or "")
            if not pinned.fullmatch(ref) and not (ref.startswith("$") and "SHA" not in ref):
                out["PIN001"].add(str(entry["project"]))
        elif "component" in entry:
            where, _, version = str(entry["component"]).rpartition("@")
            if not pinned.fullmatch(version) and not version.startswith("$"):
                out["PIN002"].add(where)
        elif "remote" in entry:
            url = str(entry["remote"])
            parts = url.split("/")
            if "raw" in parts and not pinned.fullmatch(parts[parts.index("raw") + 1]):
                out["PIN003"].add(url)
    return out


def _ci_body(text: str) -> Any:
    docs = list(yaml.load_all(text, Loader=_AnyTag))  # a SafeLoader subclass
    docs = [d for d in docs if d is not None]
    if len(docs) > 1 and isinstance(docs[0], dict) and set(docs[0]) == {"spec"}:
        return docs[1]
    return docs[-1] if docs else None


def check(rule_id: str, raw: bytes) -> list[Finding] | None:
    """One rule straight on a one-file repository (``None``: skipped); the full audit of the
    corpus, every rule, is test_hostile_and_corpus.py's."""
    ctx = AuditContext(MemoryRepo("corpus", {".gitlab-ci.yml": raw}), AuditConfig())
    try:
        return all_rules()[rule_id]().check(ctx)
    except Skip:
        return None


def _found(findings: list[Finding] | None) -> set[str]:
    names = set()
    for finding in findings or []:
        match = re.search(r"(?:project|component) `([^`]+)`|remote include (\S+):", finding.message)
        assert match, finding.message
        names.add(match[1] or match[2])
    return names


@pytest.mark.corpus
def test_corpus_unpinned_includes_are_all_found(corpus_dir: Path) -> None:
    rows = list(csv.DictReader((corpus_dir / "INDEX.tsv").open(), delimiter="\t"))
    expected_files = {"PIN001": 0, "PIN002": 0, "PIN003": 0}
    unreadable = []
    for row in rows:
        raw = (corpus_dir / row["filename"]).read_bytes()
        results = {rule_id: check(rule_id, raw) for rule_id in expected_files}
        encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        try:
            body = _ci_body(raw.decode(encoding).replace("\r\n", "\n"))
        except yaml.YAMLError:
            unreadable.append(row["filename"])  # invalid YAML: the rules skip
            assert set(results.values()) == {None}, row["filename"]
            continue
        expected = _independent_unpinned(body)
        for rule_id, names in expected.items():
            assert _found(results[rule_id]) == names, (row["filename"], rule_id)
            expected_files[rule_id] += bool(names)
    # The corpus exercises every rule, and what the rules skip is what INDEX.tsv calls invalid.
    assert all(expected_files.values()), expected_files
    invalid = {row["filename"] for row in rows if "invalid_yaml" in row["features"]}
    assert set(unreadable) == invalid
