"""Item 12: chains GitLab limits are lint findings, and never hang or crash anything.

GitLab rejects ``extends`` deeper than 11 levels ("nesting too deep in `extends`"), a
``!reference`` that is part of a circular chain, scripts nested more than 10 levels by
``!reference`` tags, more than 150 includes, and a loop of local includes (followed until that
limit). Each is a ``lint`` finding at the right place (HL307, HL308, HL309, HL304); ``audit``
and ``upgrade`` read the same files, 10,000 links long, in bounded time without a crash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile._support import make_tree, run_hepci

LONG = 10_000


def extends_chain(n: int) -> str:
    jobs = [".e0:\n  script: [x]\n"] + [f".e{i}:\n  extends: .e{i - 1}\n" for i in range(1, n)]
    return "".join(jobs) + f"job:\n  extends: .e{n - 1}\n"


def reference_nesting(n: int) -> str:
    jobs = [".r0:\n  script: [x]\n"]
    jobs += [f".r{i}:\n  script:\n    - !reference [.r{i - 1}, script]\n" for i in range(1, n)]
    return "".join(jobs) + f"job:\n  script:\n    - !reference [.r{n - 1}, script]\n"


def reference_loop(n: int) -> str:
    """n tags in a loop, and `job` naming one of them (GitLab fails on each: n + 1 findings)."""
    jobs = [f".r{i}:\n  script:\n    - !reference [.r{(i + 1) % n}, script]\n" for i in range(n)]
    return "".join(jobs) + "job:\n  script:\n    - !reference [.r0, script]\n"


LOOPS = """\
.a:
  script:
    - !reference [.b, script]
.b:
  script:
    - !reference [.a, script]
self:
  script:
    - echo hi
    - !reference [self, script]
.whole:
  variables: {A: "1"}
  script:
    - !reference [.whole]
.base:
  script:
    - !reference [inherits, script]
inherits:
  extends: .base
fine:
  script:
    - !reference [.ok, script]
.ok:
  script: [echo ok]
