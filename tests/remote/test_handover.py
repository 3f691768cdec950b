"""Cache hits go to the consumer as listing entries: the projects that do need reading are sent
as soon as they are listed, however slow the consumer (the audit) is; a snapshot that was valid
when listed but cannot be used when read is read again, never lost."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.gitlab import collect
from hepci.gitlab.cache import SNAPSHOTS, SnapshotCache
from hepci.gitlab.model import Snapshot
from hepci.gitlab.settings import RemoteSettings
from hepci.gitlab.sources import remote_snapshots, run_remote
from remote.helpers import make_settings

GRAPHQL = "POST /api/graphql"


def _settings(double: GitLabDouble, world: World, tmp_path: Path) -> RemoteSettings:
    return replace(make_settings(double, world.tokens.reader), cache_dir=tmp_path / "cache")


def _last_listed_member(world: World) -> str:
    """The readable project GitLab lists last (hepci lists by id, ascending)."""
    members = [p for p in world.projects if p.access == "member" and not p.archived and not p.empty]
    return max(members, key=lambda p: p.id).full_path


def _change(world: World, full_path: str) -> None:
    project = world.state.find_project(full_path)
    assert project is not None
    project.repo.commit_files(
        project.default_branch_name, {"README.md": b"# changed\n"}, "edit", ("a", "a@b"),
        int(time.time()),
    )  # fmt: skip
    project.last_activity_at = time.time()


def test_a_slow_consumer_does_not_hold_back_the_projects_to_read(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(fresh_double, fresh_world, tmp_path)
    cold = remote_snapshots("gitlab:hep", settings)
    changed = _last_listed_member(fresh_world)
    _change(fresh_world, changed)
    monkeypatch.setattr(collect, "QUEUE_BOUND", 2)  # two fetched snapshots may wait, no more
    handled: list[tuple[float, Snapshot]] = []

    def slow(snapshot: Snapshot) -> Snapshot:
        time.sleep(0.03)
        handled.append((time.monotonic(), snapshot))
        return snapshot

    fresh_double.stats.reset()
    warm = run_remote("gitlab:hep", settings, slow)
    assert len(warm.results) == len(cold.results) and not warm.failed
    from_cache = [at for at, snap in handled if snap.source == "cache"]
    assert len(from_cache) == len(cold.results) - 1 > 5
    sent = min(r.started for r in fresh_double.stats.log if r.route == GRAPHQL)
    # before the consumer got through half the cached projects (it used to wait for all)
    assert sent < from_cache[len(from_cache) // 2]
    (fetched,) = [snap for _, snap in handled if snap.source != "cache"]
    assert fetched.info.full_path == changed
    assert fetched.files["README.md"].content == b"# changed\n"


def test_a_cached_snapshot_unusable_when_read_is_read_again(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(fresh_double, fresh_world, tmp_path)
    cold = {r.full_path: r.result for r in remote_snapshots("gitlab:hep", settings).results}
    broken = sorted(cold)[0]
    real = SnapshotCache.fresh

    def fresh_then_damaged(self: SnapshotCache, info, digest):  # type: ignore[no-untyped-def]
        valid = real(self, info, digest)
        if valid and info.full_path == broken:  # valid when listed, damaged before it is read
            with sqlite3.connect(self.path) as db:
                db.execute(f"UPDATE {SNAPSHOTS} SET entry = '{{' WHERE project_id = ?", (info.id,))
        return valid

    monkeypatch.setattr(SnapshotCache, "fresh", fresh_then_damaged)
    warm = remote_snapshots("gitlab:hep", settings)
    by_path = {r.full_path: r for r in warm.results}
    assert set(by_path) == set(cold) and not warm.failed
    assert by_path[broken].source != "cache"  # read again from GitLab ...
    assert by_path[broken].result.files == cold[broken].files  # ... with the same files
    assert sum(r.source == "cache" for r in warm.results) == len(cold) - 1
