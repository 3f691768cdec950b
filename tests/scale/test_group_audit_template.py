"""ci-templates/group-audit.yml run for real by gitlab-ci-local: ``parallel:`` shard jobs audit
the GitLab double (served in its own process), the merge job's report equals an unsharded run
project for project; the sharded upgrade opens each merge request once, one journal a shard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gitlab
import pytest
from templates._project import Project

pytestmark = pytest.mark.slow
SHARDS = 3
HEPCI = str(Path(sys.executable).parent / "hepci")


def _ci(url: str, **inputs: str) -> str:
    lines = [
        "include:", "  - local: /ci-templates/group-audit.yml", "    inputs:",
        "      group: hep", f"      gitlab-url: {url}", f"      shards: {SHARDS}",
    ]  # fmt: skip
    lines += [f'      {key}: "{value}"' for key, value in inputs.items()]
    return "\n".join(lines) + "\n"


def _project(tmp_path: Path, url: str, token: str, **inputs: str) -> Project:
    project = Project.create(
        tmp_path / "maintainers", {".gitlab-ci.yml": _ci(url, **inputs)}, ("group-audit",)
    )
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    project.variables = {"PATH": path, "GITLAB_TOKEN": token}
    return project


def _projects(data: dict) -> list[tuple[str, dict]]:
    return [(p["name"], {k: v for k, v in p.items() if k != "seconds"}) for p in data["projects"]]


def test_sharded_audit_merges_into_the_unsharded_report(tmp_path, gcl, served_double):
    reader = served_double.tokens["reader"]
    project = _project(tmp_path, served_double.url, reader, cache="false")
    # --shell-isolation: each job in its own copy of the project, as on a runner
    done = project.gcl("--shell-isolation", context="schedule", timeout=600)
    for k in range(1, SHARDS + 1):
        assert f"PASS  group-audit-shard: [{k}/{SHARDS}]" in done.stdout
    assert "PASS  group-audit-merge" in done.stdout
    assert "group-audit-upgrade" not in done.stdout and "group-audit-pages" not in done.stdout
    shard_reports = [
        json.loads(p.read_text())
        for p in (project.path / ".gitlab-ci-local" / "artifacts").glob(
            "group-audit-shard*/group-audit-shard-*.json"
        )
    ]
    assert sorted(r["scope"]["shard"]["index"] for r in shard_reports) == [1, 2, 3]
    assert all(r["projects"] for r in shard_reports)  # the group really was split
    merged = json.loads(project.artifact("group-audit-merge", "group-audit.json").read_text())

    single_path = tmp_path / "single.json"
    env = {**os.environ, "GITLAB_TOKEN": reader}
    env.pop("CI_NODE_INDEX", None)
    run = subprocess.run(
        [HEPCI, "audit", "gitlab:hep", "--gitlab-url", served_double.url, "--no-cache",
         "--no-progress", "--fail-on", "never", "-f", f"json={single_path}"],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    single = json.loads(single_path.read_text())
    assert _projects(merged) == _projects(single)
    assert sum(len(r["projects"]) for r in shard_reports) == len(single["projects"])
    for key in ("summary", "failures", "skipped_targets"):
        assert merged[key] == single[key], key
    for rel in ("public/index.html", "gl-code-quality-report.json", "gl-hepci-audit.sarif",
                "hepci-audit-junit.xml"):  # fmt: skip
        assert project.artifact("group-audit-merge", rel).stat().st_size > 0, rel
    sarif = json.loads(project.artifact("group-audit-merge", "gl-hepci-audit.sarif").read_text())
    assert len(sarif["runs"]) == len(single["projects"])


def _open_mrs(url: str, token: str) -> list[int]:
    gl = gitlab.Gitlab(url, private_token=token, timeout=30)
    mrs = gl.groups.get("hep").mergerequests.list(state="opened", iterator=True, per_page=100)
    return [mr.project_id for mr in mrs]


def test_sharded_upgrade_writes_each_project_once(tmp_path, gcl, served_double):
    writer, owner = served_double.tokens["writer"], served_double.tokens["owner"]
    env = {**os.environ, "GITLAB_TOKEN": writer}
    env.pop("CI_NODE_INDEX", None)
    plan = subprocess.run(
        [HEPCI, "-q", "upgrade", "gitlab:hep", "--gitlab-url", served_double.url],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    to_upgrade = int(plan.stdout.rsplit(" to upgrade", 1)[0].split()[-1])
    assert to_upgrade > SHARDS
    assert _open_mrs(served_double.url, owner) == []

    project = _project(tmp_path, served_double.url, writer, cache="false", upgrade="true")
    done = project.gcl("--shell-isolation", "group-audit-upgrade", context="schedule", timeout=600)
    journals: dict[int, set[str]] = {}
    for path in (project.path / ".gitlab-ci-local" / "artifacts").glob(
        "group-audit-upgrade*/upgrade-journal-*.jsonl"
    ):
        index = int(path.name.split("-")[2])
        entries = [json.loads(line) for line in path.read_text().splitlines()]
        journals[index] = {e["project"] for e in entries if e["status"] == "mr-created"}
    assert sorted(journals) == [1, 2, 3], done.stdout[-3000:]
    created = [name for names in journals.values() for name in names]
    assert len(created) == len(set(created)) == to_upgrade  # no project in two shards
    mrs = _open_mrs(served_double.url, owner)
    assert len(mrs) == len(set(mrs)) == to_upgrade  # one merge request per project