"""


def _lint(tmp_path: Path, files: dict[str, str | bytes]) -> list[dict[str, object]]:
    make_tree(tmp_path, files)
    run = run_hepci("lint", ".", "--format", "json", "--ignore", "YL", cwd=tmp_path)
    assert run.code in (0, 1), run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    findings: list[dict[str, object]] = json.loads(run.out or "[]")
    return findings


def _audit_and_upgrade_survive(tmp_path: Path) -> None:
    audit = run_hepci("audit", ".", "--fail-on", "never", cwd=tmp_path)
    assert audit.code == 0 and "internal error" not in audit.out + audit.err, audit.err
    upgrade = run_hepci("upgrade", ".", cwd=tmp_path)
    assert upgrade.code in (0, 1) and "internal error" not in upgrade.err, upgrade.err


def test_reference_loops_are_hl308_where_each_tag_is_written(tmp_path: Path) -> None:
    found = _lint(tmp_path, {".gitlab-ci.yml": LOOPS})
    assert [(f["code"], f["line"], f["column"]) for f in found] == [
        ("HL308", 3, 7),  # .a -> .b -> .a
        ("HL308", 6, 7),
        ("HL308", 10, 7),  # self-reference
        ("HL308", 14, 7),  # a reference to the whole job that contains it
        ("HL308", 17, 7),  # inherited by `inherits`, where it names itself
    ]
    assert "circular chain" in str(found[0]["message"])


def test_extends_twelve_levels_deep_is_hl307_eleven_is_not(tmp_path: Path) -> None:
    found = _lint(tmp_path / "deep", {".gitlab-ci.yml": extends_chain(12)})
    assert [(f["code"], f["line"], f["column"]) for f in found] == [("HL307", 26, 12)]
    assert "12 levels" in str(found[0]["message"])
    assert _lint(tmp_path / "ok", {".gitlab-ci.yml": extends_chain(11)}) == []


def test_reference_nesting_past_ten_levels_is_hl309(tmp_path: Path) -> None:
    found = _lint(tmp_path / "deep", {".gitlab-ci.yml": reference_nesting(10)})
    assert [(f["code"], f["line"]) for f in found] == [("HL309", 31)]
    assert "11 levels" in str(found[0]["message"])
    assert _lint(tmp_path / "ok", {".gitlab-ci.yml": reference_nesting(9)}) == []


def test_local_include_loop_and_limit_are_hl304(tmp_path: Path) -> None:
    loop = {
        ".gitlab-ci.yml": "include: a.yml\njob:\n  script: [x]\n",
        "a.yml": "include: b.yml\n.a:\n  script: [a]\n",
        "b.yml": "include: a.yml\n.b:\n  script: [b]\n",
    }
    found = _lint(tmp_path / "loop", loop)
    assert [(f["path"], f["code"], f["line"]) for f in found] == [("b.yml", "HL304", 1)]
    assert "include cycle" in str(found[0]["message"])
    chain: dict[str, str | bytes] = {".gitlab-ci.yml": "include: i/0.yml\njob:\n  script: [x]\n"}
    chain |= {f"i/{n}.yml": f"include: i/{n + 1}.yml\n.j{n}:\n  script: [x]\n" for n in range(300)}
    found = _lint(tmp_path / "chain", chain)
    assert [(f["path"], f["code"]) for f in found] == [("i/149.yml", "HL304")]
    assert "more than 150 includes" in str(found[0]["message"])
    _audit_and_upgrade_survive(tmp_path / "chain")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("build", "code", "count"),
    [
        (extends_chain, "HL307", 1),
        (reference_nesting, "HL309", 1),
        (reference_loop, "HL308", LONG + 1),
    ],
)
def test_ten_thousand_links_lint_audit_and_upgrade(
    tmp_path: Path, build: object, code: str, count: int
) -> None:
    assert callable(build)
    text = build(LONG)
    found = _lint(tmp_path, {".gitlab-ci.yml": text})
    assert {f["code"] for f in found} == {code}
    assert len(found) == count
    _audit_and_upgrade_survive(tmp_path)


def extends_fan(width: int, levels: int) -> str:
    """Every job of a level extends all ``width`` jobs of the next: width^levels paths through
    ``extends`` but only width × levels jobs (11 levels is GitLab's own limit)."""
    jobs = [f".l{levels - 1}_{j}:\n  script: [x]\n" for j in range(width)]
    for level in range(levels - 1):
        parents = ", ".join(f".l{level + 1}_{j}" for j in range(width))
        jobs += [f".l{level}_{j}:\n  extends: [{parents}]\n" for j in range(width)]
    parents = ", ".join(f".l0_{j}" for j in range(width))
    head = "default:\n  tags: [cvmfs]\n"  # every job has it, no job of the chain writes it
    return head + "".join(jobs) + f"job:\n  extends: [{parents}]\n"


def test_a_fan_of_extends_is_walked_once_per_job(tmp_path: Path) -> None:
    """20^11 paths: looking for where `job` got its `tags` (CI014 names the line) walked every
    path when no job of the chain writes it (a hang); each job is now looked at once."""
    make_tree(tmp_path, {".gitlab-ci.yml": extends_fan(20, 11)})
    audit = run_hepci("audit", ".", "--fail-on", "never", "-f", "json", cwd=tmp_path, timeout=60)
    assert audit.code == 0 and "internal error" not in audit.out + audit.err, audit.err
    results = {r["id"]: r for r in json.loads(audit.out)["projects"][0]["results"]}
    assert all(r["status"] != "error" for r in results.values())
    assert results["CI014"]["status"] == "fail"  # the rule did look for the key
    upgrade = run_hepci("upgrade", ".", cwd=tmp_path, timeout=60)
    assert upgrade.code in (0, 1) and "internal error" not in upgrade.err, upgrade.err
