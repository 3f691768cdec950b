"""The edit core over every real-world file in ../shared/corpus (read in place).

* a no-op run (parse, zero edits, encode back) changes 0 bytes;
* generated edits (first/middle/last jobs, script items, include entries, variables, spec
  inputs) change only the original lines they target, re-parse to the intended data, keep the
  file's line endings; refusals are counted and only allowed for anchors/aliases/merge keys;
* several edits in one call equal the same edits applied one call at a time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from yamledit.edit_checks import (
    Planned,
    changed_lines,
    generate,
    generate_header,
    only_lines_changed,
)

from hepci.core.yamledit import YamlFile, apply_edits, load_file, parse_text
from hepci.core.yamledit.edits import intended
from hepci.errors import HepciError, UnsafeEditError

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FILES = (
    sorted(p for p in CORPUS.glob("*") if p.suffix in {".yml", ".yaml"}) if CORPUS.is_dir() else []
)
ALLOWED_REFUSALS = ("alias", "anchor", "merge key")

pytestmark = pytest.mark.corpus


def _load(path: Path) -> YamlFile | None:
    try:
        return load_file(path)
    except HepciError:
        return None


@pytest.fixture(scope="module")
def parsed(corpus_dir: Path) -> dict[str, YamlFile | None]:
    return {p.name: _load(p) for p in sorted(corpus_dir.glob("*.y*ml"))}


def test_corpus_is_there_and_mostly_parses(parsed: dict[str, YamlFile | None]) -> None:
    assert len(parsed) >= 80
    broken = [name for name, f in parsed.items() if f is None]
    # INDEX.tsv marks the files that are not valid YAML (tabs used for indentation)
    index = (CORPUS / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    invalid = {line.split("\t")[0] for line in index if "invalid_yaml" in line}
    assert set(broken) == invalid


@pytest.mark.parametrize("path", FILES, ids=[p.name[:60] for p in FILES])
def test_no_op_is_byte_identical(path: Path) -> None:
    raw = path.read_bytes()
    try:
        file = load_file(path)
    except HepciError:
        pytest.skip("not valid YAML (listed as invalid_yaml in INDEX.tsv)")
    result = apply_edits(file, [])
    assert (result.changed, result.patches) == (False, ())
    assert file.source.encode(result.text) == raw


def _lone_lf(text: str) -> int:
    return text.count("\n") - text.count("\r\n")


def _check(file: YamlFile, plan: Planned, *, reparse: bool) -> str:
    """Apply one planned edit and check it; return 'ok' or the refusal reason.

    apply_edits already re-parses and compares with the intended data; ``reparse`` repeats
    that here, independently, for a deterministic sample (parsing is the slow part).
    """
    try:
        result = apply_edits(file, [plan.edit])
    except UnsafeEditError as exc:
        return exc.message
    changed, inserted = changed_lines(file.text, result.text)
    assert only_lines_changed(file.text, result.text, plan.targets), (plan, sorted(changed))
    if plan.insert_only:
        assert not changed and inserted > 0, plan
    assert result.changed
    if file.source.newline == "\r\n":
        assert _lone_lf(result.text) == _lone_lf(file.text), plan
    if reparse:
        doc = file.documents[plan.edit.document] if plan.edit.document is not None else file.body
        assert doc is not None
        again = parse_text(result.text, file.path)
        assert again.documents[doc.index].data == intended(doc, plan.edit)
    encoded = file.source.encode(result.text)
    assert encoded.startswith(file.source.bom)
    assert encoded[len(file.source.bom) :].decode(file.source.encoding) == result.text
    return "ok"


def test_generated_edits_change_only_their_lines(parsed: dict[str, YamlFile | None]) -> None:
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for file in parsed.values():
        if file is None or file.body is None:
            continue
        for plan in [*generate(file, file.body), *generate_header(file)]:
            kinds[plan.kind] += 1
            outcome = _check(file, plan, reparse=sum(kinds.values()) % 5 == 0)
            if outcome != "ok":
                assert any(word in outcome for word in ALLOWED_REFUSALS), outcome
            outcomes["ok" if outcome == "ok" else "refused"] += 1
    total = sum(outcomes.values())
    assert total >= 900, kinds
    assert set(kinds) >= {"rename", "insert-key", "set", "delete-key", "delete-item", "insert-item"}
    assert outcomes["refused"] / total < 0.05, outcomes


def test_many_edits_in_one_call_equal_one_at_a_time(parsed: dict[str, YamlFile | None]) -> None:
    files = 0
    for number, (name, file) in enumerate(parsed.items()):
        if file is None or file.body is None or number % 3:
            continue  # a third of the files: parsing is the slow part
        edits = []
        for plan in generate(file, file.body):
            if plan.kind in {"rename", "delete-key"}:
                continue  # they can remove what a later edit targets
            try:
                apply_edits(file, [plan.edit])
            except UnsafeEditError:
                continue
            edits.append(plan.edit)
        if len(edits) < 2:
            continue
        files += 1
        together = apply_edits(file, edits)
        step = file
        for one in edits:
            step = parse_text(apply_edits(step, [one]).text, file.path)
        assert together.text == step.text, name
        text = file.text
        for patch in sorted(together.patches, key=lambda p: p.start, reverse=True):
            text = text[: patch.start] + patch.replacement + text[patch.end :]
        assert text == together.text
    assert files >= 15
