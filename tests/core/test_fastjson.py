"""hepci's compact JSON: orjson's text, and json for what orjson refuses, always valid UTF-8."""

from __future__ import annotations

import json

import pytest

from hepci.core import fastjson


@pytest.mark.parametrize(
    "value",
    [
        {"name": "grp/ü", "score": 97.5, "results": [{"id": "CI001", "line": None}]},
        ["µ → ee", 0, -1, 1.0e-7, True, {"": ""}],
        2**70,  # beyond 64 bits: orjson refuses it
        {"message": "bad name \udcff"},  # a lone surrogate (a file name decoded with escapes)
    ],
)
def test_dumps_is_compact_valid_utf8_json_of_the_value(value: object) -> None:
    text = fastjson.dumps(value)
    decoded = text.decode("utf-8")  # never raises: lone surrogates are escaped
    assert json.loads(decoded) == value
    assert fastjson.loads(text) == value
    if isinstance(value, dict) and "score" in value:
        assert decoded == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_loads_raises_value_error_on_bad_json_and_reads_what_json_reads() -> None:
    with pytest.raises(ValueError):
        fastjson.loads("{not json")
    assert fastjson.loads("[NaN]")[0] != fastjson.loads("[NaN]")[0]  # json's NaN, as before
