"""Remote audit vs the naive sequential loop, in ONE run on ONE double (same world, same latency).

    .venv/bin/python benchmarks/bench_audit.py --projects 1000 --latency-ms 50   # ~10 min
    .venv/bin/python benchmarks/bench_audit.py --projects 200 --skip-naive       # quick look
    .venv/bin/python benchmarks/bench_audit.py --ab 5     # A/B against #15's baseline, 5 rounds

The double runs in its own process (a real GitLab's CPU is not the client's; in-process, the
double's graphql-core work and the client share one GIL): ``--in-process`` to compare.
Phases, each on a fresh request log:

* the double scores queries with GitLab's own complexity rule and serves
  ``projects(fullPaths:)`` (``tests/gitlab_double/graphql_api.py``);
* ``gitlab_fetch`` cold, files only; ``gitlab_audit`` cold, full audit engine; ``gitlab_warm``
  the same group again with the warm cache (the path before the findings cache: every project
  audited again); ``hepci_audit``/``hepci_warm``: today's path (``audit_remote_targets``:
  findings cache, report spool; no report written), cold then warm; ``naive``: python-gitlab,
  one ``files.raw`` per candidate.

Latency floor = requests x latency / concurrency (the naive loop's concurrency is 1).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gitlab_double import Faults, GitLabDouble, Latency, build_world
from harness import RESULTS_DIR, serve
from naive_baseline import naive_audit

from hepci.audit import context, schema
from hepci.audit.config import AuditConfig
from hepci.audit.engine import audit_repo
from hepci.audit.progress import progress_for
from hepci.audit.remote import audit_remote_targets
from hepci.gitlab.settings import RemoteSettings, resolve_settings
from hepci.gitlab.sources import audit_remote, remote_snapshots
from hepci.lint import schema as lint_schema


def _serve_child(n: int, latency_ms: float, seed: int, workers: int, conns: list[Any]) -> None:
    """Child process: serve the world from ``workers`` processes (forked here, sharing the
    listening socket); each answers ``reset``/``stats``/``stop`` on its own pipe."""
    world = build_world(n, seed)
    faults = Faults(seed=seed, latency=Latency("fixed", latency_ms / 1000))
    double = GitLabDouble(world.state, faults).start(workers=workers)
    conn = conns[double.worker_index]
    conn.send({"url": double.url, "reader": world.tokens.reader})
    while True:
        command = conn.recv()
        if command == "stop":
            break
        conn.send(stats(double, reset=command == "reset"))
    double.stop()
    if double.worker_index:  # a forked worker: leave without the parent's exit handlers
        os._exit(0)


CPU_START = [0.0]


def stats(double: Any, reset: bool = False) -> dict[str, Any]:
    """Requests by endpoint, and the CPU seconds this process (the double) spent since reset."""
    if reset:
        double.stats.reset()
        CPU_START[0] = time.process_time()
    busy = time.process_time() - CPU_START[0]
    return {"counts": double.stats.counts(), "busy_s": round(busy, 3)}


class Double:
    """The double: in child processes (``--double-workers`` of them, default) or in this one."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.local = args.in_process
        self.latency_ms = args.latency_ms
        if self.local:
            self._ctx = serve(args.projects, args.latency_ms, args.seed)
            self._double, world = self._ctx.__enter__()
            self.url, self.reader = self._double.url, world.tokens.reader
            return
        pipes = [mp.Pipe() for _ in range(args.double_workers)]
        self._conns = [mine for mine, _ in pipes]
        self._proc = mp.get_context("spawn").Process(
            target=_serve_child,
            args=(args.projects, args.latency_ms, args.seed, args.double_workers,
                  [theirs for _, theirs in pipes]),
        )  # fmt: skip
        self._proc.start()
        hellos = [conn.recv() for conn in self._conns]
        self.url, self.reader = hellos[0]["url"], hellos[0]["reader"]

    def command(self, name: str) -> dict[str, Any]:
        if self.local:
            return stats(self._double, reset=name == "reset")
        for conn in self._conns:
            conn.send(name)
        answers = [dict(conn.recv()) for conn in self._conns]
        counts: dict[str, int] = {}
        for answer in answers:
            for route, count in answer["counts"].items():
                counts[route] = counts.get(route, 0) + count
        return {"counts": counts, "busy_s": round(sum(a["busy_s"] for a in answers), 3)}

    def close(self) -> None:
        if self.local:
            self._ctx.__exit__(None, None, None)
        else:
            for conn in self._conns:
                conn.send("stop")
            self._proc.join(timeout=30)


