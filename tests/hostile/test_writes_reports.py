"""Item 16: an audit whose only output is a file still says on stderr what failed and where
the report went (the GitLab double over real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.cli import main

CI_VARS = ("CI_JOB_TOKEN", "CI_SERVER_URL", "GITLAB_URL", "PYTHON_GITLAB_CFG", "CI_NODE_TOTAL")


@pytest.fixture
def remote(
    gitlab_double: GitLabDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> list[str]:
    for name in CI_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path / "cache"))
    return ["--gitlab-url", gitlab_double.url, "--no-progress"]


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("quiet", [[], ["-q"]], ids=["normal", "quiet"])
def test_a_failed_remote_audit_to_a_file_is_said_on_stderr(
    remote: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    quiet: list[str],
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-" + "not-a-valid-token-000")
    report = tmp_path / "audit.json"
    code = main([*quiet, "audit", "gitlab:hep", *remote, "-f", f"json={report}"])
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    [failure] = json.loads(report.read_text())["failures"]
    assert _lines(err) == [
        f"hepci audit: 1 of 1 target(s) could not be audited (all listed in {report}): "
        f"{failure['target']}: {failure['error']}",
        f"hepci audit: json report written to {report}",
    ]
    assert "401" in failure["error"]
    assert "not-a-valid-token" not in err


def test_some_projects_failing_are_counted_and_named(
    remote: list[str],
    gitlab_world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", gitlab_world.tokens.reader)
    report, html = tmp_path / "audit.json", tmp_path / "dash.html"
    code = main([
        "audit", "gitlab:hep", "gitlab:no-such-group", *remote,
        "-f", f"json={report},html={html}",
    ])  # fmt: skip
    out, err = capsys.readouterr()
    data = json.loads(report.read_text())
    audited = data["summary"]["audited"]
    assert code == 3 and out == ""
    [failed, *written] = _lines(err)
    assert failed.startswith(
        f"hepci audit: 1 of {audited + 1} target(s) could not be audited (all listed in {report}): "
        "gitlab:no-such-group: "
    )
    assert written == [
        f"hepci audit: json report written to {report}",
        f"hepci audit: html report written to {html}",
    ]


def test_a_successful_audit_to_a_file_says_where_it_went(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n")
    report = tmp_path / "out.sarif"
    main(["audit", str(repo), "-f", f"sarif={report}"])
    out, err = capsys.readouterr()
    assert out == ""
    assert _lines(err) == [f"hepci audit: sarif report written to {report}"]
