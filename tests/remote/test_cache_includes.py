"""The snapshot cache's validity rules, and local includes read in batched extra rounds."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.gitlab.cache import ACTIVITY_GRACE, SnapshotCache
from hepci.gitlab.candidates import candidates_digest, local_includes
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo, Snapshot
from hepci.gitlab.sources import remote_snapshots
from remote.helpers import make_settings

GRAPHQL = "POST /api/graphql"


def snapshot(activity: str, fetched_at: float) -> Snapshot:
    info = ProjectInfo(7, "g/p", default_branch="main", last_activity_at=activity)
    files = {"README.md": FetchedFile.of("README.md", b"# hi\n")}
    return Snapshot(info, files, Details(head_sha="abc"), fetched_at)


def test_cache_hits_only_when_nothing_can_have_changed(tmp_path: Path) -> None:
    cache = SnapshotCache(tmp_path, "https://gitlab.example.org")
    digest = candidates_digest()
    old = "2024-01-01T00:00:00.000Z"
    snap = snapshot(old, time.time())
    cache.store(snap, digest)
    hit = cache.load(snap.info, digest)
    assert hit is not None and hit.source == "cache"
    assert hit.files == snap.files and hit.details == snap.details
    assert cache.load(snap.info, "other-candidate-list") is None
    moved = ProjectInfo(7, "g/p", default_branch="main", last_activity_at="2025-01-01T00:00:00Z")
    assert cache.load(moved, digest) is None
    renamed = ProjectInfo(7, "g/q", default_branch="main", last_activity_at=old)
    assert cache.load(renamed, digest) is None
    # taken less than an hour after the last activity: GitLab may not have bumped it since
    recent = time.time() - 60
    iso = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(recent))
    fresh = snapshot(iso, recent + ACTIVITY_GRACE / 2)
    cache.store(fresh, digest)
    assert cache.load(fresh.info, digest) is None
    # another instance never sees these entries; a corrupt entry is a miss, not a crash
    assert SnapshotCache(tmp_path, "https://other.example.org").load(snap.info, digest) is None
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE snapshots_v3 SET entry = '{not json' WHERE project_id = 7")
    assert cache.load(snap.info, digest) is None
    cache.close()


def test_a_corrupt_cache_database_is_moved_aside_and_replaced(tmp_path: Path) -> None:
    digest = candidates_digest()
    snap = snapshot("2024-01-01T00:00:00.000Z", time.time())
    cache = SnapshotCache(tmp_path, "https://gitlab.example.org")
    cache.path.parent.mkdir(parents=True)
    cache.path.write_bytes(b"this is not an SQLite database, " * 100)
    cache.store(snap, digest)
    assert cache.write_errors == 0
    assert cache.load(snap.info, digest) is not None
    cache.close()
    kept = cache.path.with_name(cache.path.name + ".corrupt")
    assert kept.read_bytes().startswith(b"this is not an SQLite database")
    again = SnapshotCache(tmp_path, "https://gitlab.example.org")  # a new run reads it back
    assert again.load(snap.info, digest) is not None
    again.close()


def test_an_unwritable_cache_is_counted_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "remote"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    cache = SnapshotCache(tmp_path, "https://gitlab.example.org")
    snap = snapshot("2024-01-01T00:00:00.000Z", time.time())
    cache.store(snap, candidates_digest())
    assert cache.write_errors == 1
    assert cache.load(snap.info, candidates_digest()) is None
    assert cache.misses == 1


def test_local_includes_parsing() -> None:
    text = b"""
include:
  - local: ci/build.yml
  - /ci/test.yml
  - project: other/group
    file: x.yml
  - remote: https://example.org/x.yml
  - local: 'ci/*.yml'
  - local: ../../etc/passwd
  - local: $CI_FILE
stages: [build]
"""
    assert local_includes(text) == ["ci/build.yml", "ci/test.yml", "etc/passwd"]
    assert local_includes(b"include: ci/one.yml\n") == ["ci/one.yml"]
    assert local_includes(b"include: [") == []  # broken YAML: the audit reports it


def test_includes_of_includes_are_read_in_batched_rounds(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    state = fresh_world.state
    members = [
        p for p in fresh_world.projects
        if p.access == "member" and not p.archived and not p.empty
    ][:3]  # fmt: skip
    assert len(members) == 3
    for spec in members:
        project = state.find_project(spec.full_path)
        assert project is not None
        files = {
            ".gitlab-ci.yml": b"include:\n  - local: ci/build.yml\n  - /ci/test.yml\n",
            "ci/build.yml": b"include: ci/nested.yml\nbuild: {script: [make]}\n",
            "ci/test.yml": b"test: {script: [pytest]}\n",
            "ci/nested.yml": b"nested: {script: [true]}\n",
        }
        project.repo.commit_files(project.default_branch_name, files, "ci", ("a", "a@b"), 1)
    settings = make_settings(fresh_double, fresh_world.tokens.reader)
    for only_rest in (False, True):
        fresh_double.stats.reset()
        if only_rest:
            fresh_double.faults.configure(only=frozenset({GRAPHQL}), error_rate=1.0)
            settings = make_settings(fresh_double, fresh_world.tokens.reader, max_retries=0)
        run = remote_snapshots("gitlab:hep", settings)
        by_path = {r.full_path: r.result for r in run.results}
        for spec in members:
            got = by_path[spec.full_path].files
            for name in ("ci/build.yml", "ci/test.yml", "ci/nested.yml"):
                assert got[name].content == files[name]
        if not only_rest:  # 2 include levels: 2 extra requests for all 3 projects together
            counts = fresh_double.stats.counts()
            audited = len(run.results)
            assert counts[GRAPHQL] <= 1 + 1 + -(-audited // run.stats.batch_size) + 2
    fresh_double.faults.clear()
