"""The findings cache: a warm re-run of an unchanged group audits no project again, gives the
same report, and is invalidated by a new hepci version, a changed rule set or config, or a
changed project; volatile rules (GL004, today's date) are re-run on every hit."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from hepci.audit import engine, findings
from hepci.audit.rules import gl
from hepci.cli import main


@pytest.fixture
def audits(monkeypatch):
    """Counts the projects the audit engine really audits."""
    calls: list[str] = []
    real = engine.audit_with_config

    def counted(repo, config=None, **kwargs):
        calls.append(repo.name)
        return real(repo, config, **kwargs)

    monkeypatch.setattr(engine, "audit_with_config", counted)
    return calls


@pytest.fixture
def sweep(fresh_double, fresh_world, tmp_path, monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", fresh_world.tokens.reader)
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CI_NODE_INDEX", raising=False)

    def run(name: str, *extra: str) -> dict:
        out = tmp_path / f"{name}.json"
        code = main(
            ["audit", "gitlab:hep", "--gitlab-url", fresh_double.url, "--no-progress",
             "--fail-on", "never", "-f", f"json={out}", *extra]
        )  # fmt: skip
        assert code == 0
        return json.loads(out.read_text())

    return run


def _projects(data: dict) -> list[dict]:
    return [{k: v for k, v in p.items() if k != "seconds"} for p in data["projects"]]


def test_warm_run_audits_nothing_and_reports_the_same(sweep, audits, tmp_path):
    cold = sweep("cold")
    audited = len(cold["projects"])
    assert audited > 3 and len(audits) == audited
    db = tmp_path / "cache" / "remote"
    (found,) = db.glob("*/findings.sqlite")
    assert found.stat().st_mode & 0o777 == 0o600 and found.parent.stat().st_mode & 0o077 == 0
    audits.clear()
    warm = sweep("warm")
    assert audits == []  # every project from the findings cache
    assert _projects(warm) == _projects(cold)
    assert warm["summary"] == cold["summary"]


@pytest.mark.parametrize(
    "change",
    ["version", "rule", "config"],
)
def test_version_rules_and_config_invalidate(sweep, audits, monkeypatch, tmp_path, change):
    cold = sweep("cold")
    audits.clear()
    extra: tuple[str, ...] = ()
    if change == "version":
        monkeypatch.setattr(findings, "__version__", "99.0.0")
    elif change == "rule":
        monkeypatch.setattr(gl.GL003, "severity", "error")  # one rule's definition changed
    else:
        config = tmp_path / "group.toml"
        config.write_text("inactive-months = 3\n")
        extra = ("--config", str(config))
    sweep("again", *extra)
    assert len(audits) == len(cold["projects"])  # all audited again
    audits.clear()
    sweep("once-more", *extra)
    assert audits == []  # and cached under the new key


def test_a_changed_project_alone_is_audited_again(sweep, audits, fresh_world):
    cold = sweep("cold")
    name = cold["projects"][0]["name"]
    project = fresh_world.state.find_project(name)
    project.repo.commit_files(
        project.default_branch_name, {"README.md": b"# changed\n"}, "edit", ("a", "a@b"),
        int(time.time()),
    )  # fmt: skip
    project.last_activity_at = time.time()
    audits.clear()
    sweep("warm")
    assert audits == [name]


def test_volatile_rules_are_rerun_on_a_hit(sweep, audits, monkeypatch):
    def gl004(data: dict) -> dict[str, dict]:
        return {p["name"]: {r["id"]: r for r in p["results"]}["GL004"] for p in data["projects"]}

    before = gl004(sweep("cold"))
    inactive = [name for name, r in before.items() if r["status"] == "fail"]
    assert inactive

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz or timezone.utc) + timedelta(days=3650)

    monkeypatch.setattr(gl, "datetime", Later)
    checks: list[str] = []
    real_check = gl.GL004.check
    monkeypatch.setattr(
        gl.GL004, "check", lambda self, ctx: checks.append(ctx.repo.name) or real_check(self, ctx)
    )
    audits.clear()
    after = gl004(sweep("warm"))
    assert audits == []  # still from the cache ...
    assert checks and sorted(checks) == sorted(set(checks))  # GL004 ran once per project
    for name in inactive:  # ... but GL004 looked at today's date again: ten years later
        old = int(before[name]["findings"][0]["message"].split()[3])
        new = int(after[name]["findings"][0]["message"].split()[3])
        assert new >= old + 119, (before[name], after[name])


def test_a_corrupt_findings_database_is_moved_aside_and_the_run_still_cached(
    sweep, audits, tmp_path
):
    cold = sweep("cold")
    (db,) = (tmp_path / "cache" / "remote").glob("*/findings.sqlite")
    for side in db.parent.glob("findings.sqlite-*"):
        side.unlink()
    db.write_bytes(b"not an SQLite database " * 200)
    audits.clear()
    again = sweep("after-corruption")  # nothing usable stored: every project audited again
    assert len(audits) == len(cold["projects"]) and _projects(again) == _projects(cold)
    kept = db.with_name("findings.sqlite.corrupt")
    assert kept.read_bytes().startswith(b"not an SQLite database")
    assert db.stat().st_mode & 0o777 == 0o600
    audits.clear()
    sweep("warm")  # the new database holds them
    assert audits == []


def test_a_damaged_stored_report_is_audited_again_not_spooled(sweep, audits, tmp_path):
    """A hit is spooled still compressed, so its bytes are checked (CRC-32) before."""
    import sqlite3

    cold = sweep("cold")
    (db,) = (tmp_path / "cache" / "remote").glob("*/findings.sqlite")
    with sqlite3.connect(db) as con:
        project, packed = con.execute("SELECT project, report FROM findings_v1 LIMIT 1").fetchone()
        damaged = bytes(packed[:-5]) + bytes(b ^ 0xFF for b in packed[-5:])
        con.execute("UPDATE findings_v1 SET report = ? WHERE project = ?", (damaged, project))
    audits.clear()
    again = sweep("after-damage")
    assert audits == [project]  # that project alone, audited again
    assert _projects(again) == _projects(cold)
