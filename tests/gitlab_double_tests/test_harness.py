"""Smoke test of the benchmark harness and the naive baseline (N=5, no latency), so they don't rot."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_naive_baseline_counts_one_raw_read_per_candidate(tmp_path: Path) -> None:
    harness = load("harness")
    baseline = load("naive_baseline")
    result = harness.run_benchmark(
        "naive_smoke", baseline.naive_audit, n_projects=5, latency_ms=0, seed=1
    )
    listed = result.client_report["projects_listed"]
    assert listed >= 1
    raw = "GET /projects/:id/repository/files/:file_path/raw"
    assert result.per_endpoint[raw] == listed * len(baseline.CANDIDATES)
    assert result.per_endpoint["GET /groups/:id/projects"] == 1
    assert result.requests_total == sum(result.per_endpoint.values()) == listed * 12 + 2
    found = result.client_report
    assert found["files_found"] + found["files_missing"] + found["files_forbidden"] == listed * 12
    path = harness.write_result(result, tmp_path)
    saved = json.loads(path.read_text())
    assert saved["per_endpoint"] == result.per_endpoint and saved["n_projects"] == 5
    assert "requests/project" in path.with_suffix(".txt").read_text()


def test_audit_benchmark_runs_with_a_double_served_by_two_processes(tmp_path: Path) -> None:
    """bench_audit end to end, small: two forked double workers, every phase, the JSON rows."""
    import subprocess

    args = ["--projects", "40", "--latency-ms", "0", "--skip-naive", "--repeat", "1"]
    args += ["--double-workers", "2", "--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_audit.py"), *args],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {
        r["phase"]: r
        for r in json.loads((tmp_path / "bench_audit-N40-L0.json").read_text())["rows"]
    }
    assert {"gitlab_fetch", "gitlab_audit", "gitlab_warm"} <= set(rows)  # more may follow
    fetch, audit, warm = rows["gitlab_fetch"], rows["gitlab_audit"], rows["gitlab_warm"]
    assert fetch["audited"] == audit["audited"] > 0 and audit["failed"] == 0
    # the request counts were summed over both worker processes: they match across phases
    assert fetch["requests"] == audit["requests"] == sum(audit["per_endpoint"].values()) > 0
    assert warm["from_cache"] == audit["audited"]
    # warm: the listing, plus one GraphQL request for the projects whose code the token cannot
    # read (GitLab's group listing has no `permissions`: only GraphQL tells, and a "no access"
    # answer is never cached, as a new membership does not change last_activity_at)
    listing = warm["per_endpoint"]["GET /groups/:id/projects"]
    assert listing <= warm["target"]
    assert warm["requests"] - listing == warm["per_endpoint"].get("POST /api/graphql", 0) <= 1
