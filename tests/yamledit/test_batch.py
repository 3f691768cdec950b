"""Many units of edits in linear time (:mod:`hepci.core.yamledit.batch`), with the guarantees of
one unit at a time: the same text, the same refusals (same messages, lines of the whole file),
and the whole file re-parsed and checked once instead of once per edit.

The reference is the slow way, written here: each unit through ``apply_edits`` on the whole
file, the result parsed again before the next unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yamledit.edit_checks import counting_parses
from yamledit.test_properties import SETTINGS, documents, keys, render, styles, values

from hepci.core.yamledit import (
    DeleteItem,
    DeleteKey,
    Edit,
    InsertItem,
    InsertKey,
    RenameKey,
    ReplaceValue,
    SetScalar,
    SourceText,
    YamlFile,
    apply_edits,
    parse_bytes,
    parse_source,
    parse_text,
)
from hepci.core.yamledit import batch as batch_module
from hepci.core.yamledit.batch import apply_units
from hepci.errors import UnsafeEditError

Outcome = tuple[str, str | None, int | None]


def one_by_one(file: YamlFile, units: Sequence[Sequence[Edit]]) -> tuple[str, list[Outcome]]:
    current, outcomes = file, []
    for unit in units:
        try:
            result = apply_edits(current, list(unit))
        except UnsafeEditError as exc:
            outcomes.append(("refused", exc.message, exc.line))
            continue
        outcomes.append(("changed" if result.changed else "same", None, None))
        if result.changed:
            source = SourceText(result.text, file.source.encoding, file.source.bom)
            current = parse_source(source, file.path)
    return current.text, outcomes


def batched(file: YamlFile, units: Sequence[Sequence[Edit]]) -> tuple[str, list[Outcome]]:
    result = apply_units(file, units)
    outcomes: list[Outcome] = []
    for outcome in result.outcomes:
        if outcome.error is not None:
            outcomes.append(("refused", outcome.error.message, outcome.error.line))
        else:
            outcomes.append(("changed" if outcome.changed else "same", None, None))
    return result.file.text, outcomes


def assert_same(file: YamlFile, units: Sequence[Sequence[Edit]]) -> list[Outcome]:
    expected = one_by_one(file, units)
    assert batched(file, units) == expected
    return expected[1]


CI = """\
# CI
.defaults: &defaults
  image: python:3.11
  tags: [docker]

variables:
  GLOBAL: "1"

build:
  <<: *defaults
  only: [main]
  script:
    - make
  # the end of build

test:
  extends: .defaults
  script: [pytest]
  artifacts:
    public: true
    paths: [out/]