def measure(double: Double, run: Callable[[], Any]) -> tuple[Any, float, dict[str, Any]]:
    double.command("reset")
    t0, cpu0 = time.perf_counter(), time.process_time()
    value = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return value, wall, {**double.command("stats"), "client_cpu_s": round(cpu, 3)}


def row(
    name: str, wall: float, stats: dict[str, Any], args: argparse.Namespace, conc: int
) -> dict[str, Any]:
    counts = stats["counts"]
    total = sum(counts.values())
    floor = total * args.latency_ms / 1000 / conc
    return {
        "phase": name,
        "wall_s": round(wall, 3),
        "requests": total,
        "requests_per_project": round(total / args.projects, 4),
        "latency_floor_s": round(floor, 3),
        "wall_over_floor": round(wall / floor, 2) if floor else None,
        "double_cpu_s": stats["busy_s"],  # CPU of the double's process (in-process: of both)
        "client_cpu_s": stats["client_cpu_s"],  # CPU of this process (in-process: of both)
        "per_endpoint": counts,
    }


def fresh_process_state(cache: Path) -> None:
    """What a new ``hepci`` process would have: no parsed files in memory, and (cold) no
    schema results on disk either: ``$HEPCI_CACHE_DIR`` points at ``cache``."""
    os.environ["HEPCI_CACHE_DIR"] = str(cache)
    context.PARSED = context.ParseMemo()
    schema._SEEN.clear()  # CI003 results kept in memory by an earlier phase


def new_path(double: Double, args: argparse.Namespace, cache: Path) -> Any:
    """The ``hepci audit gitlab:hep`` path of today: findings cache, report spool (the reports
    themselves are not written: bench_scale.py measures whole processes)."""
    options = {
        "url": double.url, "token": double.reader, "concurrency": args.concurrency,
        "batch_size": args.batch_size, "cache_dir": str(cache),
    }  # fmt: skip
    run = audit_remote_targets(["gitlab:hep"], AuditConfig(), progress_for(enabled=False), options)
    run.close()
    return run


@contextmanager
def engine_before_this_round() -> Iterator[None]:
    """The old-path phases as they ran before: schema validation by jsonschema alone (no
    jsonschema-rs first verdict), so ``gitlab_audit`` stays the baseline of the same run."""
    real = lint_schema._compile_fast
    lint_schema._compile_fast = lambda _schema: None
    lint_schema.body_validator.cache_clear()
    try:
        yield
    finally:
        lint_schema._compile_fast = real
        lint_schema.body_validator.cache_clear()


def run_ours(double: Double, args: argparse.Namespace, label: str) -> list[dict[str, Any]]:
    """Each cold phase ``--repeat`` times (median wall), each time with empty caches; the
    old-path phases with the engine as it was (:func:`engine_before_this_round`)."""
    with engine_before_this_round():
        rows = _run_old(double, args, label)
    return rows + run_new(double, args)


