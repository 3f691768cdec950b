"""``make bench``: run every registered benchmark on the same seeded world and latency.

    .venv/bin/python benchmarks/run.py --projects 1000 --latency-ms 50 [--only naive_baseline]

Add a client to :data:`BENCHMARKS` (name -> ``client(url, world) -> report``); results go to
``benchmarks/results/`` and each summary reports its wall time relative to the baseline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchResult, Client, run_benchmark, write_result
from naive_baseline import naive_audit

BENCHMARKS: dict[str, Client] = {"naive_baseline": naive_audit}
BASELINE = "naive_baseline"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS))
    args = parser.parse_args(argv)
    results: dict[str, BenchResult] = {}
    for name in args.only or list(BENCHMARKS):
        result = run_benchmark(name, BENCHMARKS[name], args.projects, args.latency_ms, args.seed)
        results[name] = result
        print(result.summary())
        print(f"written: {write_result(result)}")
    base = results.get(BASELINE)
    if base is not None:
        for name, result in results.items():
            speedup = base.wall_s / result.wall_s if result.wall_s else float("inf")
            fewer = base.requests_total / max(result.requests_total, 1)
            print(f"{name}: {speedup:.1f}x faster, {fewer:.1f}x fewer requests than {BASELINE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
