"""A known token must not appear in any output, log, report, error or traceback."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.cli import main
from hepci.errors import RemoteError
from hepci.gitlab.sources import audit_remote
from remote.helpers import make_settings

CI_VARS = ("CI_JOB_TOKEN", "CI_SERVER_URL", "GITLAB_URL", "PYTHON_GITLAB_CFG", "CI_NODE_TOTAL")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CI_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path / "cache"))


def test_cli_output_logs_and_reports_never_show_the_token(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    token = gitlab_world.tokens.reader
    monkeypatch.setenv("GITLAB_TOKEN", token)
    caplog.set_level(logging.DEBUG)  # urllib3, python-gitlab and ours, everything
    gitlab_double.faults.configure(seed=5, error_rate=0.15, drop_rate=0.05)
    report = tmp_path / "audit.json"
    code = main([
        "--debug", "-v", "audit", "gitlab:hep/analyses", "--gitlab-url", gitlab_double.url,
        "-f", "terminal", "-f", f"json={report}", "-f", f"html={tmp_path / 'dash.html'}",
    ])  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1, 3)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data  # the audit ran and wrote its report
    texts = [out, err, caplog.text, report.read_text(), (tmp_path / "dash.html").read_text()]
    texts += [p.read_text() for p in (tmp_path / "cache").rglob("*.json")]
    assert "hep/analyses" in out + report.read_text()
    for text in texts:
        assert token not in text


def test_a_wrong_token_fails_in_one_line_without_showing_it(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "glpat-" + "wrong-token-0123456789"  # built from pieces: not a committed secret
    monkeypatch.setenv("GITLAB_TOKEN", wrong)
    code = main(["audit", "gitlab:hep", "--gitlab-url", gitlab_double.url, "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "401" in out + err or "authentication" in (out + err).lower()
    assert wrong not in out + err
    with pytest.raises(RemoteError) as caught:
        audit_remote("gitlab:hep", make_settings(gitlab_double, wrong), lambda repo: repo.name)
    trace = "".join(traceback.format_exception(caught.value))
    assert "401" in trace and wrong not in trace and wrong not in repr(caught.value)


def test_failed_project_reasons_never_show_the_token(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    token = gitlab_world.tokens.reader
    settings = make_settings(gitlab_double, token, max_retries=0, timeout=0.3)
    gitlab_double.faults.configure(
        only=frozenset({"POST /api/graphql", "GET /projects/:id/repository/tree"}),
        error_rate=0.5, drop_rate=0.3, slow_rate=0.2, slow_seconds=0.6,
    )  # fmt: skip
    run = audit_remote("gitlab:hep/analyses", settings, lambda repo: repo.name)
    assert run.failed
    assert all(token not in f"{f.reason} {f!r}" for f in run.failed)
    assert token not in repr(run)


def test_token_and_cache_dir_options_take_precedence_and_stay_hidden(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-" + "overridden-by-the-option")
    token = gitlab_world.tokens.reader
    cache = tmp_path / "own-cache"
    report = tmp_path / "audit.json"
    code = main([
        "audit", "gitlab:hep/analyses", "--gitlab-url", gitlab_double.url, "--token", token,
        "--cache-dir", str(cache), "--no-progress", "-f", f"json={report}",
    ])  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1)  # audited with the option's token: nothing failed to authenticate
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["projects"] and not data["failures"]
    stored = list(cache.rglob("*.sqlite"))
    assert stored  # the cache went where the option said
    assert token not in out + err + report.read_text()
    assert all(
        token.encode() not in path.read_bytes() for path in cache.rglob("*") if path.is_file()
    )
