"""Each edit kind on small documents, with the exact text expected."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from hepci.core.yamledit import (
    DeleteItem,
    DeleteKey,
    InsertItem,
    InsertKey,
    Patch,
    Reference,
    RenameKey,
    ReplaceValue,
    SetScalar,
    apply_edits,
    load_file,
    parse_text,
    write_edits,
)
from hepci.errors import ExitCode, HepciError, UnsafeEditError, YamlSyntaxError

CI = """\
# pipeline
stages: [build, test]
variables:
  PLAIN: value   # keep me
  SINGLE: 'quoted'
  DOUBLE: "dq"
job:
  image: python:3.12
  script:
    - make
    # explain the next step
    - make test  # trailing
  tags:
  - linux
notes: |
  line one
  line two

last: {a: 1, b: 2}
"""


def edit(text: str, *edits: object) -> str:
    result = apply_edits(parse_text(text), list(edits))  # type: ignore[arg-type]
    return result.text


def replace_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("path", "value", "old", "new"),
    [
        (("variables", "PLAIN"), "other", "PLAIN: value ", "PLAIN: other "),
        (("variables", "PLAIN"), "yes", "PLAIN: value ", 'PLAIN: "yes" '),
        (("variables", "PLAIN"), "123", "PLAIN: value ", 'PLAIN: "123" '),
        (("variables", "PLAIN"), "a: b", "PLAIN: value ", 'PLAIN: "a: b" '),
        (("variables", "PLAIN"), "#x", "PLAIN: value ", 'PLAIN: "#x" '),
        (("variables", "PLAIN"), 7, "PLAIN: value ", "PLAIN: 7 "),
        (("variables", "PLAIN"), None, "PLAIN: value ", "PLAIN: null "),
        (("variables", "PLAIN"), 1.5, "PLAIN: value ", "PLAIN: 1.5 "),
        (("variables", "SINGLE"), "it's", "'quoted'", "'it''s'"),
        (("variables", "SINGLE"), "1", "'quoted'", "'1'"),
        (("variables", "SINGLE"), False, "'quoted'", "false"),
        (("variables", "DOUBLE"), "plain", '"dq"', '"plain"'),
        (("job", "script", 0), "ninja", "- make\n", "- ninja\n"),
        (("stages", 1), "check", "[build, test]", "[build, check]"),
        (("stages", 1), "a,b", "[build, test]", '[build, "a,b"]'),
        (("last", "b"), "x", "b: 2}", "b: x}"),
    ],
)
def test_set_scalar_keeps_style_and_comments(path, value, old, new) -> None:
    assert edit(CI, SetScalar(path, value)) == replace_line(CI, old, new)


def test_set_scalar_on_a_block_scalar_replaces_exactly_its_lines() -> None:
    out = edit(CI, SetScalar(("notes",), "short"))
    assert out == CI.replace("notes: |\n  line one\n  line two\n", "notes: short\n")


def test_set_multiline_string_writes_a_literal_block() -> None:
    out = edit(CI, SetScalar(("variables", "PLAIN"), "one\ntwo\n"))
    assert "  PLAIN: |   # keep me\n    one\n    two\n  SINGLE:" in out
    assert parse_text(out).body.data["variables"]["PLAIN"] == "one\ntwo\n"  # type: ignore[union-attr]


def test_rename_key_keeps_value_and_comments() -> None:
    assert edit(CI, RenameKey(("job",), "build-job")) == CI.replace("\njob:\n", "\nbuild-job:\n")
    out = edit(CI, RenameKey(("variables", "PLAIN"), "needs: quotes"))
    assert '  "needs: quotes": value   # keep me\n' in out


def test_insert_key_block_matches_indentation_and_position() -> None:
    out = edit(CI, InsertKey(("variables",), "NEW", "v", after="PLAIN"))
    assert out == CI.replace("# keep me\n", "# keep me\n  NEW: v\n")
    out = edit(CI, InsertKey(("variables",), "FIRST", "v", before="PLAIN"))
    assert out == CI.replace("variables:\n", "variables:\n  FIRST: v\n")
    out = edit(CI, InsertKey(("job",), "rules", [{"if": "$CI_COMMIT_TAG", "when": "never"}]))
    # `job` has both an indented (script) and an indentless (tags) sequence: a tie, the first wins
    assert out == CI.replace(
        "  - linux\n", "  - linux\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: never\n"
    )


def test_indentless_sequences_stay_indentless() -> None:
    text = "a:\n- x\nb:\n  c: 1\n"
    assert edit(text, InsertKey(("b",), "d", ["z"])) == text + "  d:\n  - z\n"


def test_insert_key_nested_value_indented_like_the_file() -> None:
    text = "a:\n    b: 1\n    c:\n        d: 2\n"
    out = edit(text, InsertKey(("a",), "e", {"f": {"g": "h"}}))
    assert out == text + "    e:\n        f:\n            g: h\n"


def test_insert_into_flow_collections_writes_flow() -> None:
    assert edit(CI, InsertKey(("last",), "c", [1, "x y"])) == CI.replace(
        "b: 2}", "b: 2, c: [1, x y]}"
    )
    assert edit(CI, InsertKey(("last",), "z", 0, before="a")) == CI.replace("{a: 1", "{z: 0, a: 1")
    assert edit(CI, InsertItem(("stages",), 0, "pre")) == CI.replace("[build", "[pre, build")
    assert edit(CI, InsertItem(("stages",), 2, "deploy")) == CI.replace("test]", "test, deploy]")
    assert edit("a: []\n", InsertItem(("a",), 0, "x")) == "a: [x]\n"
    assert edit("a: {}\n", InsertKey(("a",), "k", "v")) == "a: {k: v}\n"


def test_insert_item_block_indentless_and_mapping_items() -> None:
    out = edit(CI, InsertItem(("job", "tags"), 1, "docker"))
    assert out == CI.replace("  - linux\n", "  - linux\n  - docker\n")
    out = edit(CI, InsertItem(("job", "script"), 1, {"name": "x", "cmd": ["a"]}))
    # the comment above item 1 stays with item 1
    assert out == CI.replace(
        "    # explain", "    - name: x\n      cmd:\n        - a\n    # explain"
    )


def test_insert_into_null_value() -> None:
    assert edit("a:\nb: 1\n", InsertKey(("a",), "k", "v")) == "a:\n  k: v\nb: 1\n"
    assert edit("a:\nb: 1\n", InsertItem(("a",), 0, "x")) == "a:\n  - x\nb: 1\n"


def test_delete_key_removes_exactly_its_lines_and_keeps_other_comments() -> None:
    assert edit(CI, DeleteKey(("variables", "PLAIN"))) == CI.replace(
        "  PLAIN: value   # keep me\n", ""
    )
    assert edit(CI, DeleteKey(("notes",))) == CI.replace("notes: |\n  line one\n  line two\n", "")
    assert edit(CI, DeleteKey(("last", "a"))) == CI.replace("{a: 1, b: 2}", "{b: 2}")
    assert edit(CI, DeleteKey(("last", "b"))) == CI.replace("{a: 1, b: 2}", "{a: 1}")


def test_delete_key_first_in_sequence_item_and_last_key() -> None:
    text = "l:\n  - a: 1\n    b: 2\n  - c: 3\n"
    assert edit(text, DeleteKey(("l", 0, "a"))) == "l:\n  - b: 2\n  - c: 3\n"
    assert edit(text, DeleteKey(("l", 1, "c"))) == "l:\n  - a: 1\n    b: 2\n  - {}\n"


def test_delete_item_block_flow_and_only_item() -> None:
    assert edit(CI, DeleteItem(("job", "script", 1))) == CI.replace(
        "    - make test  # trailing\n", ""
    )
    assert edit(CI, DeleteItem(("stages", 0))) == CI.replace("[build, test]", "[test]")
    assert edit(CI, DeleteItem(("job", "tags", 0))) == CI.replace(
        "  tags:\n  - linux\n", "  tags: []\n"
    )


def test_replace_value_with_block_and_flow_data() -> None:
    out = edit(CI, ReplaceValue(("job", "tags"), {"k": "v"}))
    assert out == CI.replace("  tags:\n  - linux\n", "  tags:\n    k: v\n")
    out = edit(CI, ReplaceValue(("job", "image"), {"name": "alpine", "entrypoint": [""]}))
    assert "  image:\n    name: alpine\n    entrypoint:\n" in out
    out = edit(CI, ReplaceValue(("job", "script"), Reference((".setup", "script"))))
    assert (
        "  script: !reference [.setup, script]\n  tags:" in out
    )  # with the removed lines' comment
    assert parse_text(out).body.data["job"]["script"] == Reference((".setup", "script"))  # type: ignore[union-attr]


def test_crlf_files_get_crlf_lines() -> None:
    text = CI.replace("\n", "\r\n")
    out = edit(
        text,
        InsertKey(("job",), "when", "manual"),
        InsertItem(("job", "script"), 0, {"a": "b", "c": "d"}),
        ReplaceValue(("variables", "SINGLE"), ["x", "y"]),
    )
    assert "\n" not in out.replace("\r\n", "")
    assert "  when: manual\r\n" in out


def test_several_edits_apply_in_order_and_patches_refer_to_the_original() -> None:
    file = parse_text(CI)
    result = apply_edits(
        file,
        [
            RenameKey(("job",), "build"),
            SetScalar(("build", "image"), "alpine"),
            InsertItem(("build", "script"), 2, "echo done"),
            DeleteKey(("variables", "DOUBLE")),
        ],
    )
    text = CI
    for patch in sorted(result.patches, key=lambda p: p.start, reverse=True):
        text = text[: patch.start] + patch.replacement + text[patch.end :]
    assert text == result.text
    assert result.changed
    # adjacent patches merge: deleting the DOUBLE line touches the renamed key
    assert Patch(CI.index("  DOUBLE"), CI.index("job:") + 3, "build") in result.patches
    assert len(result.patches) == 3
    data = parse_text(result.text).body.data  # type: ignore[union-attr]
    assert data["build"]["script"][-1] == "echo done"
    assert "DOUBLE" not in data["variables"]


def test_no_edits_and_same_value_change_nothing() -> None:
    assert apply_edits(parse_text(CI), []) == apply_edits(parse_text(CI), [])
    result = apply_edits(parse_text(CI), [RenameKey(("job",), "job")])
    assert (result.text, result.changed, result.patches) == (CI, False, ())


ANCHORS = """\
.base: &base
  image: alpine
  tags: [a]
