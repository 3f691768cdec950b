"""Instance scale: cold group audits of N = 1,000 / 3,000 / 10,000 projects, and the warm re-run.

    .venv/bin/python benchmarks/bench_scale.py                       # 1k, 3k, 10k (~6 min)
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 --repeat 1

Each run is the whole user path in a NEW process: ``hepci audit gitlab:hep --no-progress
-f json=… -f html=… -f sarif=…`` (listing, batched reads, audit engine, report spool, streamed
report writers), against the GitLab double served by forked workers (``bench_audit.Double``)
with a fixed latency. Measured per run: wall time, requests (the double's log), client CPU
and peak RSS of the hepci process (``os.wait4``). Cold runs get an empty ``$HEPCI_CACHE_DIR``;
``warm`` is the next run on the same cache (unchanged group). Ratios to N = 1,000 are the
measure (one run, one machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_audit import Double
from harness import RESULTS_DIR

FORMATS = ["json"]


def _peak_rss(pid: int, peak: list[int]) -> None:
    """Follow ``VmHWM`` (the process's own high-water mark, in kB) until it exits.

    Not ``wait4``'s ``ru_maxrss``: Linux carries the parent's peak over ``fork``+``exec``."""
    while True:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except (OSError, ValueError):
            return
        time.sleep(0.02)


def _summary(path: Path) -> dict[str, Any]:
    """Counts from the JSON report without loading it (the parent must stay small: its size
    would show in the next child's numbers): the head, and the tail after ``projects``."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16).decode("utf-8", "replace")
        handle.seek(max(0, path.stat().st_size - (4 << 20)))
        tail = handle.read().decode("utf-8", "replace")
    summary = json.loads(
        head[head.index('"summary": ') + 11 : head.index(',\n  "', head.index('"summary": '))]
    )
    rest = json.loads("{" + tail[tail.rindex('\n  "failures": ') :])
    return {
        "audited": summary["audited"],
        "not_audited": summary["not_audited"],
        "skipped": len(rest["skipped_targets"]),
    }


def hepci_run(url: str, token: str, cache: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    """One ``hepci audit`` process: wall, CPU (user + system, ``wait4``), peak RSS."""
    env = {**os.environ, "GITLAB_TOKEN": token, "HEPCI_CACHE_DIR": str(cache)}
    for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL"):
        env.pop(name, None)
    cmd = [
        sys.executable, "-m", "hepci", "audit", "gitlab:hep", "--gitlab-url", url,
        "--no-progress", "--fail-on", "never", "-f",
        ",".join(f"{fmt}={out / ('audit.' + fmt)}" for fmt in FORMATS), *extra,
    ]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    watcher = threading.Thread(target=_peak_rss, args=(proc.pid, peak), daemon=True)
    watcher.start()
    err = proc.stderr.read().decode() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"hepci exited {proc.returncode}: {err[-2000:]}")
    sizes = {p.suffix[1:]: round(p.stat().st_size / 2**20, 1) for p in out.iterdir()}
    return {
        "wall_s": round(wall, 3),
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_mb": round(peak[0] / 1024, 1),
        **_summary(out / "audit.json"),
        "report_mb": sizes,
    }


def measure(double: Double, run: Any) -> dict[str, Any]:
    double.command("reset")
    result: dict[str, Any] = run()
    stats = double.command("stats")
    result["requests"] = sum(stats["counts"].values())
    result["double_cpu_s"] = stats["busy_s"]
    return result


def one_size(n: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    ns = argparse.Namespace(
        in_process=False, latency_ms=args.latency_ms, projects=n, seed=args.seed,
        double_workers=args.double_workers,
    )  # fmt: skip
    double = Double(ns)
    rows = []
    try:
        colds, warm = [], None
        for attempt in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="hepci-bench-") as tmp:
                cache, out = Path(tmp) / "cache", Path(tmp) / "out"
                out.mkdir()

                def go(cache: Path = cache, out: Path = out) -> dict[str, Any]:
                    return hepci_run(double.url, double.reader, cache, out, args.hepci_args)

                colds.append(measure(double, go))
                show({"N": n, "phase": "cold", "attempt": attempt + 1, **colds[-1]})
                if attempt == 0:
                    warm = measure(double, go)
                    show({"N": n, "phase": "warm", **warm})
        cold = sorted(colds, key=lambda r: r["wall_s"])[len(colds) // 2]
        cold["walls"] = [r["wall_s"] for r in colds]
        cold["cpus"] = [r["client_cpu_s"] for r in colds]
        rows.append({"N": n, "phase": "cold", **cold})
        if warm is not None:
            rows.append({"N": n, "phase": "warm", **warm})
    finally:
        double.close()
    return rows


def show(row: dict[str, Any]) -> None:
    print(json.dumps(row), flush=True)


def table(rows: list[dict[str, Any]], latency_ms: float, concurrency: int) -> str:
    base = next(r for r in rows if r["phase"] == "cold")
    lines = [
        "| N | phase | wall s | × N=1k wall | requests | × N=1k requests | latency floor s"
        " | client CPU s | CPU ms/project | peak RSS MB | reports MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        floor = r["requests"] * latency_ms / 1000 / concurrency
        per = 1000 * r["client_cpu_s"] / max(r["audited"], 1)
        ratio_w = r["wall_s"] / base["wall_s"] if r["phase"] == "cold" else float("nan")
        ratio_r = r["requests"] / base["requests"] if r["phase"] == "cold" else float("nan")
        lines.append(
            f"| {r['N']:,} | {r['phase']} | {r['wall_s']:.2f} | {ratio_w:.2f} | {r['requests']}"
            f" | {ratio_r:.2f} | {floor:.2f} | {r['client_cpu_s']:.2f} | {per:.2f}"
            f" | {r['peak_rss_mb']:.0f} | {r['report_mb']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per size (median)")
    parser.add_argument("--double-workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--formats", default="json,html,sarif", help="reports each run writes")
    parser.add_argument("--hepci-args", nargs="*", default=[], help="more `hepci audit` options")
    args = parser.parse_args(argv)
    FORMATS[:] = ["json", *[f for f in args.formats.split(",") if f and f != "json"]]
    load = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        rows += one_size(n, args)
    load_after = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench_scale-L{args.latency_ms:g}.json"
    meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    meta["load_before"], meta["load_after"] = load, load_after
    path.write_text(json.dumps({"settings": meta, "rows": rows}, indent=2) + "\n")
    print(table(rows, args.latency_ms, 4))
    print(f"load average before {load}, after {load_after}; written: {path}")
    print(
        "median cold CPU",
        statistics.median(r["client_cpu_s"] for r in rows if r["phase"] == "cold"),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
