"""On-disk snapshots of remote projects, so an unchanged project costs no file reads.

One SQLite database per instance, ``<cache dir>/remote/<instance key>/snapshots.sqlite``
(write-ahead log, so parallel shards can share it), one row per project holding the listing's
``last_activity_at``, the fetched candidate files (base64) with their blob ids, and the
details, as JSON, beside a short validity stamp (the listing facts a reuse depends on) and the
time it was taken: whether a listed project can be reused is decided from the stamps of the
whole group, read in one query, without decoding any snapshot. One file for the whole group:
a file per project cost a third of a millisecond each to create on ext4, more than the rest of
the bookkeeping of a sweep.
A snapshot is reused when the project's ``last_activity_at``, default branch and the candidate
list are unchanged **and** it was taken at least an hour after that activity: GitLab refreshes
``last_activity_at`` at most once an hour, so a push in the hour after the last recorded
activity may not move it; snapshots taken in that hour are re-read. A corrupt database is
moved aside and started afresh; a cache that cannot be written is only counted.

The cache holds private projects' files: whatever the umask, ``remote/`` and the instance
folder are created ``0700`` and the database with its ``-wal``/``-shm``/``-journal`` files
``0600`` (missing parents of the cache folder too, ``0700``; an existing cache folder, which
may be shared like ``/tmp``, is never changed). A too-open cache left by an older hepci is
tightened, with a warning; one that belongs to another user is not used at all.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import sqlite3
import stat
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from hepci.core import fastjson
from hepci.core.sqlitedb import open_cache
from hepci.gitlab.model import Details, FetchedFile, ProjectInfo, Snapshot

log = logging.getLogger("hepci.gitlab")
CACHE_VERSION = 3  # 3: validity stamps in their own columns (table ``snapshots_v3``)
DIR_MODE, FILE_MODE = 0o700, 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")
_TABLES = (
    "DROP TABLE IF EXISTS snapshots",  # version 2's table: never read again
    "CREATE TABLE IF NOT EXISTS snapshots_v3 (project_id INTEGER PRIMARY KEY,"
    " stamp TEXT NOT NULL, fetched_at REAL NOT NULL, entry TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
SNAPSHOTS = "snapshots_v3"
SCHEMA_TTL = 86_400.0  # seconds a GraphQL capability probe is trusted
ACTIVITY_GRACE = 3600.0  # seconds: GitLab's throttle on last_activity_at updates


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _json(value: Any) -> str:
    return fastjson.dumps(value).decode("utf-8")


def _stamp(info: ProjectInfo, digest: str) -> str:
    """The listing facts a cached snapshot of ``info`` is only valid for, as one string."""
    return _json(
        [CACHE_VERSION, digest, info.full_path, info.default_branch, info.last_activity_at]
    )


def _make_dirs(path: Path) -> None:
    """``mkdir -p`` with every created folder ``0700`` whatever the umask; existing ones kept."""
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        folder.chmod(DIR_MODE)


def _own_private_dir(folder: Path) -> bool:
    """Make sure ``folder`` (hepci's own) exists, is ours and ``0700``."""
    try:
        folder.mkdir(mode=DIR_MODE)
        folder.chmod(DIR_MODE)
        return True
    except FileExistsError:
        pass
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    if stat.S_IMODE(info.st_mode) != DIR_MODE:
        log.warning(
            "hepci: warning: %s was readable by others (mode %o): now 0700",
            folder, stat.S_IMODE(info.st_mode),
        )  # fmt: skip
        folder.chmod(DIR_MODE)
    return True


def _create_private(path: Path) -> None:
    """An empty file only we can read (never through a symlink someone left there)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def _own_private_file(path: Path) -> bool:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        return False
    if stat.S_IMODE(info.st_mode) & 0o077:
        log.warning(
            "hepci: warning: %s was readable by others (mode %o): now 0600",
            path, stat.S_IMODE(info.st_mode),
        )  # fmt: skip
        path.chmod(FILE_MODE)
    return True


def prepare_private(root: Path, path: Path, *, warn: bool = True) -> bool:
    """Create or tighten the folders down to ``path`` (``root/remote/<key>/NAME``: 0700) and the
    SQLite file with its side files (0600); ``False`` when one belongs to another user and the
    cache must not be used (said on stderr unless ``warn`` is false). The snapshot cache's rules,
    also used for the findings cache next to it."""
    _make_dirs(root)
    for folder in (path.parent.parent, path.parent):
        if not _own_private_dir(folder):
            if warn:
                log.warning("hepci: warning: %s belongs to another user: cache not used", folder)
            return False
    if not path.exists():
        _create_private(path)
    for item in [path, *(path.with_name(path.name + s) for s in SIDE_FILES)]:
        if item.exists() and not _own_private_file(item):
            if warn:
                log.warning("hepci: warning: %s belongs to another user: cache not used", item)
            return False
    return True


class SnapshotCache:
    """Snapshots of one GitLab instance's projects; safe to use from many threads."""

    def __init__(self, root: Path, url: str) -> None:
        key = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
        self.root = root
        self.dir = root / "remote" / key
        self.path = self.dir / "snapshots.sqlite"
        self.hits = 0
        self.misses = 0
        self.write_errors = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._stamps: dict[int, tuple[str, float]] | None = None

    # -- the database -------------------------------------------------------------------------
    def _database(self) -> sqlite3.Connection | None:
        """The open database (created on first use), or ``None`` when it cannot be used."""
        if self._opened:
            return self._db
        self._opened = True
        try:
            if self._private():
                self._db = open_cache(self.path, _TABLES, _create_private)
        except (OSError, sqlite3.Error):
            self._db = None
        return self._db

    def _private(self) -> bool:
        """Create or tighten the cache folders and files (see the module docstring); ``False``
        when the cache belongs to another user and must not be used."""
        return prepare_private(self.root, self.path)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db, self._opened = None, True

    def _get(self, table: str, key_column: str, key: object) -> Any:
        column = "entry" if table == SNAPSHOTS else "value"
        with self._lock:
            db = self._database()
            if db is None:
                return None
            try:
                query = f"SELECT {column} FROM {table} WHERE {key_column} = ?"
                row = db.execute(query, (key,)).fetchone()
            except sqlite3.Error:
                return None
        return fastjson.loads(row[0]) if row else None

    def _put(self, table: str, rows: list[tuple[object, ...]]) -> None:
        """Insert or replace ``rows`` in one transaction (all or none)."""
        marks = ", ".join("?" * len(rows[0])) if rows else ""
        with self._lock:
            db = self._database()
            try:
                if db is None:
                    raise sqlite3.OperationalError("cache unavailable")
                with db:  # no-op commit when already committed; rollback on error
                    db.execute("BEGIN")
                    db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
            except sqlite3.Error:
                self.write_errors += len(rows)

    # -- snapshots ----------------------------------------------------------------------------
    def fresh(self, info: ProjectInfo, digest: str) -> bool:
        """Whether a still valid snapshot of ``info`` is stored, from the validity stamps alone
        (all of them read in one query on first use; no snapshot is decoded). ``False`` counts
        a miss; :meth:`load` then decodes the snapshot (and still checks it)."""
        with self._lock:
            if self._stamps is None:
                self._stamps = self._read_stamps()
            stored = self._stamps.get(info.id)
            activity = _timestamp(info.last_activity_at)
            valid = (
                stored is not None
                and activity is not None
                and stored[0] == _stamp(info, digest)
                and stored[1] >= activity + ACTIVITY_GRACE
            )
            if not valid:
                self.misses += 1
        return valid

    def _read_stamps(self) -> dict[int, tuple[str, float]]:
        db = self._database()
        if db is None:
            return {}
        try:
            rows = db.execute(f"SELECT project_id, stamp, fetched_at FROM {SNAPSHOTS}").fetchall()
        except sqlite3.Error:
            return {}
        return {int(pid): (str(stamp), float(at)) for pid, stamp, at in rows}

    def load(self, info: ProjectInfo, digest: str) -> Snapshot | None:
        """The cached snapshot of ``info`` if it is still valid, else ``None``."""
        try:
            entry = self._get(SNAPSHOTS, "project_id", info.id)
            snapshot = None if entry is None else self._decode(entry, info, digest)
        except (ValueError, KeyError, TypeError, AttributeError):
            snapshot = None
        with self._lock:
            if snapshot is None:
                self.misses += 1
            else:
                self.hits += 1
        return snapshot

    @staticmethod
    def _decode(entry: dict[str, Any], info: ProjectInfo, digest: str) -> Snapshot | None:
        same = (
            entry.get("version") == CACHE_VERSION
            and entry.get("candidates") == digest
            and entry.get("full_path") == info.full_path
            and entry.get("default_branch") == info.default_branch
            and entry.get("last_activity_at") == info.last_activity_at
        )
        activity = _timestamp(info.last_activity_at)
        fetched = float(entry.get("fetched_at", 0))
        if not same or activity is None or fetched < activity + ACTIVITY_GRACE:
            return None
        files = {
            path: FetchedFile(path, base64.b64decode(item["data"]), str(item["oid"]))
            for path, item in entry["files"].items()
        }
        details = Details(**entry.get("details", {}))
        return Snapshot(info, files, details, fetched, "cache")

    def store(self, snapshot: Snapshot, digest: str) -> None:
        """Keep ``snapshot`` (one row, replaced atomically)."""
        self.store_many([snapshot], digest)

    def store_many(self, snapshots: list[Snapshot], digest: str) -> None:
        """Keep ``snapshots`` in one transaction."""
        rows: list[tuple[object, ...]] = [
            (s.info.id, _stamp(s.info, digest), s.fetched_at, _json(self._encode(s, digest)))
            for s in snapshots
        ]
        self._put(SNAPSHOTS, rows)

    @staticmethod
    def _encode(snapshot: Snapshot, digest: str) -> dict[str, Any]:
        info = snapshot.info
        return {
            "version": CACHE_VERSION,
            "candidates": digest,
            "full_path": info.full_path,
            "default_branch": info.default_branch,
            "last_activity_at": info.last_activity_at,
            "fetched_at": snapshot.fetched_at,
            "details": vars(snapshot.details),
            "files": {
                path: {"oid": f.oid, "data": base64.b64encode(f.content).decode()}
                for path, f in sorted(snapshot.files.items())
            },
        }

    # -- GraphQL capabilities -----------------------------------------------------------------
    def load_schema(self) -> dict[str, bool] | None:
        """Cached GraphQL capabilities of this instance, when younger than a day."""
        try:
            entry = self._get("meta", "key", "schema")
            if entry is None or time.time() - float(entry["fetched_at"]) > SCHEMA_TTL:
                return None
            return {str(k): bool(v) for k, v in entry["facts"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def store_schema(self, facts: dict[str, bool]) -> None:
        self._put("meta", [("schema", _json({"fetched_at": time.time(), "facts": facts}))])
