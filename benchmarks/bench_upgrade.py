"""``hepci upgrade`` at scale: a whole GitLab group (the double), or one very big file.

    .venv/bin/python benchmarks/bench_upgrade.py --projects 1000 --latency-ms 50
    .venv/bin/python benchmarks/bench_upgrade.py --projects 100 --latency-ms 10   # quick look
    .venv/bin/python benchmarks/bench_upgrade.py --big-file 1000,10000            # one file

``--big-file N,M``: a local repository whose ``.gitlab-ci.yml`` has N (then M) jobs, every one
with something to upgrade; ``hepci lint`` (the baseline), ``hepci upgrade`` (dry run: codemods,
every edit verified, the diff) and ``hepci audit`` run on it as the CLI, in this run. Reported:
each command's wall time, upgrade/lint, and how each grows from N to M jobs (linear: M/N).

Phases on one world and one double (fresh request log each): ``plan`` (dry run: listing +
batched reads + codemods; the baseline), ``apply`` (the same plus one branch, commit and MR
per changed project), ``rerun`` (apply again: must write nothing). Reported: wall time, the
apply/plan ratio, requests per endpoint, write requests per changed project.
"""

from __future__ import annotations

import argparse
import json
import subprocess
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


def big_ci(jobs: int) -> str:
    """Global `image`/`before_script`, every job on `only`, some on `type`, `artifacts:public`."""
    out = ["image: python:3.11\nbefore_script: [echo setup]\nstages: [build, test]\n"]
    for i in range(jobs):
        stage = "type: test" if i % 10 == 0 else "stage: test"
        out.append(f"job{i}:\n  {stage}\n  only: [main]\n  script:\n    - echo {i}\n")
        if i % 5 == 0:
            out.append("  artifacts:\n    public: true\n    paths: [out/]\n")
    return "".join(out)


def _timed(command: list[str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1) or "internal error" in done.stderr:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr[-400:]}")
    return round(wall, 2), done.returncode


def big_file(sizes: list[int]) -> dict[str, Any]:
    """lint / upgrade / audit of one file with each number of jobs, as the CLI, in this run."""
    hepci = [sys.executable, "-m", "hepci"]
    results: dict[str, Any] = {}
    for jobs in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
            (repo / ".gitlab-ci.yml").write_text(big_ci(jobs), encoding="utf-8")
            row: dict[str, Any] = {"bytes": (repo / ".gitlab-ci.yml").stat().st_size}
            for name in ("lint", "upgrade", "audit"):
                extra = ["--fail-on", "never"] if name == "audit" else []
                row[f"{name}_s"], _ = _timed([*hepci, name, ".", *extra], repo)
            row["upgrade_over_lint"] = round(row["upgrade_s"] / row["lint_s"], 2)
            results[str(jobs)] = row
    first, last = str(sizes[0]), str(sizes[-1])
    for name in ("lint", "upgrade", "audit"):
        grow = results[last][f"{name}_s"] / results[first][f"{name}_s"]
        results[f"{name}_growth_{first}_to_{last}"] = round(grow, 1)
    results["linear_growth_would_be"] = round(sizes[-1] / sizes[0], 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--big-file", help="job counts, e.g. 1000,10000: one big local file")
    args = parser.parse_args()
    if args.big_file:
        sizes = [int(n) for n in args.big_file.split(",")]
        found = big_file(sizes)
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        out = RESULTS_DIR / f"upgrade-big-file-{'-'.join(map(str, sizes))}.json"
        out.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(found, indent=2))
        return
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
