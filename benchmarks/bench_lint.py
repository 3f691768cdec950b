"""``hepci lint`` on the real-world corpus vs the tools it replaces, in ONE run.

    .venv/bin/python benchmarks/bench_lint.py [--repeat 3]

Phases (best of ``--repeat``): ``baseline`` = yamllint (default config) + GitLab's schema the
way check-jsonschema applies it (ruamel load, jsonschema validate) on every corpus file that
both can read; ``hepci`` = ``lint_paths`` on each file (yamllint, schema, header, includes,
references). Start-up: ``python -c pass`` vs ``hepci lint --help`` vs ``hepci lint FILE``.
Reported as ratios; the corpus is read in place from ``../shared/corpus``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import corpus_files  # noqa: E402

from hepci.lint import lint_paths  # noqa: E402
from hepci.lint.schema import gitlab_schema  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def baseline(files: list[Path]) -> None:
    from jsonschema import Draft7Validator
    from ruamel.yaml import YAML
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    config = YamlLintConfig("extends: default")
    validator = Draft7Validator(gitlab_schema())
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            list(linter.run(text, config, str(path)))
            data = YAML(typ="safe", pure=True).load(text)
        except Exception:  # both tools fail these (UTF-16, multi-document, tags, tabs)
            continue
        list(validator.iter_errors(data))


def ours(files: list[Path]) -> None:
    for path in files:
        lint_paths([path])


def best(func: Callable[[list[Path]], None], files: list[Path], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func(files)
        times.append(time.perf_counter() - start)
    return min(times)


def startup(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    files = corpus_files()
    if not files:
        print("../shared/corpus is absent: nothing to measure")
        return 0
    lint_paths([files[0]])  # warm the schema and yamllint imports for both phases
    base = best(baseline, files, args.repeat)
    hepci = best(ours, files, args.repeat)
    hepci_cmd = [sys.executable, "-m", "hepci", "lint"]
    python = startup([sys.executable, "-c", "pass"], args.repeat)
    help_s = startup([*hepci_cmd, "--help"], args.repeat)
    one = startup([*hepci_cmd, str(files[0])], args.repeat)
    result = {
        "files": len(files),
        "baseline_s": round(base, 3),
        "hepci_s": round(hepci, 3),
        "hepci_per_file_ms": round(1000 * hepci / len(files), 1),
        "ratio_hepci_to_baseline": round(hepci / base, 2),
        "python_startup_s": round(python, 3),
        "lint_help_s": round(help_s, 3),
        "lint_one_file_s": round(one, 3),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lint.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
