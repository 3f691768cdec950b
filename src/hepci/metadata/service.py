"""``hepci metadata``: collect the record of a directory, write its RO-Crate and its
``codemeta.json`` (next to the crate), report gaps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepci.errors import UsageError
from hepci.metadata.model import Record
from hepci.metadata.summary import CRATE_FILE


@dataclass
class MetadataOptions:
    directory: Path = field(default_factory=Path)
    output: Path | None = None  # where the crate goes (default: DIRECTORY/ro-crate-metadata.json)
    image: str | None = None
    image_digest: str | None = None
    outputs: list[str] | None = None  # workflow output paths: makes it a Workflow Run Crate
    packages: Path | None = None
    env: Mapping[str, str] | None = None  # default: os.environ
    write: bool = True
    codemeta: bool = True  # also codemeta.json, in the crate's directory


@dataclass(frozen=True)
class MetadataResult:
    record: Record
    crate_path: Path | None
    changed: bool
    crate_sha256: str = ""  # of the crate's bytes (written or not)
    codemeta_path: Path | None = None
    codemeta_changed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "crate": str(self.crate_path) if self.crate_path else None,
            "changed": self.changed,
            "crate_sha256": self.crate_sha256,
            "codemeta": str(self.codemeta_path) if self.codemeta_path else None,
            "codemeta_changed": self.codemeta_changed,
            "summary": self.record.summary(),
            "record": self.record.to_json(),
        }


def collect_local(options: MetadataOptions) -> Record:
    from hepci.audit.config import AuditConfig
    from hepci.audit.context import AuditContext
    from hepci.core.repo import LocalRepo
    from hepci.metadata.collect import collect_record
    from hepci.metadata.local import local_facts

    root = options.directory
    if not root.is_dir():
        raise UsageError("not a directory", path=root)
    facts = local_facts(
        root, env=options.env, image=options.image, image_digest=options.image_digest,
        outputs=options.outputs, packages=options.packages,
    )  # fmt: skip
    ctx = AuditContext(LocalRepo(root), AuditConfig())
    return collect_record(ctx, facts, name=None)


def write_crate(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it (atomically, as every hepci write:
    :func:`hepci.core.safefs.write_atomic`); ``True`` when it changed."""
    from hepci.core.safefs import write_atomic

    data = text.encode("utf-8")
    try:
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            return False
    except OSError:
        pass  # unreadable: written anew (or refused) below
    write_atomic(path, data)
    return True


def run_metadata(options: MetadataOptions) -> MetadataResult:
    """Collect, build the crate (ro-crate-py) and codemeta.json (codemetapy), write each
    when it changed."""
    from hepci.metadata.crate import crate_json

    record = collect_local(options)
    text = crate_json(record)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    codemeta = None
    if options.codemeta:
        from hepci.metadata.codemeta import codemeta_json

        codemeta = codemeta_json(record)  # built (and validated) even on a dry run
    if not options.write:
        return MetadataResult(record, None, False, digest)
    path = options.output or options.directory / CRATE_FILE
    changed = write_crate(path, text)
    if codemeta is None:
        return MetadataResult(record, path, changed, digest)
    from hepci.metadata.codemeta import CODEMETA_FILE

    other = path.parent / CODEMETA_FILE
    return MetadataResult(record, path, changed, digest, other, write_crate(other, codemeta))


def terminal_report(result: MetadataResult) -> str:
    lines = [result.record.summary()]
    if result.crate_path is not None:
        state = "written" if result.changed else "unchanged"
        lines.append(f"crate: {result.crate_path} ({state})")
    if result.codemeta_path is not None:
        state = "written" if result.codemeta_changed else "unchanged"
        lines.append(f"codemeta: {result.codemeta_path} ({state})")
    for gap in result.record.missing:
        lines.append(f"  missing: {gap}")
    return "\n".join(lines) + "\n"


def json_report(result: MetadataResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n"


__all__ = [
    "CRATE_FILE",
    "MetadataOptions",
    "MetadataResult",
    "json_report",
    "run_metadata",
    "terminal_report",
]
