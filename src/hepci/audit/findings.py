"""Findings of unchanged projects, kept between runs: a warm group sweep re-audits nothing.

One SQLite database per GitLab instance, ``findings.sqlite`` next to the snapshot cache
(``<cache dir>/remote/<instance key>/``, folder 0700, file 0600: it holds what private
projects' files say), one row per project: the key it was audited under, its report (the JSON
report's ``projects[]`` form) and the effective config it was audited with.

The key is a hash of

* the **snapshot**: project path and every forge fact a rule can read (web URL, default
  branch, HEAD, protection, pipeline status, registry, archived), and each fetched file's
  blob id (GitLab's content hash);
* the **rule set**: hepci's version, every rule's ID, family, severity, prerequisites, fixes
  and docstring, and the identity (size, mtime) of every module of ``hepci.audit`` and
  ``hepci.core`` (a rule or engine edited in a development install counts as a change);
* the **config**: the group-wide config, ``--select``/``--ignore``/``--fail-on`` (the
  repository's own config files are part of the snapshot).

``last_activity_at`` is not part of it: only rules marked ``volatile`` (GL004, which also
depends on today's date) read it, and those are re-run on every hit from the stored config.
A corrupt database is moved aside and started afresh; a cache that cannot be opened or
written only costs time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from hepci import __version__
from hepci.audit.config import AuditConfig
from hepci.audit.model import RepoReport
from hepci.core import fastjson
from hepci.core.sqlitedb import open_cache

FILE_NAME = "findings.sqlite"
TABLE = "findings_v1"  # a new layout gets a new table: old rows are simply not found
_TABLES = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (project TEXT PRIMARY KEY, key TEXT NOT NULL,"
    " summary TEXT NOT NULL, config TEXT NOT NULL, report BLOB NOT NULL)",
)
FLUSH_EVERY = 200  # reports per transaction


@cache
def _code_identity() -> str:
    """Size and mtime of every module the findings depend on (engine, rules, core)."""
    package = Path(__file__).resolve().parent.parent
    parts = []
    for folder in ("audit", "core"):
        for path in sorted((package / folder).rglob("*.py")):
            try:
                info = path.stat()
            except OSError:
                continue
            parts.append(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def rules_fingerprint() -> str:
    """hepci's version, the rule set and the code identity, as one hash."""
    from hepci.audit.rule import all_rules

    h = hashlib.sha256(f"{__version__}\0{_code_identity()}".encode())
    for rule_id, cls in all_rules().items():
        fields_ = (rule_id, cls.family, cls.severity, sorted(cls.requires), cls.fix, cls.__doc__)
        h.update(repr(fields_).encode())
    return h.hexdigest()


