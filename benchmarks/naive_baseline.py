"""The baseline every maintainer writes first: list the group, then read each candidate file of
each project with ``files.raw``, one request after another.

    .venv/bin/python benchmarks/naive_baseline.py --projects 1000 --latency-ms 50
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gitlab
from harness import World, run_benchmark, write_result

CANDIDATES = (
    ".gitlab-ci.yml", "Dockerfile", "README.md", "LICENSE", "CITATION.cff", ".gitignore",
    ".dockerignore", "Snakefile", "workflow/Snakefile", "reana.yaml", "pyproject.toml",
    ".hepci.toml",
)  # fmt: skip


def naive_audit(url: str, world: World, group_path: str = "hep") -> dict[str, Any]:
    """Sequential python-gitlab loop; returns what it found (files read, misses, errors)."""
    gl = gitlab.Gitlab(
        url, private_token=world.tokens.reader, timeout=30, retry_transient_errors=True
    )
    group = gl.groups.get(group_path)
    projects = files_found = missing = forbidden = 0
    for listed in group.projects.list(
        include_subgroups=True, archived=False, iterator=True, per_page=100
    ):
        projects += 1
        project = gl.projects.get(listed.id, lazy=True)
        for path in CANDIDATES:
            try:
                project.files.raw(path, ref=listed.default_branch or "HEAD")
                files_found += 1
            except gitlab.GitlabGetError as exc:
                if exc.response_code == 403:
                    forbidden += 1
                else:
                    missing += 1
    return {
        "projects_listed": projects,
        "files_found": files_found,
        "files_missing": missing,
        "files_forbidden": forbidden,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run_benchmark("naive_baseline", naive_audit, args.projects, args.latency_ms, args.seed)
    path = write_result(result)
    print(result.summary())
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
