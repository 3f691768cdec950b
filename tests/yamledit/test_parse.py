"""Parse-level behaviour of the YAML core: positions, tags, anchors, documents, encodings, limits."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from hepci.core.yamledit import (
    AliasNode,
    Limits,
    MappingNode,
    Reference,
    ScalarNode,
    SequenceNode,
    Tagged,
    load_file,
    parse_bytes,
    parse_text,
)
from hepci.errors import InputFileError, YamlSyntaxError

CI = """\
# comment
stages: [build, "test"]
job:
  image: 'python:3.12'
  script:
    - make
    - !reference [.setup, script]
  rules:
  - if: $CI_COMMIT_TAG
notes: >-
  folded
  text
empty:
"""


def slice_of(text: str, node) -> str:
    return text[node.start.offset : node.end.offset]


def test_positions_of_keys_and_values() -> None:
    doc = parse_text(CI).body
    assert doc is not None
    root = doc.mapping()
    assert root is not None
    job_key = root.key_node("job")
    assert job_key is not None
    assert (job_key.start.line, job_key.start.column, slice_of(CI, job_key)) == (2, 0, "job")
    image = doc.find(("job", "image"))
    assert isinstance(image, ScalarNode)
    assert (slice_of(CI, image), image.style, image.value) == (
        "'python:3.12'",
        "single",
        "python:3.12",
    )
    assert (image.start.lineno, image.start.colno) == (4, 10)
    make = doc.find(("job", "script", 0))
    assert isinstance(make, ScalarNode) and slice_of(CI, make) == "make"
    stages = doc.find(("stages",))
    assert isinstance(stages, SequenceNode) and stages.flow
    assert slice_of(CI, stages) == '[build, "test"]'
    script = doc.find(("job", "script"))
    assert isinstance(script, SequenceNode) and not script.flow
    assert slice_of(CI, script) == "- make\n    - !reference [.setup, script]"
    rules = doc.find(("job", "rules"))
    assert isinstance(rules, SequenceNode) and rules.start.column == 2  # indentless under rules:
    notes = doc.find(("notes",))
    assert isinstance(notes, ScalarNode) and notes.style == "folded"
    assert doc.data["notes"] == "folded text"


def test_empty_values_sit_right_after_their_indicator() -> None:
    text = "a:\n# comment\nb:   # c\n  - \n  -\nc: 1\n"
    doc = parse_text(text).body
    assert doc is not None
    a = doc.find(("a",))
    assert isinstance(a, ScalarNode) and a.start.offset == text.index(":") + 1
    item = doc.find(("b", 1))
    assert isinstance(item, ScalarNode) and item.start.line == 4 and item.start.column == 3
    assert doc.data == {"a": None, "b": [None, None], "c": 1}


def test_reference_tag_is_kept_unresolved() -> None:
    doc = parse_text(CI).body
    assert doc is not None
    assert doc.data["job"]["script"][1] == Reference((".setup", "script"))
    node = doc.find(("job", "script", 1))
    assert isinstance(node, SequenceNode) and node.tag == "!reference" and node.flow
    other = parse_text("a: !custom {x: 1}\n").body
    assert other is not None and other.data == {"a": Tagged("!custom", {"x": 1})}


def test_anchors_aliases_and_merge_keys() -> None:
    text = (
        ".a: &a {image: alpine, tags: [x]}\n.b: &b {image: debian, stage: b}\n"
        "job:\n  <<: [*a, *b]\n  stage: own\nlist: &l [1, 2]\nother: *l\n"
    )
    doc = parse_text(text).body
    assert doc is not None
    assert doc.data["job"] == {"image": "alpine", "tags": ["x"], "stage": "own"}
    assert doc.data["other"] == [1, 2]
    root = doc.mapping()
    assert root is not None
    alias = root.get("other")
    assert isinstance(alias, AliasNode) and alias.name == "l"
    assert doc.find(("other", 1)) is doc.find(("list", 1))
    with pytest.raises(YamlSyntaxError, match="undefined alias"):
        parse_text("a: *nope\n")


def test_component_files_have_a_header_and_a_body() -> None:
    text = "spec:\n  inputs:\n    stage:\n      default: test\n---\njob:\n  stage: $[[ inputs.stage ]]\n"
    file = parse_text(text)
    assert len(file.documents) == 2
    assert file.header is file.documents[0] and file.body is file.documents[1]
    assert file.header.data == {"spec": {"inputs": {"stage": {"default": "test"}}}}
    stage = file.body.find(("job", "stage"))
    assert isinstance(stage, ScalarNode) and stage.start.line == 6
    plain = parse_text("a: 1\n---\nb: 2\n")
    assert plain.header is None and plain.body is plain.documents[0]


def test_crlf_positions_and_newline() -> None:
    text = CI.replace("\n", "\r\n")
    file = parse_text(text)
    assert file.source.newline == "\r\n"
    image = file.body.find(("job", "image"))  # type: ignore[union-attr]
    assert isinstance(image, ScalarNode)
    assert slice_of(text, image) == "'python:3.12'" and image.start.line == 3
    assert file.body.data == parse_text(CI).body.data  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_boms_and_utf16_round_trip(bom: bytes, encoding: str) -> None:
    raw = bom + "a: é\r\nb: [1, 2]\r\n".encode(encoding)
    file = parse_bytes(raw, "x.yml")
    assert (file.source.bom, file.source.encoding) == (bom, encoding)
    assert file.text.startswith("a:")
    assert file.body.data == {"a": "é", "b": [1, 2]}  # type: ignore[union-attr]
    assert file.source.encode() == raw


def test_the_utf16_corpus_file_round_trips(corpus_dir: Path) -> None:
    index = (corpus_dir / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    names = [line.split("\t")[0] for line in index if "utf16_bom" in line]
    assert names
    for name in names:
        raw = (corpus_dir / name).read_bytes()
        file = load_file(corpus_dir / name)
        assert file.source.encoding.startswith("utf-16")
        assert file.source.encode() == raw
        assert isinstance(file.body.mapping(), MappingNode)  # type: ignore[union-attr]


def test_duplicate_keys_are_reported_and_the_last_wins() -> None:
    text = "job:\n  script: [a]\n  script: [b]\nx: 1\nx: 2\n"
    file = parse_text(text)
    assert file.body.data == {"job": {"script": ["b"]}, "x": 2}  # type: ignore[union-attr]
    dups = [(d.key, d.first.start.lineno, d.duplicate.start.lineno) for d in file.duplicates]
    assert dups == [("script", 2, 3), ("x", 4, 5)]


def test_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    big.write_text("a: " + "x" * 5000 + "\n")
    with pytest.raises(InputFileError, match="over the 1,000-byte limit") as info:
        load_file(big, Limits(max_bytes=1000))
    assert info.value.path == str(big)
    with pytest.raises(InputFileError, match="limit"):
        parse_bytes(big.read_bytes(), big, Limits(max_bytes=1000))


def test_billion_laughs_is_refused() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    file = parse_text("\n".join(lines) + "\n", "bomb.yml")
    with pytest.raises(InputFileError, match="alias expansion too large") as info:
        _ = file.body.data  # type: ignore[union-attr]
    assert info.value.path == "bomb.yml"


@pytest.mark.parametrize(
    "text",
    ["[" * 500 + "]" * 500, "".join(f"{'  ' * i}k{i}:\n" for i in range(300)) + "  " * 300 + "v\n"],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused(text: str) -> None:
    with pytest.raises(InputFileError, match="nesting deeper than 100"):
        parse_text(text, "deep.yml")


def test_binary_and_invalid_utf8_are_rejected_with_the_place(tmp_path: Path) -> None:
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"a: 1\n\x00\x01\x02")
    with pytest.raises(InputFileError, match="binary") as info:
        load_file(binary)
    assert info.value.path == str(binary)
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"a: 1\nb: 2\nc: \xff\xfe oops\n")
    with pytest.raises(InputFileError, match="invalid UTF-8") as info:
        load_file(bad)
    assert (info.value.path, info.value.line) == (str(bad), 3)
    assert str(info.value).startswith(f"{bad}:3: ")


def test_syntax_errors_name_line_and_column() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        parse_text("a: 1\nb: [1, 2\nc: 3\n", "ci.yml")
    assert info.value.path == "ci.yml" and info.value.line is not None and info.value.line >= 2
