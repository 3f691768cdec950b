"""Issue 11.8: the snapshot cache holds private projects' files: only its owner may read it.

Whatever the umask, the cache's folders are 0700 and the database with its -wal/-shm files
0600; a cache left too open is tightened (with a warning); one owned by someone else is not
used; an existing shared folder given as ``--cache-dir`` (like /tmp) is never changed.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.gitlab.cache import SnapshotCache
from hepci.gitlab.sources import remote_snapshots
from remote.helpers import make_settings


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
        for p in [root, *sorted(root.rglob("*"))]
    }


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o002])
def test_a_new_cache_is_private_whatever_the_umask(
    gitlab_double: GitLabDouble, gitlab_world: World, tmp_path: Path, umask: None, mask: int
) -> None:
    os.umask(mask)
    root = tmp_path / "made" / "cache"  # neither exists: both are created, private
    settings = make_settings(gitlab_double, gitlab_world.tokens.reader, cache_dir=root)
    run = remote_snapshots("gitlab:hep/analyses/top", settings)
    assert run.results
    again = SnapshotCache(root, settings.url)  # open: the -wal and -shm files are there
    again.store_schema({"connection": True})
    found = modes(tmp_path / "made")
    again.close()
    files = {name for name in found if name.endswith(("sqlite", "-wal", "-shm"))}
    assert {Path(f).name for f in files} == {
        "snapshots.sqlite",
        "snapshots.sqlite-wal",
        "snapshots.sqlite-shm",
    }
    for name, mode in found.items():
        assert mode == (0o600 if name in files else 0o700), (name, oct(mode))


def test_an_existing_shared_folder_is_left_alone(tmp_path: Path, umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o1777)  # like /tmp
    cache = SnapshotCache(shared, "https://gitlab.example.org")
    cache.store_schema({"connection": True})
    cache.close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "remote").stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_a_too_open_cache_is_tightened_with_a_warning(
    tmp_path: Path, umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    os.umask(0o022)  # what hepci before 11.8 left: 0755 folders, 0644 files
    old = SnapshotCache(tmp_path, "https://gitlab.example.org")
    old.dir.mkdir(parents=True)
    old.path.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        old.path.with_name(old.path.name + suffix).write_bytes(b"")
    caplog.set_level(logging.WARNING, logger="hepci.gitlab")
    cache = SnapshotCache(tmp_path, "https://gitlab.example.org")
    cache.store_schema({"connection": True})
    assert cache.load_schema() == {"connection": True}
    cache.close()
    found = modes(tmp_path / "remote")
    assert all(mode & 0o077 == 0 for mode in found.values()), {k: oct(v) for k, v in found.items()}
    warned = [r.getMessage() for r in caplog.records if "readable by others" in r.getMessage()]
    assert len(warned) >= 3  # remote/, the instance folder, the database (and its side files)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_cache_owned_by_someone_else_is_not_used(
    tmp_path: Path, umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    planted = SnapshotCache(tmp_path, "https://gitlab.example.org")
    planted.dir.mkdir(parents=True, mode=0o777)
    os.chown(planted.dir, 65534, 65534)  # nobody: could have planted snapshots
    caplog.set_level(logging.WARNING, logger="hepci.gitlab")
    cache = SnapshotCache(tmp_path, "https://gitlab.example.org")
    cache.store_schema({"connection": True})
    assert cache.load_schema() is None and cache.write_errors == 1
    assert not cache.path.exists()
    assert any("belongs to another user" in r.getMessage() for r in caplog.records)
