"""The SQLite files hepci keeps between runs (snapshot cache, findings cache): one way to open them.

Both are caches: WAL journal, ``synchronous=NORMAL`` (losing the last rows after a crash is
fine), tables created on first use. A file that is not a database (truncated, overwritten) is
kept as ``NAME.corrupt`` for inspection and a new one is started; who creates the new, private
file is the caller's (``create``), since each cache has its own rules for its folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path


def _connect(path: Path, tables: Sequence[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in tables:
            db.execute(statement)
    except sqlite3.Error:
        db.close()
        raise
    return db


def open_cache(
    path: Path, tables: Sequence[str], create: Callable[[Path], object]
) -> sqlite3.Connection:
    """``path`` opened with ``tables`` (``CREATE TABLE IF NOT EXISTS …`` statements); a corrupt
    file is renamed ``.corrupt`` and ``create(path)`` makes the new one. Raises
    :class:`OSError` or :class:`sqlite3.Error` when the cache cannot be used at all."""
    try:
        return _connect(path, tables)
    except sqlite3.DatabaseError:
        path.replace(path.with_name(f"{path.name}.corrupt"))
        create(path)
        return _connect(path, tables)