job:
  <<: *base
  script: [x]
.s: &script
  - one
other:
  script: *script
"""


@pytest.mark.parametrize(
    ("edit_", "reason"),
    [
        (SetScalar((".base", "image"), "x"), "aliases reuse"),
        (DeleteKey((".base",)), "anchor &base"),
        (InsertKey((".base",), "k", "v"), "aliases reuse"),
        (SetScalar(("job", "image"), "x"), "merge key"),
        (DeleteKey(("job", "<<")), "merge key"),
        (SetScalar(("other", "script", 0), "x"), "alias"),
        (SetScalar(("nope", "x"), 1), "no key 'nope'"),
        (DeleteItem(("job", "script", 5)), "no index 5"),
        (InsertKey(("job",), "script", "dup"), "already has a key"),
        (RenameKey(("job", "script"), "<<"), "already has a key"),
        (InsertItem(("job", "script"), 9, "x"), "cannot insert at 9"),
        (SetScalar(("job", 0), 1), "needs a key"),
    ],
)
def test_unsafe_or_impossible_edits_are_refused_with_a_reason(edit_, reason) -> None:
    with pytest.raises(UnsafeEditError) as info:
        apply_edits(parse_text(ANCHORS, "ci.yml"), [edit_])
    assert reason in str(info.value)
    assert str(info.value).startswith("ci.yml")
    assert f"cannot apply {type(edit_).__name__} " in str(info.value)
    assert info.value.exit_code == ExitCode.FINDINGS


def test_editing_outside_anchors_is_allowed() -> None:
    out = edit(ANCHORS, SetScalar(("job", "script", 0), "y"), DeleteKey(("other",)))
    assert parse_text(out).body.data["job"]["image"] == "alpine"  # type: ignore[union-attr]
    out = edit(ANCHORS, ReplaceValue(("other", "script"), ["z"]))
    assert "  script:\n    - z\n" in out or "  script: [z]" in out


def test_write_edits_round_trips_encoding_and_leaves_refused_files_untouched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "ci.yml"
    raw = codecs.BOM_UTF16_LE + CI.replace("\n", "\r\n").encode("utf-16-le")
    target.write_bytes(raw)
    result = write_edits(target, [SetScalar(("job", "image"), "alpine")])
    assert result.changed
    written = target.read_bytes()
    assert written.startswith(codecs.BOM_UTF16_LE)
    assert written.decode("utf-16") == CI.replace("\n", "\r\n").replace("python:3.12", "alpine")
    assert load_file(target).body.data["job"]["image"] == "alpine"  # type: ignore[union-attr]
    before = target.read_bytes()
    stat = target.stat()
    with pytest.raises(UnsafeEditError):
        write_edits(target, [SetScalar(("job", "image"), "a"), SetScalar(("missing",), 1)])
    assert target.read_bytes() == before
    assert write_edits(target, []).changed is False
    assert target.stat().st_mtime_ns == stat.st_mtime_ns


def test_files_that_do_not_parse_cannot_be_edited(tmp_path: Path) -> None:
    target = tmp_path / "bad.yml"
    target.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(YamlSyntaxError) as info:
        write_edits(target, [SetScalar(("b",), 4)])
    assert isinstance(info.value, HepciError)
    assert target.read_text() == "a: [1, 2\nb: 3\n"


def test_component_files_edit_the_body_by_default_and_the_header_on_request() -> None:
    text = "spec:\n  inputs:\n    stage:\n      default: test\n---\njob:\n  stage: $[[ inputs.stage ]]\n"
    out = edit(text, SetScalar(("job", "stage"), "build"))
    assert out == text.replace("stage: $[[ inputs.stage ]]", "stage: build")
    out = edit(text, SetScalar(("spec", "inputs", "stage", "default"), "deploy", document=0))
    assert out == text.replace("default: test", "default: deploy")
    with pytest.raises(UnsafeEditError, match="no document 5"):
        edit(text, SetScalar(("job",), 1, document=5))


def test_duplicate_keys_edit_the_effective_one_and_delete_all() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    assert edit(text, SetScalar(("a",), 9)) == "a: 1\nb: 2\na: 9\n"
    assert edit(text, DeleteKey(("a",))) == "b: 2\n"
    with pytest.raises(UnsafeEditError, match="appears 2 times"):
        edit(text, RenameKey(("a",), "c"))


def test_comment_between_key_and_value_stays() -> None:
    text = "a:  # opens\n  - x\nb: 1\n"
    assert edit(text, ReplaceValue(("a",), [])) == "a: []  # opens\nb: 1\n"
    assert edit(text, ReplaceValue(("a",), {"k": 1})) == "a:  # opens\n  k: 1\nb: 1\n"
    assert edit(text, ReplaceValue(("a",), "l1\nl2")) == "a: |-  # opens\n  l1\n  l2\nb: 1\n"
    assert edit(text, DeleteItem(("a", 0))) == "a: []  # opens\nb: 1\n"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("--verbose", "--verbose"),
        ("-x", "-x"),
        ("- x", '"- x"'),
        ("?x", '"?x"'),
        (":x", '":x"'),
        ("on", '"on"'),
        ("0o17", '"0o17"'),
        ("012", '"012"'),
        ("2024-01-01", '"2024-01-01"'),
        ("", '""'),
        ("a #b", '"a #b"'),
        ("a#b", "a#b"),
        ("$CI_COMMIT_TAG", "$CI_COMMIT_TAG"),
        ("tab\there", '"tab\\there"'),
    ],
)
def test_plain_scalars_are_quoted_only_when_needed(value: str, written: str) -> None:
    out = edit("a: old\n", SetScalar(("a",), value))
    assert out == f"a: {written}\n"
    assert parse_text(out).body.data == {"a": value}  # type: ignore[union-attr]


def test_character_offsets_with_non_ascii_text() -> None:
    text = 'a: é😀x  # ü\nb: [ä, 1]\nc: "ö"\n'
    out = edit(text, SetScalar(("b", 0), "z"), SetScalar(("c",), "new"), RenameKey(("a",), "ä"))
    assert out == 'ä: é😀x  # ü\nb: [z, 1]\nc: "new"\n'


def test_files_only_the_pure_parser_accepts_can_be_edited() -> None:
    text = 'a: "\\x41"\nb:\n  - 1\n'  # libyaml rejects "\x41"; the YAML 1.2 parser reads "A"
    file = parse_text(text)
    assert file.body.data == {"a": "A", "b": [1]}  # type: ignore[union-attr]
    out = edit(text, InsertItem(("b",), 1, 2), SetScalar(("a",), "B"))
    assert out == 'a: "B"\nb:\n  - 1\n  - 2\n'


def test_insert_into_a_file_without_final_newline() -> None:
    assert edit("a: 1\nb:\n  - x", InsertItem(("b",), 1, "z")) == "a: 1\nb:\n  - x\n  - z"
    assert edit("a: 1", InsertKey((), "b", 2)) == "a: 1\nb: 2"


def test_keep_chomping_scalars_keep_their_blank_lines() -> None:
    text = "a:\n  b: |+\n    kept\n\n\nc: 1\n"
    out = edit(text, InsertKey(("a",), "d", 2))
    assert out == "a:\n  b: |+\n    kept\n\n\n  d: 2\nc: 1\n"
    assert edit(text, DeleteKey(("a", "b"))) == "a: {}\nc: 1\n"
    assert edit(text, SetScalar(("a", "b"), "x")) == "a:\n  b: x\nc: 1\n"


def test_new_quoted_strings_follow_the_files_quoting_habit() -> None:
    single = "a: 'x'\nb: 'y'\nc: \"z\"\nd: plain\n"
    out = edit(single, SetScalar(("d",), "1.0"), InsertKey((), "e", ["a: b", "it's"]))
    assert out == single.replace("d: plain", "d: '1.0'") + "e:\n  - 'a: b'\n  - it's\n"
    double = 'a: "x"\nd: plain\n'
    assert edit(double, SetScalar(("d",), "1.0")) == 'a: "x"\nd: "1.0"\n'


def test_literal_replacement_stays_deeper_than_following_comments() -> None:
    text = "a:   |\n    text\n  # comment at 2\nb: 1\n"
    out = edit(text, ReplaceValue(("a",), "m\nl\n"))
    assert out == "a: |\n    m\n    l\n  # comment at 2\nb: 1\n"


def test_explicit_keys_are_refused_for_structural_edits() -> None:
    text = "? a\n: 1\nb: 2\n"
    for change in (DeleteKey(("a",)), InsertKey((), "c", 3), RenameKey(("b",), "c")):
        with pytest.raises(UnsafeEditError, match="explicit"):
            edit(text, change)
    assert edit(text, SetScalar(("b",), 3)) == "? a\n: 1\nb: 3\n"
