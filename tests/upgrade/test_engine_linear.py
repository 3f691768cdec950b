"""``upgrade`` is linear in the number of edits (issue 11, item 13): a file with hundreds of
jobs is parsed whole a constant number of times, not once or more per edit, and its diff is
computed without difflib's quadratic search. Counted, not timed (the benchmark times it:
``benchmarks/bench_upgrade.py --big-file``)."""

from __future__ import annotations

from yamledit.edit_checks import counting_parses

from hepci.core.yamledit import parse_text
from hepci.upgrade.base import UpgradeContext
from hepci.upgrade.cm_deprecated import GlobalToDefault
from hepci.upgrade.cm_rules import OnlyExceptToRules
from hepci.upgrade.engine import upgrade_file
from hepci.upgrade.versions import ReleasePolicy

JOBS = 300


def ci(jobs: int) -> str:
    head = "image: python:3.11\nstages: [test]\n"
    return head + "".join(
        f"job{i}:\n  stage: test\n  only: [main]\n  script:\n    - echo {i}\n" for i in range(jobs)
    )


def test_hundreds_of_edits_parse_the_whole_file_a_constant_number_of_times() -> None:
    text = ci(JOBS)
    file = parse_text(text, ".gitlab-ci.yml")
    ctx = UpgradeContext(ReleasePolicy(releases=()))
    with counting_parses() as sizes:
        outcome = upgrade_file(file, [GlobalToDefault, OnlyExceptToRules], ctx)
    whole = [size for size in sizes if size > len(text) // 2]
    # global-to-default: its one unit, 2 edits (each re-parsed and verified);
    # only-except-to-rules: 300 units done on each job's text, then one splice checked once.
    assert len(whole) <= 4, len(whole)  # before: 3 per unit, 900 for this file
    assert [run.applied for run in outcome.runs] == [1, JOBS]
    assert not outcome.refused
    edited = parse_text(outcome.text).body
    assert edited is not None and edited.data["default"] == {"image": "python:3.11"}
    assert edited.data[f"job{JOBS - 1}"] == {
        "stage": "test",
        "rules": [{"if": '$CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG == "main"'}],
        "script": [f"echo {JOBS - 1}"],
    }
    diff = outcome.diff()
    assert diff.count("\n-  only: [main]") == JOBS
    assert outcome.runs[1].lines_before == JOBS and outcome.runs[1].lines_after == 2 * JOBS
