"""The real-world corpus lints without internal errors; our shipped templates lint clean."""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pytest
from conftest import REPO_ROOT, corpus_files

from hepci.errors import HepciError
from hepci.lint import CODES, LintOptions, lint_paths
from hepci.lint.codes import YAMLLINT_RULES


def _features(corpus_dir: Path) -> dict[str, set[str]]:
    with (corpus_dir / "INDEX.tsv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["filename"]: set(row["features"].split(",")) for row in rows}


@pytest.mark.corpus
def test_corpus_lints_without_internal_errors(corpus_dir: Path) -> None:
    features = _features(corpus_dir)
    known_codes = set(CODES) | set(YAMLLINT_RULES.values())
    counts: collections.Counter[str] = collections.Counter()
    files = corpus_files()
    assert len(files) >= 50
    for path in files:
        try:
            findings = lint_paths([path]).findings
        except HepciError as exc:  # a user error (exit 2) is fine; anything else fails the test
            pytest.fail(f"{path.name}: unexpected user error: {exc}")
        lines = path.read_bytes().count(b"\n") + 1
        codes = {f.code for f in findings}
        assert ("HL001" in codes) == ("invalid_yaml" in features.get(path.name, set())), path.name
        for finding in findings:
            assert finding.code in known_codes, finding
            assert 1 <= finding.line <= lines, finding
            assert finding.path.endswith(path.name)
        counts.update(f.code for f in findings)
    print("corpus findings by code:", dict(sorted(counts.items())))
    assert counts["HL001"] == sum("invalid_yaml" in f for f in features.values())


def shipped_templates() -> list[Path]:
    folder = REPO_ROOT / "ci-templates"
    return sorted(folder.glob("*.yml")) if folder.is_dir() else []


def test_shipped_templates_lint_clean() -> None:
    templates = shipped_templates()
    if not templates:
        pytest.skip("ci-templates/ is still empty")
    report = lint_paths(templates)
    assert [f.text() for f in report.findings] == []
    assert len(report.files) == len(templates)


def test_a_broken_copy_of_a_shipped_template_is_caught(tmp_path: Path) -> None:
    templates = shipped_templates()
    if not templates:
        pytest.skip("ci-templates/ is still empty")
    text = templates[0].read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    broken = tmp_path / templates[0].name
    broken.write_text(head + "\n---\n" + body + "\nextra-job:\n  scirpt: [x]\n", encoding="utf-8")
    findings = lint_paths([broken], LintOptions(ignore=("YL",))).findings
    last = len(broken.read_text(encoding="utf-8").splitlines())
    assert [(f.code, f.line) for f in findings] == [("HL101", last)]
