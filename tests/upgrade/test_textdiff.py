"""The upgrade diff: difflib's output, in time linear in the file for scattered changes."""

from __future__ import annotations

import difflib
import random
from typing import Any

import pytest

from hepci.upgrade import textdiff
from hepci.upgrade.textdiff import AnchoredMatcher, changed_lines, unified_diff


def _rebuilt(a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for tag, i1, i2, j1, j2 in AnchoredMatcher(a, b).get_opcodes():
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out += a[i1:i2]
        else:
            out += b[j1:j2]
    return out


def _edited(rng: random.Random, lines: list[str], changes: int) -> list[str]:
    out = list(lines)
    for _ in range(changes):
        at = rng.randrange(len(out) + 1)
        kind = rng.random()
        if kind < 0.3 and at < len(out):
            del out[at]
        elif kind < 0.6:
            out.insert(at, f"new {rng.random()}\n")
        elif at < len(out):
            out[at] = "changed\n"
    return out


@pytest.mark.parametrize("seed", range(40))
def test_small_files_get_exactly_difflibs_diff(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.choice(["a", "b", "  - x", "", "key: v"]) + "\n" for _ in range(rng.randint(0, 60))]
    b = _edited(rng, a, rng.randint(0, 8))
    assert list(unified_diff(a, b, "a/f", "b/f")) == list(
        difflib.unified_diff(a, b, fromfile="a/f", tofile="b/f")
    )
    assert _rebuilt(a, b) == b


def test_big_files_are_cut_at_anchors_and_difflib_only_sees_small_ranges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    a = [line for i in range(5000) for line in (f"job{i}:\n", "  script:\n", f"    - {i}\n")]
    b = _edited(rng, a, 3000)
    seen: list[int] = []
    real = difflib.SequenceMatcher

    def matcher(junk: Any, x: list[str], y: list[str], *args: Any) -> Any:
        seen.append(max(len(x), len(y)))
        return real(junk, x, y, *args)

    monkeypatch.setattr(textdiff.difflib, "SequenceMatcher", matcher)
    blocks = textdiff.matching_blocks(a, b)
    assert max(seen) <= textdiff.SMALL  # difflib alone takes minutes on this pair
    for i, j, n in blocks:
        assert a[i : i + n] == b[j : j + n]
    monkeypatch.undo()
    assert _rebuilt(a, b) == b
    removed, added = changed_lines("".join(a), "".join(b))
    assert 0 < removed <= 3000 and 0 < added <= 3000
