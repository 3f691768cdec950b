"""Every finding code: a crafted file that triggers it (exact line:col) and one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepci.lint import CODES, LintOptions, lint_paths
from hepci.lint.codes import YAMLLINT_RULES

NO_STYLE = LintOptions(ignore=("YL",))


def lint_text(
    tmp_path: Path, text: str, options: LintOptions = NO_STYLE
) -> list[tuple[str, int, int]]:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(text, encoding="utf-8")
    return [(f.code, f.line, f.column) for f in lint_paths([ci], options).findings]


def _extends_chain(levels: int) -> str:
    """``job`` inheriting through ``levels`` levels of ``extends`` (GitLab allows 11)."""
    jobs = [".e0:\n  script: [x]\n"]
    jobs += [f".e{i}:\n  extends: .e{i - 1}\n" for i in range(1, levels)]
    return "".join(jobs) + f"job:\n  extends: .e{levels - 1}\n  script: [x]\n"


def _reference_chain(levels: int) -> str:
    """``job.script`` nesting ``levels`` arrays through ``!reference`` tags (GitLab allows 10)."""
    jobs = [".r0:\n  script: [x]\n"]
    jobs += [f".r{i}:\n  script:\n    - !reference [.r{i - 1}, script]\n" for i in range(1, 11)]
    return "".join(jobs) + f"job:\n  script:\n    - !reference [.r{levels - 2}, script]\n"


# (code, failing text, expected findings, passing text)
CASES = [
    ("HL001", "job:\n  script: [a, b\n", [(3, 1)], "job:\n  script: [a, b]\n"),
    ("HL002", "- a\n- b\n", [(1, 1)], "job:\n  script: [a]\n"),
    ("HL002", "# only a comment\n", [(1, 1)], "job:\n  script: [a]\n"),
    (
        "HL101",
        "build:\n  stage: test\n  scirpt: echo\n",
        [(3, 3)],
        "build:\n  stage: test\n  script: echo\n",
    ),
    (
        "HL101",
        "build:\n  script: echo\n  when: sometimes\n",
        [(3, 9)],
        "build:\n  script: echo\n  when: manual\n",
    ),
    (
        "HL101",
        "build:\n  script: echo\n  retry: {max: 9}\n",
        [(3, 16)],
        "build:\n  script: echo\n  retry: {max: 2}\n",
    ),
    (
        "HL102",
        "spec:\n  inputs:\n    x:\n      type: strnig\n---\njob:\n  script: echo\n",
        [(4, 13)],
        "spec:\n  inputs:\n    x:\n      type: string\n---\njob:\n  script: echo\n",
    ),
    (
        "HL103",
        "spec:\n  inputs: {}\njob:\n  script: [echo]\n",
        [(1, 1)],
        "spec:\n  inputs: {}\n---\njob:\n  script: [echo]\n",
    ),
    (
        "HL301",
        "job:\n  extends: .nope\n  script: [x]\n",
        [(2, 12)],
        ".nope: {}\njob:\n  extends: .nope\n  script: [x]\n",
    ),
    (
        "HL302",
        "job:\n  script:\n    - !reference [.nope, script]\n",
        [(3, 7)],
        ".nope:\n  script: [a]\njob:\n  script:\n    - !reference [.nope, script]\n",
    ),
    (
        "HL302",
        ".base:\n  script: [a]\njob:\n  script:\n    - !reference [.base, after_script]\n",
        [(5, 7)],
        ".base:\n  after_script: [a]\njob:\n  script:\n    - !reference [.base, after_script]\n",
    ),
    (
        "HL303",
        "job:\n  script: [a]\n  script: [b]\n",
        [(3, 3)],
        "job:\n  script: [a]\n  stage: test\n",
    ),
    (
        "HL304",
        "include:\n  - local: missing.yml\njob:\n  script: [x]\n",
        [(2, 12)],
        "job:\n  script: [x]\n",
    ),
    (
        "HL305",
        "a:\n  extends: b\n  script: [x]\nb:\n  extends: a\n  script: [x]\n",
        [(2, 12), (5, 12)],
        "a:\n  extends: b\n  script: [x]\nb:\n  script: [x]\n",
    ),
    (
        "HL306",
        ".base:\n  script: [a]\njob:\n  script: !reference .base\n",
        [(4, 11)],
        ".base:\n  script: [a]\njob:\n  script: !reference [.base, script]\n",
    ),
    ("HL307", _extends_chain(12), [(26, 12)], _extends_chain(11)),
    (
        "HL308",
        ".a:\n  script:\n    - !reference [.b, script]\n"
        ".b:\n  script:\n    - !reference [.a, script]\n",
        [(3, 7), (6, 7)],
        ".a:\n  script:\n    - !reference [.b, script]\n.b:\n  script: [x]\n",
    ),
    ("HL309", _reference_chain(11), [(34, 3)], _reference_chain(10)),
]


@pytest.mark.parametrize(("code", "bad", "where", "good"), CASES)
def test_code_fails_and_passes(
    tmp_path: Path, code: str, bad: str, where: list[tuple[int, int]], good: str
) -> None:
    found = lint_text(tmp_path, bad)
    assert found == [(code, line, col) for line, col in where]
    assert lint_text(tmp_path, good) == []


def test_every_hl_code_has_a_case_or_an_input_test() -> None:
    covered = {case[0] for case in CASES} | {"HL201", "HL202", "HL203", "HL204", "HL205", "HL206"}
    assert set(CODES) == covered
    for cls in CODES.values():
        assert cls.summary(), f"{cls.__name__} needs a docstring"


def test_yamllint_findings_and_our_ci_config(tmp_path: Path) -> None:
    text = (
        "job:\n  script: [x]  \n  allow_failure: yes\n  variables:\n    A: "
        + "word " * 34
        + "end\n"
    )
    found = lint_text(tmp_path, text, LintOptions())
    assert found == [("YL022", 2, 14), ("YL023", 3, 18), ("YL017", 5, 161)]
    assert YAMLLINT_RULES["trailing-spaces"] == "YL022"
    # GitLab reads YAML 1.1: a plain `yes` is a boolean, so the schema does not flag it.
    assert not [f for f in found if f[0].startswith("HL")]
    # Our config: no document-start, indentless sequences allowed, 1 space before comments.
    clean = "stages: [test]\njob:  # the job\n  script:\n  - echo\n  - echo 2\n"
    assert lint_text(tmp_path, clean, LintOptions()) == []


def test_repository_yamllint_config_is_honoured(tmp_path: Path) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text("job:\n  script: [x]  \n", encoding="utf-8")
    codes = [f.code for f in lint_paths([tmp_path]).findings]
    assert codes == ["YL022"]
    (tmp_path / ".yamllint").write_text(
        "extends: default\nrules:\n  trailing-spaces: disable\n  document-start: disable\n",
        encoding="utf-8",
    )
    assert lint_paths([tmp_path]).findings == []


def test_select_and_ignore_by_prefix(tmp_path: Path) -> None:
    text = "job:\n  extends: .nope\n  script: [x]  \n  script: [y]\n"
    assert lint_text(tmp_path, text, LintOptions()) == [
        ("HL301", 2, 12),
        ("YL022", 3, 14),
        ("HL303", 4, 3),
    ]
    assert lint_text(tmp_path, text, LintOptions(select=("HL3",))) == [
        ("HL301", 2, 12),
        ("HL303", 4, 3),
    ]
    assert lint_text(tmp_path, text, LintOptions(select=("YL",))) == [("YL022", 3, 14)]
    assert lint_text(tmp_path, text, LintOptions(ignore=("HL301", "YL"))) == [("HL303", 4, 3)]


def test_reference_inside_a_list_is_not_a_schema_error(tmp_path: Path) -> None:
    # acts-project style: `cache: [!reference [.x, cache]]` resolves to a mapping in GitLab.
    text = ".c:\n  cache: {key: k, paths: [a]}\njob:\n  script: [x]\n  cache:\n    - !reference [.c, cache]\n"
    assert lint_text(tmp_path, text) == []


def test_extends_across_local_includes_and_wildcards(tmp_path: Path) -> None:
    ci = tmp_path / "ci"
    ci.mkdir()
    (ci / "base.yml").write_text(".base:\n  script: [a]\n", encoding="utf-8")
    (ci / "more.yml").write_text(
        ".more:\n  extends: .base\n  after_script: [b]\n", encoding="utf-8"
    )
    text = (
        "include:\n  - local: /ci/*.yml\njob:\n  extends: .more\n"
        "  before_script:\n    - !reference [.more, script]\n"
    )
    assert lint_text(tmp_path, text) == []
    # A typo in the included file is reported there, in its own lines.
    (ci / "more.yml").write_text(
        ".more:\n  extends: .bsae\n  after_script: [b]\n", encoding="utf-8"
    )
    found = lint_paths([tmp_path / ".gitlab-ci.yml"], NO_STYLE).findings
    assert [(Path(f.path).name, f.code, f.line) for f in found] == [("more.yml", "HL301", 2)]


def test_targets_from_unseen_includes_are_not_reported(tmp_path: Path) -> None:
    text = "include:\n  - project: group/other\n    file: /x.yml\njob:\n  extends: .from-other\n  script: [x]\n"
    assert lint_text(tmp_path, text) == []


def test_fragment_is_checked_in_the_context_of_the_main_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitlab-ci.yml").write_text(
        "include:\n  - local: ci/jobs.yml\n.base:\n  script: [a]\n", encoding="utf-8"
    )
    (tmp_path / "ci").mkdir()
    jobs = tmp_path / "ci" / "jobs.yml"
    jobs.write_text("job:\n  extends: .base\njob2:\n  extends: .missing\n", encoding="utf-8")
    found = lint_paths([jobs], NO_STYLE).findings
    assert [(f.code, f.line) for f in found] == [("HL301", 4)]