def _run_old(double: Double, args: argparse.Namespace, label: str) -> list[dict[str, Any]]:
    rows = []
    base = resolve_settings(
        url=double.url, token=double.reader, env={}, concurrency=args.concurrency,
        batch_size=args.batch_size,
    )  # fmt: skip
    for audit in (False, True):
        name = f"{label}_{'audit' if audit else 'fetch'}"
        takes = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                settings = replace(base, cache_dir=Path(cache))
                fresh_process_state(Path(cache))

                def go(settings: Any = settings, audit: bool = audit) -> Any:
                    if audit:
                        return audit_remote("gitlab:hep", settings, audit_repo)
                    return remote_snapshots("gitlab:hep", settings)

                run, wall, counts = measure(double, go)
                takes.append((wall, counts, run))
                if audit:  # the next day's run: a new process, the remote cache now warm
                    context.PARSED = context.ParseMemo()
                    warm = measure(double, go)
        wall, counts, run = sorted(takes, key=lambda take: take[0])[len(takes) // 2]
        r = row(name, wall, counts, args, args.concurrency)
        r.update(audited=len(run.results), skipped=len(run.skipped), failed=len(run.failed),
                 batch_size=run.stats.batch_size, walls=[round(t[0], 3) for t in takes])  # fmt: skip
        rows.append(r)
        show(r)
    w = row(f"{label}_warm", warm[1], warm[2], args, args.concurrency)
    w.update(from_cache=warm[0].stats.from_cache, target=args.projects / 100 + 2)
    rows.append(w)
    show(w)
    return rows


def run_new(double: Double, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Cold and warm through the findings cache and the spool (``--repeat`` times each)."""
    colds, warms = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            fresh_process_state(Path(cache))
            colds.append(measure(double, lambda cache=cache: new_path(double, args, Path(cache))))
            context.PARSED = context.ParseMemo()  # the next run: a new process, caches on disk
            schema._SEEN.clear()
            warms.append(measure(double, lambda cache=cache: new_path(double, args, Path(cache))))
    rows = []
    for name, takes in (("hepci_audit", colds), ("hepci_warm", warms)):
        run, wall, counts = sorted(takes, key=lambda take: take[1])[len(takes) // 2]
        r = row(name, wall, counts, args, args.concurrency)
        r.update(audited=len(run.reports), failed=len(run.failures), walls=[round(t[1], 3) for t in takes],
                 cpus=[t[2]["client_cpu_s"] for t in takes])  # fmt: skip
        rows.append(r)
        show(r)
    return rows


BASELINE = "e091d7e"  # the commit #15's "today" was measured at (2026-11-27, README table)


@contextmanager
def baseline_tree(ref: str) -> Iterator[Path]:
    """A checkout of ``ref`` (a detached ``git worktree`` in a temporary folder), removed after."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="hepci-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        git = ["git", "-C", str(root)]
        subprocess.run([*git, "worktree", "add", "--detach", "-q", str(tree), ref], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


def _child(
    double: Double, side: str, src: Path, cache: str, select: list[str] | None = None
) -> dict[str, Any]:
    """One run in a new process (``ab_child.py``) with ``src`` first on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src)  # bytecode written on the warm-up round, as an install has it
    script = Path(__file__).resolve().parent / "ab_child.py"
    argv = [sys.executable, str(script), side, double.url, double.reader, cache]
    out = subprocess.run(
        [*argv, *([",".join(select)] if select else [])],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.splitlines()[-1]))


def _ab_round(double: Double, tree: Path, rules: list[str]) -> dict[str, dict[str, Any]]:
    """Today's path cold then warm (two processes on one cache), today's path with the
    baseline's rules only (cold), the baseline (cold): each cold run on an empty cache."""
    today = Path(__file__).resolve().parent.parent / "src"
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        out["today"] = _child(double, "today", today, cache)
        out["warm"] = _child(double, "warm", today, cache)
    with tempfile.TemporaryDirectory() as cache:
        out["today_same_rules"] = _child(double, "today", today, cache, rules)
    with tempfile.TemporaryDirectory() as cache:
        out["baseline"] = _child(double, "baseline", tree / "src", cache)
    return out


def run_ab(double: Double, args: argparse.Namespace) -> dict[str, Any]:
    """``--ab`` rounds of new processes, interleaved on one double (the load of the machine hits
    all alike): today's path with every rule (cold, then warm), today's path with only the
    rules ``--baseline`` had (like for like), and the group audit of ``--baseline`` (cold), as
    "today's ``gitlab_audit``" of #15 ran. CPU and wall of each; ratios of the medians."""
    sides = ("today", "warm", "today_same_rules", "baseline")
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with baseline_tree(args.baseline) as tree:
        with tempfile.TemporaryDirectory() as cache:  # and the warm-up: bytecode written
            rules = list(_child(double, "baseline", tree / "src", cache)["rules"])
        _ab_round(double, tree, rules)
        for _ in range(args.ab):
            for side, result in _ab_round(double, tree, rules).items():
                runs[side].append(result)
            show({"round": len(runs["today"]), **{k: v[-1] for k, v in runs.items()}})

    def median(side: str, key: str) -> float:
        return float(statistics.median(r[key] for r in runs[side]))

    floor = 12 * args.latency_ms / 1000 / args.concurrency  # the warm run's 12 requests
    cpu = {side: median(side, "cpu_s") for side in sides}
    result = {
        "phase": "ab_engine", "baseline": args.baseline, "baseline_rules": len(rules),
        "runs": runs, "cpu_s": cpu,
        "cpu_ratio": round(cpu["today"] / cpu["baseline"], 3),
        "cpu_ratio_same_rules": round(cpu["today_same_rules"] / cpu["baseline"], 3),
        "warm_wall_s": median("warm", "wall_s"),
        "warm_wall_over_floor": round(median("warm", "wall_s") / floor, 2),
        "warm_audited": [r["audited"] for r in runs["warm"]],
    }  # fmt: skip
    show({k: v for k, v in result.items() if k != "runs"})
    return result


def show(r: dict[str, Any]) -> None:
    print(
        json.dumps({k: v for k, v in r.items() if k not in ("per_endpoint", "client")}), flush=True
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=RemoteSettings().concurrency)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3, help="runs per cold phase (median)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the JSON goes")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--in-process", action="store_true", help="serve the double in-process")
    parser.add_argument(
        "--double-workers", type=int, default=2,
        help="processes serving the double (GitLab runs several Puma workers; default 2)",
    )  # fmt: skip
    parser.add_argument(
        "--ab", type=int, default=0, metavar="N",
        help="only N interleaved rounds of new processes: today's path (cold, warm; every rule,"
        " then the baseline's rules) against the group audit of --baseline (cold)",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", default=BASELINE,
        help=f"the commit --ab compares with (default {BASELINE}: #15's baseline)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    double = Double(args)
    if args.ab:
        try:
            ab = run_ab(double, args)
        finally:
            double.close()
        args.out.mkdir(parents=True, exist_ok=True)
        out = args.out / f"bench_audit-ab-N{args.projects}-L{args.latency_ms:g}.json"
        out.write_text(json.dumps(ab, indent=2) + "\n", encoding="utf-8")
        print(f"written: {out}")
        return 0
    try:
        rows += run_ours(double, args, "gitlab")
        if not args.skip_naive:
            world = SimpleNamespace(tokens=SimpleNamespace(reader=double.reader))
            report, wall, counts = measure(double, lambda: naive_audit(double.url, world))  # type: ignore[arg-type]
            r = row("naive", wall, counts, args, 1)
            r.update(client=report)
            rows.append(r)
            show(r)
    finally:
        double.close()
    naive = next((r for r in rows if r["phase"] == "naive"), None)
    for r in rows:
        if naive and r is not naive:
            r["speedup_vs_naive"] = round(naive["wall_s"] / r["wall_s"], 1)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"bench_audit-N{args.projects}-L{args.latency_ms:g}.json"
    meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    out.write_text(json.dumps({"settings": meta, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    print(table(rows))
    print(f"written: {out}")
    return 0


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| phase | wall s | requests | req/project | latency floor s | wall/floor"
        " | double CPU s | client CPU s | × faster than naive |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['phase']} | {r['wall_s']:.2f} | {r['requests']} | {r['requests_per_project']:.3f}"
            f" | {r['latency_floor_s']:.2f} | {r['wall_over_floor']} | {r['double_cpu_s']:.2f}"
            f" | {r['client_cpu_s']:.2f}"
            f" | {r.get('speedup_vs_naive', '')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