def config_to_json(config: AuditConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        out[f.name] = dict(value) if isinstance(value, Mapping) else value
    return out


def config_from_json(data: dict[str, Any]) -> AuditConfig:
    """The inverse of :func:`config_to_json` (lists back to tuples)."""
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return AuditConfig(**values)


def config_fingerprint(config: AuditConfig) -> str:
    text = json.dumps(config_to_json(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_fingerprint(config: AuditConfig) -> str:
    """What every key of one run shares: rule set and config."""
    return hashlib.sha256(
        f"{rules_fingerprint()}\0{config_fingerprint(config)}".encode()
    ).hexdigest()


@dataclass(frozen=True)
class Cached:
    """One stored report: its summary (name, threshold, failed severities, errors, and the
    volatile rules' results, all a hit needs to look at), the effective config (JSON) and the
    report itself (the spool's zlib-compressed JSON line, spooled as it is)."""

    summary: dict[str, Any]
    config: str
    packed: bytes

    def line(self) -> str:
        return zlib.decompress(self.packed).decode("utf-8")

    def intact(self) -> bool:
        """The stored report is the one written: its CRC-32 is the summary's (a hit is
        spooled without decompressing it, so a damaged row must be caught here)."""
        return zlib.crc32(self.packed) == self.summary.get("crc32")


def summary_of(report: RepoReport, volatile: Iterable[str]) -> dict[str, Any]:
    from hepci.audit.reports.jsonfmt import result_dict

    wanted = set(volatile)
    return {
        "name": report.name,
        "fail_on": report.fail_on,
        "failed": [r.severity for r in report.failed()],
        "errors": bool(report.errors()),
        "volatile": {r.id: result_dict(r) for r in report.results if r.id in wanted},
    }


class FindingsCache:
    """Reports by project, valid under one key each; safe to use from many threads."""

    def __init__(self, folder: Path, prepare: Callable[[Path], bool]) -> None:
        """``prepare(path)`` creates the database file and its folders private (the snapshot
        cache's rules, :mod:`hepci.gitlab.cache`) and says whether it may be used."""
        self.path = folder / FILE_NAME
        self._prepare = prepare
        self.hits = self.misses = self.write_errors = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._pending: list[tuple[str, str, str, str, bytes]] = []
        self._keys: dict[str, str] | None = None  # project -> key stored, read once
        self._config_json: tuple[AuditConfig, str] | None = None  # the last config, as JSON

    def _database(self) -> sqlite3.Connection | None:
        if self._opened:
            return self._db
        self._opened = True
        try:
            if self._prepare(self.path):
                self._db = open_cache(self.path, _TABLES, self._prepare)
        except (OSError, sqlite3.Error):
            self._db = None
        return self._db

    def _stored_keys(self, db: sqlite3.Connection) -> dict[str, str]:
        """Every project's stored key, read in one query on first use: a project whose key
        differs (or a cold run's empty database) costs no query at all."""
        if self._keys is None:
            try:
                self._keys = dict(db.execute(f"SELECT project, key FROM {TABLE}").fetchall())
            except sqlite3.Error:
                self._keys = {}
        return self._keys

    def load_raw(self, project: str, key: str) -> Cached | None:
        """What is stored for ``project`` under ``key``; counts a hit or a miss."""
        with self._lock:
            db = self._database()
            row = None
            if db is not None and self._stored_keys(db).get(project) == key:
                try:
                    row = db.execute(
                        f"SELECT summary, config, report FROM {TABLE}"
                        " WHERE project = ? AND key = ?",
                        (project, key),
                    ).fetchone()
                except sqlite3.Error:
                    row = None
            found = None
            if row is not None:
                try:
                    found = Cached(fastjson.loads(row[0]), str(row[1]), bytes(row[2]))
                except (ValueError, TypeError):
                    found = None
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
        return found

    def store(
        self, project: str, key: str, report: RepoReport, config: AuditConfig, *,
        volatile: Iterable[str], packed: bytes,
    ) -> None:  # fmt: skip
        """Keep ``report`` (written in batches; :meth:`close` writes the rest); ``packed`` is
        its spooled form (:func:`~hepci.audit.spool.pack_line`), stored as it is."""
        if self._config_json is None or self._config_json[0] is not config:
            text = json.dumps(config_to_json(config), separators=(",", ":"), default=str)
            self._config_json = (config, text)
        summary = {**summary_of(report, volatile), "crc32": zlib.crc32(packed)}
        row = (
            project, key, fastjson.dumps(summary).decode("utf-8"), self._config_json[1], packed
        )  # fmt: skip
        with self._lock:
            self._pending.append(row)
            if len(self._pending) < FLUSH_EVERY:
                return
            rows, self._pending = self._pending, []
        self._write(rows)

    def _write(self, rows: Iterable[tuple[str, str, str, str, bytes]]) -> None:
        rows = list(rows)
        with self._lock:
            db = self._database()
            try:
                if db is None:
                    raise sqlite3.OperationalError("cache unavailable")
                with db:
                    db.execute("BEGIN")
                    db.executemany(f"INSERT OR REPLACE INTO {TABLE} VALUES (?, ?, ?, ?, ?)", rows)
            except sqlite3.Error:
                self.write_errors += len(rows)

    def close(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
        if rows:
            self._write(rows)
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db, self._opened = None, True
