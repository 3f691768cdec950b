"""Start-up cost of ``hepci audit`` on a small local repository, as ratios (CONTRIBUTING).

    .venv/bin/python benchmarks/bench_audit_local.py [--runs 10]

Baselines in the same run: a bare interpreter (``python -c pass``) and ``hepci --version``
(typer and the CLI, no command). Measured: the whole ``hepci audit`` process on a scaffolded
analysis (warm CI003 schema cache, as on every run after the first), median of ``--runs``,
wall time and CPU time (CPU is the steadier number on a shared machine), then the CPU spent in
each start-up stage inside one process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = r"""
import json, sys, time
c = time.process_time
t0 = c()
import hepci.cli
t1 = c()
try:
    import typer._adapters  # typer >= 0.29 imports pydantic here, per command
except ImportError:  # the typer we pin has no such module: nothing to pay
    pass
t2 = c()
from hepci.audit.engine import audit_repo
from hepci.audit.rule import all_rules
all_rules()
t3 = c()
from hepci.audit.model import AuditRun
from hepci.core.repo import LocalRepo
run = AuditRun.of([audit_repo(LocalRepo(sys.argv[1]))])
t4 = c()
from hepci.audit.reports import terminal
terminal.render(run)
t5 = c()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]))
"""
STAGE_NAMES = [
    "import hepci.cli (typer, click)",
    "typer._adapters (pydantic, typer >= 0.29 only; absent here)",
    "import audit engine + rules (ruamel, CI model)",
    "audit the repository (warm cache)",
    "render the terminal report",
]


def make_repo(parent: Path) -> Path:
    try:
        from hepci import scaffold

        return scaffold.create(
            parent / "ana", answers={"flavour": "columnar", "workflow": "snakemake"}, no_input=True
        ).path
    except Exception:  # the scaffold is optional here: fall back to a minimal repository
        root = parent / "ana"
        root.mkdir()
        (root / ".gitlab-ci.yml").write_text("test:\n  image: python:3.12\n  script: [pytest]\n")
        (root / "README.md").write_text("# ana\n")
        return root


def timed(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp))
        env = dict(os.environ, HEPCI_CACHE_DIR=str(Path(tmp) / "cache"))
        audit = [py, "-m", "hepci", "audit", str(repo), "--fail-on", "never"]
        subprocess.run(audit, capture_output=True, env=env, check=False)  # warm the cache
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "hepci --version": [py, "-m", "hepci", "--version"],
            "hepci audit": audit,
            "hepci audit -f json": [*audit, "-f", "json", "-o", os.devnull],
        }
        results = {name: timed(cmd, env, args.runs) for name, cmd in commands.items()}
        _, base_cpu = results["hepci --version"]
        print(f"load average: {os.getloadavg()[0]:.2f}, runs: {args.runs}")
        for name, (wall, cpu) in results.items():
            print(
                f"{name:22s} wall {wall * 1000:6.0f} ms  cpu {cpu * 1000:6.0f} ms"
                f"  ({cpu / base_cpu:4.2f} x hepci --version cpu)"
            )
        rows = []
        for _ in range(args.runs):
            done = subprocess.run(
                [py, "-c", STAGES, str(repo)], capture_output=True, text=True, env=env, check=True
            )
            rows.append(json.loads(done.stdout))
        for index, name in enumerate(STAGE_NAMES):
            value = statistics.median(r[index] for r in rows)
            print(f"  {name:58s} cpu {value * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
