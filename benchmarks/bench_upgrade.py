"""``hepci upgrade gitlab:GROUP`` at scale, against the GitLab double, in ONE run.

    .venv/bin/python benchmarks/bench_upgrade.py --projects 1000 --latency-ms 50
    .venv/bin/python benchmarks/bench_upgrade.py --projects 100 --latency-ms 10   # quick look

Phases on one world and one double (fresh request log each): ``plan`` (dry run: listing +
batched reads + codemods; the baseline), ``apply`` (the same plus one branch, commit and MR
per changed project), ``rerun`` (apply again: must write nothing). Reported: wall time, the
apply/plan ratio, requests per endpoint, write requests per changed project.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import RESULTS_DIR, serve

from hepci.upgrade.codemods import ALL_CODEMODS
from hepci.upgrade.group import GroupOptions, run_group
from hepci.upgrade.group_write import JournalEntry

WRITES = ("POST /projects/:id/repository/commits", "POST /projects/:id/merge_requests")
HEAD = "HEAD /projects/:id/repository/files/:file_path"


def _phase(double: Any, options: GroupOptions) -> dict[str, Any]:
    double.stats.reset()
    entries: list[JournalEntry] = []
    started = time.monotonic()
    code = run_group(options, ALL_CODEMODS, entries.append)
    wall = time.monotonic() - started
    counts = double.stats.counts()
    created = sum(e.status == "mr-created" for e in entries)
    writes = sum(counts.get(k, 0) for k in WRITES) + counts.get(HEAD, 0)
    return {
        "exit": code,
        "wall_s": round(wall, 2),
        "requests": sum(counts.values()),
        "per_endpoint": dict(sorted(counts.items())),
        "mrs_created": created,
        "write_path_requests": writes,
        "per_changed_project": round((writes - 1) / created, 2) if created else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    results: dict[str, Any] = {"projects": args.projects, "latency_ms": args.latency_ms}
    served = serve(args.projects, args.latency_ms, seed=args.seed)
    with served as (double, world), tempfile.TemporaryDirectory() as tmp:
        base = GroupOptions(
            target="gitlab:hep",
            token=world.tokens.owner,
            gitlab_url=double.url,
            jobs=args.jobs,
            quiet=True,
            journal=str(Path(tmp) / "journal.jsonl"),
        )
        results["plan"] = _phase(double, base)
        applied = GroupOptions(**{**base.__dict__, "apply": True})
        results["apply"] = _phase(double, applied)
        rerun = GroupOptions(**{**applied.__dict__, "journal": str(Path(tmp) / "j2")})
        results["rerun"] = _phase(double, rerun)
    plan, apply = results["plan"]["wall_s"], results["apply"]["wall_s"]
    results["apply_over_plan"] = round(apply / plan, 2) if plan else None
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"upgrade-{args.projects}-{int(args.latency_ms)}ms.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
