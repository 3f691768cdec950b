"""Every report format parses and carries the findings; the HTML dashboard renders."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from hepci.audit.engine import audit_repo
from hepci.audit.model import AuditRun, TargetFailure
from hepci.audit.reports import FORMATS, render
from hepci.core.repo import MemoryRepo, RepoMeta

CI = b"image: python\njob:\n  script: [make]\n  only: [main]\n  tags: [cvmfs]\n"


@pytest.fixture(scope="module")
def run() -> AuditRun:
    one = audit_repo(MemoryRepo("grp/one", {".gitlab-ci.yml": CI, "README.md": b"x"}))
    meta = RepoMeta(full_path="grp/two", web_url="https://gitlab.example/grp/two")
    two = audit_repo(MemoryRepo("grp/two", {"Dockerfile": b"FROM python\n"}, meta=meta))
    return AuditRun.of([one, two], [TargetFailure("grp/three", "403 Forbidden")])


def test_json_schema(run):
    data = json.loads(render(run, "json"))
    assert data["schema_version"] == 1
    assert data["summary"] == {
        "targets": 3,
        "audited": 2,
        "not_audited": 1,
        "failed_rules": run.counts(),
    }
    assert data["exit_code"] == 3
    one = data["projects"][0]
    assert one["name"] == "grp/one"
    ci007 = next(r for r in one["results"] if r["id"] == "CI007")
    assert ci007["status"] == "fail"
    assert {"message", "path", "line", "fix"} == set(ci007["findings"][0])
    assert ci007["findings"][0]["line"] == 1
    assert one["families"]["CI"]["applicable"] >= one["families"]["CI"]["passed"]
    assert data["failures"] == [{"target": "grp/three", "error": "403 Forbidden", "exit_code": 3}]
    assert data["skipped_targets"] == []
    assert set(data) == {
        "schema_version", "tool", "generated_at", "fail_on", "exit_code", "summary",
        "projects", "failures", "skipped_targets",
    }  # fmt: skip
    # preservation: present when the PRES rules ran
    assert set(one) - {"preservation"} == {
        "name", "web_url", "score", "families", "seconds", "fail_on", "results",
    }  # fmt: skip


def test_json_fields_are_documented(run, repo_root):
    doc = (repo_root / "docs" / "audit-json.md").read_text(encoding="utf-8")
    data = json.loads(render(run, "json"))
    result = data["projects"][0]["results"][0]
    for key in [*data, *data["projects"][0], *result, *data["summary"]]:
        assert any(form in doc for form in (f"`{key}", f".{key}`", f".{key}[")), key


def test_code_quality(run):
    issues = json.loads(render(run, "codequality"))
    assert issues, "findings must become issues"
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    cvmfs = next(i for i in issues if i["check_name"] == "CI014")
    assert cvmfs["location"] == {"path": "grp/one/.gitlab-ci.yml", "lines": {"begin": 5}}
    assert json.loads(render(run, "codequality")) == issues  # stable fingerprints


def test_junit(run):
    root = ET.fromstring(render(run, "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["grp/one", "grp/two", "grp/three"]
    one = suites[0]
    cases = {c.get("name").split()[0]: c for c in one.findall("testcase")}
    assert cases["CI014"].find("failure") is not None
    assert cases["CI001"].find("failure") is None and cases["CI001"].find("skipped") is None
    assert cases["CI005"].find("skipped") is not None
    assert int(one.get("failures")) == len(run.reports[0].failed())
    assert suites[2].find("testcase/error").get("message") == "403 Forbidden"


def test_sarif(run):
    doc = json.loads(render(run, "sarif"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    assert len(doc["runs"]) == 2
    sarif_run = doc["runs"][0]
    rules = sarif_run["tool"]["driver"]["rules"]
    failed = {r.id for r in run.reports[0].failed()}
    assert failed and {r["id"] for r in rules} == failed  # the rules its results refer to
    assert all(r["helpUri"].endswith("#" + r["id"].lower()) for r in rules)
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    for result in sarif_run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    cvmfs = next(r for r in sarif_run["results"] if r["ruleId"] == "CI014")
    assert cvmfs["locations"][0]["physicalLocation"]["region"] == {"startLine": 5}


def test_markdown(run):
    text = render(run, "markdown")
    assert text.startswith("# hepci audit")
    assert "| Project | Score |" in text  # group table
    assert "`.gitlab-ci.yml:5` job `job`: tag `cvmfs` is now `k8s-cvmfs`" in text
    assert "## Not audited" in text and "`grp/three`: 403 Forbidden" in text


def test_terminal_fix_first_order(run):
    from hepci.audit.reports import terminal

    text = terminal.render(AuditRun.of(run.reports[:1]))
    assert "\x1b[" not in text
    fix_block = text.split("Fix first:")[1]
    order = [
        line.split()[0]
        for line in fix_block.splitlines()
        if line.startswith("  ") and not line.startswith("      ")
    ]
    # warnings before infos; among warnings, rules with a codemod first
    assert order.index("CI007") < order.index("CI012") < order.index("CI004")
    assert order.index("CI014") < order.index("REPO002")
    assert "\x1b[" in terminal.render(AuditRun.of(run.reports[:1]), color=True)


def test_html_is_self_contained(run):
    html = render(run, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" in html and "src=" not in html and "<link" not in html
    assert html.count("<details>") >= 2
    assert 'href="https://gitlab.example/grp/two"' in html
    ET.fromstring(html.split("<table", 1)[1].join(["<table", ""]).split("</table>")[0] + "</table>")


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat = b""
    pos = 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, len(set(raw[:400_000]))


@pytest.mark.slow
def test_html_screenshot_in_headless_chromium(run, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    page = tmp_path / "dash.html"
    page.write_text(render(run, "html"), encoding="utf-8")
    png = tmp_path / "dash.png"
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}", "--window-size=1400,900", page.as_uri(),
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    width, height, distinct = _png_size_and_colours(png)
    assert (width, height) == (1400, 900)
    assert distinct > 20, "a blank page has only a handful of distinct byte values"
    assert png.stat().st_size > 20_000


def test_format_names():
    assert set(FORMATS) == {
        "terminal", "json", "markdown", "html", "catalogue", "codequality", "junit", "sarif",
    }  # fmt: skip


@pytest.mark.slow
def test_html_columns_sort_in_chromium(run, tmp_path):
    """Click the Score header twice (by script) in headless Chromium; rows follow the score."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    clicks = "<script>var th=document.querySelectorAll('th')[1];th.click();th.click();</script>"
    page = tmp_path / "sorted.html"
    page.write_text(render(run, "html").replace("</body>", clicks + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
        ],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    body = done.stdout.split("<tbody>")[1].split("</tbody>")[0]
    names = [row.split('data-v="')[1].split('"')[0] for row in body.split("<tr>")[1:]]
    by_score = sorted(run.reports, key=lambda r: -(r.score() or -1))
    assert names == [r.name for r in by_score]  # second click: descending
    assert 'class="sorted-desc"' in done.stdout or "sorted-desc" in done.stdout


def test_terminal_group_summary(run):
    from hepci.audit.reports import terminal

    text = terminal.render(run)
    lines = text.splitlines()
    assert lines[0].split() == [
        "project",
        "score",
        "CI",
        "IMG",
        "PIN",
        "WF",
        "TST",
        "REPO",
        "PRES",
        "GL",
        "failed",
    ]
    rows = {line.split()[0]: line.split() for line in lines[1:3]}
    assert set(rows) == {"grp/one", "grp/two"}
    for report in run.reports:
        assert rows[report.name][-1] == str(len(report.failed()))
    often = text.split("Failing most often:")[1]
    ci001 = next(line for line in often.splitlines() if "CI001" in line)
    assert ci001.strip().endswith("1 of 2 projects")
    assert "not audited: grp/three: 403 Forbidden" in text
    assert "Fix first:" in terminal.render(run, verbose=True)
