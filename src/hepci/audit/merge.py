"""``hepci audit --merge shard-*.json``: the JSON reports of a sharded group audit, as one run.

A group too large for one machine is audited as ``parallel: N`` CI jobs, each running
``hepci audit gitlab:GROUP --shard K/N -f json=shard-K.json`` (``ci-templates/group-audit.yml``).
Each JSON report records its ``scope``: the targets, the GitLab URL and the shard. Merging
checks that the reports are shards of one sweep (same targets, same instance, same N), that
every shard 1..N is there exactly once, and that no project appears in two of them; anything
else is a :class:`~hepci.errors.UsageError` (one line, exit 2) and nothing is written. The
merged run is written in every format a direct run can (HTML dashboard, Code Quality, SARIF,
JUnit, JSON...), with the projects in the order of an unsharded run (by name). Reports are
read one shard at a time into the on-disk spool, so memory holds one shard, not the group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepci.audit.model import SkippedTarget, TargetFailure
from hepci.audit.spool import SpooledRun
from hepci.errors import UsageError

MAX_REPORT_BYTES = 2 * 1024**3  # a shard's JSON report; larger is refused, not read


@dataclass(frozen=True)
class ShardReport:
    """One shard's JSON report, checked; ``projects`` still as JSON."""

    path: str
    index: int
    total: int
    targets: tuple[str, ...]
    url: str | None
    data: dict[str, Any]


def _load(path: str) -> dict[str, Any]:
    try:
        size = Path(path).stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(f"report is {size:,} bytes, over the 2 GiB limit", path=path)
        with Path(path).open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read report: {exc.strerror or exc}", path=path) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"not a JSON report: {exc}", path=path) from None
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        raise UsageError("not a hepci audit JSON report (schema_version 1)", path=path)
    return data


def read_shard(path: str) -> ShardReport:
    """Load and check one shard report; a report without a shard counts as shard 1/1."""
    data = _load(path)
    scope = data.get("scope")
    if not isinstance(scope, dict) or not isinstance(scope.get("targets"), list):
        raise UsageError(
            "no `scope` in this report: merge reports of `hepci audit gitlab:GROUP --shard K/N"
            " -f json=FILE` (hepci 0.2 or later)",
            path=path,
        )
    shard = scope.get("shard") or {"index": 1, "total": 1}
    try:
        index, total = int(shard["index"]), int(shard["total"])
    except (KeyError, TypeError, ValueError):
        raise UsageError("`scope.shard` is not {index, total}", path=path) from None
    if not isinstance(data.get("projects"), list):
        raise UsageError("`projects` is not a list", path=path)
    url = scope.get("gitlab_url")
    return ShardReport(path, index, total, tuple(map(str, scope["targets"])), url, data)


def check_shards(shards: list[ShardReport]) -> None:
    """One sweep, every shard once: else a one-line :class:`UsageError`."""
    if not shards:
        raise UsageError("--merge needs the JSON reports of the shards")
    first = shards[0]
    for shard in shards[1:]:
        if shard.targets != first.targets or shard.url != first.url:
            raise UsageError(
                f"not shards of one sweep: {shard.path} audited {', '.join(shard.targets)}"
                f" on {shard.url}, {first.path} {', '.join(first.targets)} on {first.url}"
            )
        if shard.total != first.total:
            raise UsageError(
                f"not shards of one sweep: {shard.path} is shard {shard.index}/{shard.total},"
                f" {first.path} {first.index}/{first.total}"
            )
    seen: dict[int, str] = {}
    for shard in shards:
        if shard.index in seen:
            raise UsageError(
                f"overlapping shards: shard {shard.index}/{shard.total} is both"
                f" {seen[shard.index]} and {shard.path}"
            )
        seen[shard.index] = shard.path
    missing = [str(k) for k in range(1, first.total + 1) if k not in seen]
    if missing:
        raise UsageError(
            f"missing shard(s) {', '.join(missing)} of {first.total}: every shard's report is"
            " needed (a failed shard job must be re-run, not left out)"
        )


def _names(data: dict[str, Any]) -> list[str]:
    names = [str(p.get("name")) for p in data["projects"] if isinstance(p, dict)]
    names += [str(f.get("target")) for f in data.get("failures", []) if isinstance(f, dict)]
    names += [str(s.get("target")) for s in data.get("skipped_targets", []) if isinstance(s, dict)]
    return names


def merge_reports(paths: list[str], into: SpooledRun) -> SpooledRun:
    """Check the shard reports at ``paths`` and merge them into ``into``."""
    from hepci.audit.reports.jsonfmt import project_from_dict

    shards = []
    for path in paths:  # first pass: the scopes only (each report is dropped once checked)
        shard = read_shard(path)
        shards.append(
            ShardReport(shard.path, shard.index, shard.total, shard.targets, shard.url, {})
        )
        del shard
    check_shards(shards)
    owner: dict[str, str] = {}
    failures: dict[str, TargetFailure] = {}
    skipped: dict[str, SkippedTarget] = {}
    targets = set(shards[0].targets)
    for path in paths:  # second pass: one shard in memory at a time
        data = read_shard(path).data
        for name in _names(data):
            if name in owner and not (name in targets and owner[name] != path):
                raise UsageError(f"overlapping shards: {name} is in both {owner[name]} and {path}")
            owner.setdefault(name, path)
        try:
            for entry in data["projects"]:
                into.reports.add(project_from_dict(entry))
            for f in data.get("failures", []):
                failure = TargetFailure(str(f["target"]), str(f["error"]), int(f["exit_code"]))
                failures.setdefault(failure.target, failure)  # a whole-target failure: once
            for s in data.get("skipped_targets", []):
                skipped[str(s["target"])] = SkippedTarget(str(s["target"]), str(s["reason"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"malformed report entry: {exc!r}", path=path) from None
        del data
    into.failures.extend(failures[k] for k in sorted(failures))
    into.skipped.extend(skipped[k] for k in sorted(skipped))
    into.scope = {"targets": list(shards[0].targets), "gitlab_url": shards[0].url, "shard": None}
    into.scope["merged_from"] = len(shards)
    return into
