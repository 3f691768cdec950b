"""Item 11: deep structures never exhaust the Python stack (no RecursionError, no exit 4).

Each hostile file is 10,000 levels or links deep (block nesting 1,000: 10,000 would be over the
2 MiB cap), in every form that reaches a walker: merge-key chains, alias chains, flow and block
nesting, an alias inside its own anchor. ``lint``, ``audit`` and ``upgrade`` run in a child
process (time and memory bounded): the answer is the documented one -- exit 2 with one line
naming the file and line for lint and upgrade, a CI002 finding for audit -- or, for data within
GitLab's limits, an ordinary run. Nothing may print a traceback or "internal error".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hostile._support import Run, make_tree, run_hepci

DEEP = 10_000


def merge_chain(n: int) -> str:
    lines = [".a0: &a0\n  script: [echo]\n"]
    lines += [f".a{i}: &a{i}\n  <<: *a{i - 1}\n  k{i}: v\n" for i in range(1, n)]
    return "".join(lines) + f"job:\n  <<: *a{n - 1}\n  stage: test\n"


def alias_chain(n: int) -> str:
    lines = [".a0: &a0 [x]\n"] + [f".a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, n)]
    return "".join(lines) + f"job:\n  script: [echo]\n  tags: *a{n - 1}\n"


def flow(n: int, opening: str, closing: str, leaf: str) -> str:
    return f"job:\n  script: [echo]\n  x: {opening * n}{leaf}{closing * n}\n"


def block_mappings(n: int) -> str:
    return "job:\n  script: [echo]\n  x:\n" + "".join("  " * (i + 2) + f"k{i}:\n" for i in range(n))


def block_sequences(n: int) -> str:
    return "job:\n  script: [echo]\n  x:\n" + "".join("  " * (i + 1) + "  -\n" for i in range(n))


RECURSIVE = "job:\n  script: [x]\n  variables: &v\n    A: *v\n"

# name -> (CI file, message expected on stderr from lint and upgrade)
REFUSED = {
    "merge chain": (merge_chain(DEEP), "alias expansion too large"),
    "alias chain": (alias_chain(DEEP), "alias expansion too large"),
    "alias chain within the budget": (alias_chain(600), "nesting deeper than 100 levels once"),
    "flow sequences": (flow(DEEP, "[", "]", "x"), "nesting deeper than 100 levels"),
    "flow mappings": (flow(DEEP, "{a: ", "}", "1"), "nesting deeper than 100 levels"),
    "block mappings": (block_mappings(1000), "nesting deeper than 100 levels"),
    "block sequences": (block_sequences(1000), "nesting deeper than 100 levels"),
    "alias inside its anchor": (RECURSIVE, "refers to a node that contains it"),
}


def _no_crash(run: Run) -> None:
    for text in (run.out, run.err):
        assert "RecursionError" not in text
        assert "Traceback" not in text
        assert "internal error" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_deep_input_is_one_line_error_for_lint_and_upgrade(tmp_path: Path, name: str) -> None:
    text, message = REFUSED[name]
    make_tree(tmp_path, {".gitlab-ci.yml": text})
    for command in ("lint", "upgrade"):
        run = run_hepci(command, ".", cwd=tmp_path)
        _no_crash(run)
        assert run.code == 2, (command, run.err)
        assert len(run.err_lines) == 1, run.err
        assert run.err_lines[0].startswith("hepci: error: .gitlab-ci.yml:"), run.err
        assert message in run.err_lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["merge chain", "alias chain", "flow sequences"])
def test_deep_input_is_a_ci002_finding_for_audit(tmp_path: Path, name: str) -> None:
    make_tree(tmp_path, {".gitlab-ci.yml": REFUSED[name][0]})
    run = run_hepci("audit", ".", "-f", "json", "--fail-on", "never", cwd=tmp_path)
    _no_crash(run)
    assert run.code == 0, run.err
    (project,) = json.loads(run.out)["projects"]
    (ci002,) = [rule for rule in project["results"] if rule["id"] == "CI002"]
    assert ci002["status"] == "fail"
    (finding,) = ci002["findings"]
    assert finding["path"] == ".gitlab-ci.yml" and finding["line"] >= 1
    assert re.search(r"alias expansion too large|nesting deeper than 100", finding["message"])


def test_merge_chain_within_the_limits_is_read_like_gitlab(tmp_path: Path) -> None:
    """600 links (the issue's file): GitLab accepts it, so do we: an ordinary lint run."""
    make_tree(tmp_path, {".gitlab-ci.yml": merge_chain(600)})
    run = run_hepci("lint", ".", "--format", "json", cwd=tmp_path)
    _no_crash(run)
    assert run.code == 1  # the merged `k1`... keys are not job keywords: HL101, not a crash
    assert '"HL101"' in run.out and "unknown key 'k" in run.out
    assert run_hepci("upgrade", ".", cwd=tmp_path).code == 0
