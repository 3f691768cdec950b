"""Benchmark harness: run a client against the GitLab double and measure it.

``run_benchmark(name, client, n_projects=..., latency_ms=...)`` builds a seeded world of N
projects, serves it with a fixed per-request latency, runs ``client(url, world)`` once, and
returns wall time plus request counts per endpoint (from the double's own log). ``write_result``
stores the JSON in ``benchmarks/results/`` (gitignored) next to a human summary.

Ratios between clients in the same run are the measure (CONTRIBUTING: never a timed test).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from gitlab_double import Faults, GitLabDouble, Latency, World, build_world  # noqa: E402

__all__ = ["BenchResult", "Client", "World", "run_benchmark", "serve", "write_result"]
Client = Callable[[str, World], dict[str, Any]]


@dataclass
class BenchResult:
    name: str
    n_projects: int
    latency_ms: float
    seed: int
    wall_s: float
    requests_total: int
    requests_per_project: float
    per_endpoint: dict[str, int]
    statuses: dict[str, int]
    client_report: dict[str, Any] = field(default_factory=dict)
    build_s: float = 0.0
    python: str = platform.python_version()
    started_at: str = ""

    def summary(self) -> str:
        lines = [
            f"{self.name}: N={self.n_projects} projects, latency {self.latency_ms:g} ms",
            f"  wall time        {self.wall_s:10.2f} s",
            f"  requests total   {self.requests_total:10d}",
            f"  requests/project {self.requests_per_project:10.2f}",
            f"  statuses         {self.statuses}",
            "  per endpoint:",
        ]
        for route, count in sorted(self.per_endpoint.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {count:8d}  {route}")
        for key, value in self.client_report.items():
            lines.append(f"  client {key}: {value}")
        return "\n".join(lines)


@contextmanager
def serve(
    n_projects: int, latency_ms: float, seed: int = 0, corpus_dir: Path | None = None
) -> Iterator[tuple[GitLabDouble, World]]:
    """A running double with N generated projects and a fixed latency of ``latency_ms``."""
    world = build_world(n_projects, seed, corpus_dir)
    faults = Faults(seed=seed, latency=Latency("fixed", latency_ms / 1000))
    with GitLabDouble(world.state, faults) as double:
        yield double, world


def run_benchmark(
    name: str,
    client: Client,
    n_projects: int,
    latency_ms: float,
    seed: int = 0,
    corpus_dir: Path | None = None,
) -> BenchResult:
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    with serve(n_projects, latency_ms, seed, corpus_dir) as (double, world):
        build_s = time.perf_counter() - t0
        double.stats.reset()
        t1 = time.perf_counter()
        report = client(double.url, world)
        wall = time.perf_counter() - t1
        counts = double.stats.counts()
        statuses = {str(k): v for k, v in sorted(double.stats.statuses().items())}
    total = sum(counts.values())
    return BenchResult(
        name=name,
        n_projects=n_projects,
        latency_ms=latency_ms,
        seed=seed,
        wall_s=round(wall, 3),
        requests_total=total,
        requests_per_project=round(total / max(n_projects, 1), 3),
        per_endpoint=dict(sorted(counts.items())),
        statuses=statuses,
        client_report=report,
        build_s=round(build_s, 3),
        started_at=started_at,
    )


def write_result(result: BenchResult, out_dir: Path = RESULTS_DIR) -> Path:
    """Write ``<name>-N<n>-L<ms>.json`` and ``.txt`` (summary); return the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{result.name}-N{result.n_projects}-L{result.latency_ms:g}"
    path = out_dir / f"{stem}.json"
    path.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.txt").write_text(result.summary() + "\n", encoding="utf-8")
    return path