# trailing comment
"""


def test_units_inside_jobs_match_one_at_a_time() -> None:
    file = parse_text(CI, "ci.yml")
    units = [
        [
            InsertKey(("build",), "rules", [{"if": "$X"}], after="only"),
            DeleteKey(("build", "only")),
        ],
        [SetScalar(("test", "script", 0), "pytest -x")],
        [InsertKey(("test", "artifacts"), "access", "all", after="public")],
        [DeleteKey(("test", "artifacts", "public"))],
        [SetScalar(("variables", "GLOBAL"), "2")],
        [InsertItem(("test", "artifacts", "paths"), 1, "logs/")],
    ]
    assert [o[0] for o in assert_same(file, units)] == ["changed"] * 6


def test_refusals_keep_their_message_and_whole_file_line() -> None:
    file = parse_text(CI, "ci.yml")
    units = [
        [SetScalar(("build", "image"), "alpine")],  # supplied by `<<`: edit the anchor
        [SetScalar((".defaults", "image"), "alpine")],  # &defaults is aliased
        [SetScalar(("test", "script", 0), "ok"), SetScalar(("test", "nope", "x"), 1)],
        [RenameKey(("build", "script"), "only")],  # `only` exists: refused
        [SetScalar(("test", "script", 0), "pytest -q")],
    ]
    outcomes = assert_same(file, units)
    assert [o[0] for o in outcomes] == ["refused"] * 4 + ["changed"]
    assert outcomes[0][2] == 10  # the `build:` mapping, counted in the whole file
    assert outcomes[2][2] == 17  # unit 3 refused as a whole: its first edit is not kept


def test_top_level_and_cross_entry_units_take_the_whole_file_path() -> None:
    file = parse_text(CI, "ci.yml")
    units = [
        [SetScalar(("test", "script", 0), "a")],
        [InsertKey((), "default", {"image": "python:3.11"}, after="variables")],
        [DeleteKey(("variables",))],
        [RenameKey(("test",), "tests")],
        [SetScalar(("tests", "script", 0), "b"), SetScalar(("build", "script", 0), "c")],
        [ReplaceValue(("build",), {"script": ["d"]})],  # the entry itself: its own indentation
    ]
    assert [o[0] for o in assert_same(file, units)] == ["changed"] * 6


@pytest.mark.parametrize(
    "text",
    [
        CI.replace("\n", "\r\n"),
        "spec:\n  inputs:\n    x: {default: a}\n---\njob:\n  script: [x]\nother:\n  script: [y]\n",
        "a:\n  b: 1\n...\n---\nc:\n  d: 2\n",
        "job:\n  script: [x]\njob:\n  script: [y]\nother:\n  script: [z]\n",  # duplicate keys
        "{job: {script: [x]}, other: {script: [y]}}\n",  # flow root: whole-file path
        "&r job:\n  script: [x]\nother:\n  script: [y]\n",  # anchored key
        "? job\n: script: [x]\nother:\n  script: [y]\n",  # explicit key
        "job:\n  script: |+\n    x\n\n\nother:\n  script: [y]",  # kept blank lines, no final \\n
    ],
)
def test_layouts_the_fragments_must_respect(text: str) -> None:
    file = parse_text(text, "ci.yml")
    doc = file.body
    assert doc is not None
    units: list[list[Edit]] = [
        [SetScalar((name, "script", 0), "new")]
        for name in (doc.data if isinstance(doc.data, dict) else {})
        if isinstance(doc.data[name], dict) and isinstance(doc.data[name].get("script"), list)
    ]
    units.append([InsertKey(("other",), "stage", "test")])
    units.append([DeleteKey(("a", "b"))])
    assert_same(file, units)


def test_utf16_file_keeps_its_encoding() -> None:
    data = ("\ufeff" + CI).encode("utf-16-le")
    file = parse_bytes(b"\xff\xfe" + data[2:], "ci.yml")
    units = [[SetScalar(("test", "script", 0), "é")], [DeleteKey(("test", "extends"))]]
    result = apply_units(file, units)
    assert result.file.source.encoding == "utf-16-le" and result.file.source.bom == b"\xff\xfe"
    assert result.file.text == one_by_one(file, units)[0]


def test_a_failed_final_check_redoes_the_batch_one_unit_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file = parse_text(CI, "ci.yml")
    units = [[SetScalar(("test", "script", 0), "a")], [SetScalar(("build", "script", 0), "b")]]
    calls: list[str] = []

    def disagree(*args: Any) -> str:
        calls.append("checked")
        return "forced"

    monkeypatch.setattr(batch_module, "_difference", disagree)
    assert batched(file, units) == one_by_one(file, units)
    assert calls == ["checked"]


def jobs_file(n: int) -> str:
    return "".join(f"job{i}:\n  only: [main]\n  script:\n    - echo {i}\n" for i in range(n))


def rules_units(n: int) -> list[list[Edit]]:
    return [
        [
            InsertKey((f"job{i}",), "rules", [{"if": "$CI_COMMIT_BRANCH"}], after="only"),
            DeleteKey((f"job{i}", "only")),
        ]
        for i in range(n)
    ]


def test_the_whole_file_is_parsed_once_not_once_per_edit() -> None:
    text = jobs_file(300)
    file = parse_text(text, "ci.yml")
    with counting_parses() as sizes:
        result = apply_units(file, rules_units(300))
    assert all(o.changed for o in result.outcomes)
    big = [size for size in sizes if size > len(text) // 2]
    assert len(big) == 1  # the final splice, checked once (was 2 per unit: 600)
    assert sum(sizes) < 6 * len(text)  # every edit still re-parsed: its job's text, 3 times
    body = result.file.body
    assert body is not None and body.data["job299"] == {
        "rules": [{"if": "$CI_COMMIT_BRANCH"}],
        "script": ["echo 299"],
    }
    small = parse_text(jobs_file(20), "ci.yml")
    assert apply_units(small, rules_units(20)).file.text == one_by_one(small, rules_units(20))[0]


def test_aliases_to_anchors_outside_the_job_read_as_in_the_whole_file() -> None:
    text = ".base: &base\n  image: x\n  tags: [a]\n" + "".join(
        f"job{i}:\n  <<: *base\n  script: &t{i} [s{i}]\n  tags: *t{i}\n  only: [main]\n"
        for i in range(3)
    )
    file = parse_text(text, "ci.yml")
    units = [[DeleteKey((f"job{i}", "only"))] for i in range(3)]
    units.append([SetScalar(("job0", "script", 0), "changed")])  # &t0 is aliased: refused
    outcomes = assert_same(file, units)
    assert [o[0] for o in outcomes] == ["changed"] * 3 + ["refused"]


@SETTINGS
@given(documents, styles, st.data())
def test_random_units_match_one_at_a_time(data: Any, style: Any, draw: Any) -> None:
    file = parse_text(render(data, style), "ci.yml")
    units: list[list[Edit]] = []
    for _ in range(draw.draw(st.integers(1, 6))):
        units.append(draw.draw(st.lists(edit_for(data), min_size=1, max_size=3)))
    assert_same(file, units)


def edit_for(data: dict[str, Any]) -> st.SearchStrategy[Edit]:
    def paths(value: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        yield prefix
        if isinstance(value, dict | list):
            children = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in children:
                yield from paths(child, (*prefix, key))

    everything = [p for p in paths(data, ()) if p]
    make: list[Callable[[tuple[Any, ...]], st.SearchStrategy[Edit]]] = [
        lambda p: st.builds(SetScalar, st.just(p), st.one_of(st.integers(), keys)),
        lambda p: st.builds(ReplaceValue, st.just(p), values),
        lambda p: st.builds(DeleteKey if isinstance(p[-1], str) else DeleteItem, st.just(p)),
        lambda p: st.builds(InsertKey, st.just(p), keys, values),
        lambda p: st.builds(InsertItem, st.just(p), st.integers(0, 2), values),
        lambda p: st.builds(RenameKey, st.just(p), keys),
    ]
    return st.sampled_from(everything).flatmap(
        lambda p: st.sampled_from(make).flatmap(lambda m: m(p))
    )
