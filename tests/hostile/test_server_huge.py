"""Issue 11.5: a GitLab that answers 2 GiB: hepci reads at most ``--max-response-mb`` of it.

The double generates the body while it sends it (never in memory), announced with
``Content-Length`` or chunked. hepci stops reading at the cap: the answer is one error for the
project it was for, the rest of the sweep goes on, and the client's memory stays bounded
(measured on a child ``hepci audit`` with ``os.wait4``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gitlab_double.populate import World, build_world
from gitlab_double.server import GitLabDouble
from remote.helpers import make_settings

from hepci.errors import RemoteError
from hepci.gitlab.sources import remote_snapshots

GIB = 2**30
MIB = 2**20
GRAPHQL = "POST /api/graphql"
RAW = "GET /projects/:id/repository/files/:file_path/raw"
LISTING = "GET /groups/:id/projects"
GROUP = "hep/analyses/top"


def one_project(world: World) -> int:
    """A project of ``GROUP`` the reader can audit."""
    return next(
        p.id
        for p in world.projects
        if p.full_path.startswith(GROUP + "/") and p.access == "member"
        and not (p.archived or p.empty) and not world.state.projects[p.id].mirror
    )  # fmt: skip


@pytest.fixture
def world() -> World:
    return build_world(n_projects=30, seed=4)


def huge_for(double: GitLabDouble, project_id: int, *, chunked: bool) -> None:
    """Every GraphQL answer, and the raw files of ``project_id``, are 2 GiB long."""
    double.faults.configure(
        huge_body=2 * GIB, huge_chunked=chunked, only=frozenset({GRAPHQL, RAW}),
        only_paths=rf"^/api/graphql$|/projects/{project_id}/repository/files/",
    )  # fmt: skip


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_huge_answer_fails_its_project_only(world: World, chunked: bool) -> None:
    with GitLabDouble(world.state) as double:
        victim = one_project(world)
        huge_for(double, victim, chunked=chunked)
        settings = make_settings(double, world.tokens.reader, max_response_bytes=8 * MIB)
        started = time.monotonic()
        run = remote_snapshots(f"gitlab:{GROUP}", settings)
        elapsed = time.monotonic() - started
    victim_path = world.state.projects[victim].full_path
    assert [f.full_path for f in run.failed] == [victim_path]
    assert "larger than 8 MiB" in run.failed[0].reason
    assert run.results and all(r.result.files for r in run.results)  # read with REST instead
    assert elapsed < 20


def test_a_huge_listing_is_one_error_for_the_target(world: World) -> None:
    with GitLabDouble(world.state) as double:
        double.faults.configure(huge_body=2 * GIB, only=frozenset({LISTING}))
        settings = make_settings(double, world.tokens.reader, max_response_bytes=4 * MIB)
        with pytest.raises(RemoteError) as caught:
            remote_snapshots(f"gitlab:{GROUP}", settings)
    assert "answer larger than 4 MiB (2048 MiB announced)" in str(caught.value)


CHILD = """
import resource, sys
cap = 3 * 2**30  # address space: a runaway fails here, not the machine
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from hepci.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_client_memory_stays_bounded_on_a_2_gib_answer(world: World, tmp_path: Path) -> None:
    """A real ``hepci audit`` in a child process: its peak RSS, its time, its report."""
    report = tmp_path / "audit.json"
    with GitLabDouble(world.state) as double:
        victim = one_project(world)
        huge_for(double, victim, chunked=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "CI_"))} | {
            "GITLAB_TOKEN": world.tokens.reader,
            "HEPCI_CACHE_DIR": str(tmp_path / "c"),
        }
        args = [
            "audit", f"gitlab:{GROUP}", "--gitlab-url", double.url, "--max-response-mb", "16",
            "--no-progress", "-f", f"json={report}", "--fail-on", "never",
        ]  # fmt: skip
        started = time.monotonic()
        errors = (tmp_path / "stderr.txt").open("wb")
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, *args], env=env,
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        _, status, usage = _wait(child, timeout=60)
        elapsed = time.monotonic() - started
        errors.close()
    peak_mib = usage.ru_maxrss / 1024  # Linux: KiB
    said = (tmp_path / "stderr.txt").read_text(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 3, said  # one project could not be audited
    assert "answer larger than 16 MiB" in said
    assert peak_mib < 400, f"peak RSS {peak_mib:.0f} MiB"
    assert elapsed < 45
    data = json.loads(report.read_text(encoding="utf-8"))
    failures = [f["target"] for f in data["failures"]]
    assert failures == [world.state.projects[victim].full_path]
    assert data["projects"]


def _wait(child: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, os.struct_rusage]:  # type: ignore[name-defined]
    """``os.wait4`` on ``child`` (its own rusage), killing it after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        time.sleep(0.05)
    child.kill()
    pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    pytest.fail(f"hepci audit did not finish within {timeout} s")


def test_a_head_answer_announcing_a_huge_body_is_fine(world: World) -> None:
    """HEAD has no body, whatever its Content-Length says (GitLab's file HEAD announces the
    JSON it would send): the cap must not refuse it."""
    from hepci.gitlab.client import ClientPool

    spec = next(p for p in world.projects if p.access == "member" and not p.empty)
    with GitLabDouble(world.state) as double:
        double.faults.configure(
            huge_body=2 * GIB, only=frozenset({"HEAD /projects/:id/repository/files/:file_path"})
        )
        settings = make_settings(double, world.tokens.reader, max_response_bytes=MIB)
        pool = ClientPool(settings)
        try:
            project = pool.rest().projects.get(spec.id, lazy=True)
            headers = project.files.head("README.md", ref=spec.default_branch)
        finally:
            pool.close()
    assert headers["Content-Length"] == str(2 * GIB)
