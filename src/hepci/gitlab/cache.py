"""On-disk snapshots of remote projects, so an unchanged project costs no file reads.

One JSON file per project under ``<cache dir>/remote/<instance key>/<project id>.json`` holding
the listing's ``last_activity_at``, the fetched candidate files (base64) with their blob ids,
and the details. A snapshot is reused when the project's ``last_activity_at``, default branch
and the candidate list are unchanged **and** it was taken at least an hour after that activity:
GitLab refreshes ``last_activity_at`` at most once an hour, so a push in the hour after the
last recorded activity may not move it; snapshots taken in that hour are re-read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from hepci.gitlab.model import Details, FetchedFile, ProjectInfo, Snapshot

CACHE_VERSION = 1
SCHEMA_TTL = 86_400.0  # seconds a GraphQL capability probe is trusted
ACTIVITY_GRACE = 3600.0  # seconds: GitLab's throttle on last_activity_at updates


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class SnapshotCache:
    """Snapshots of one GitLab instance's projects; safe to use from many threads."""

    def __init__(self, root: Path, url: str) -> None:
        key = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
        self.dir = root / "remote" / key
        self.hits = 0
        self.misses = 0
        self.write_errors = 0

    def _file(self, project_id: int) -> Path:
        return self.dir / f"{project_id}.json"

    def load(self, info: ProjectInfo, digest: str) -> Snapshot | None:
        """The cached snapshot of ``info`` if it is still valid, else ``None``."""
        try:
            entry = json.loads(self._file(info.id).read_text(encoding="utf-8"))
            snapshot = self._decode(entry, info, digest)
        except (OSError, ValueError, KeyError, TypeError):
            snapshot = None
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
        """Write ``snapshot`` atomically; a cache that cannot be written is only counted."""
        info = snapshot.info
        entry = {
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
        self._write(self._file(info.id), entry)

    def load_schema(self) -> dict[str, bool] | None:
        """Cached GraphQL capabilities of this instance, when younger than a day."""
        try:
            entry = json.loads((self.dir / "schema.json").read_text(encoding="utf-8"))
            if time.time() - float(entry["fetched_at"]) > SCHEMA_TTL:
                return None
            return {str(k): bool(v) for k, v in entry["facts"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def store_schema(self, facts: dict[str, bool]) -> None:
        self._write(self.dir / "schema.json", {"fetched_at": time.time(), "facts": facts})

    def _write(self, target: Path, entry: dict[str, Any]) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
            Path(tmp).replace(target)
        except OSError:
            self.write_errors += 1
