"""Comparing data: an edit's value as the parser would read it back, and where two data trees
differ. :mod:`.edits` re-parses every edited text and compares it with the intended data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hepci.core.yamledit.data import Tagged


def plain(value: Any) -> Any:
    """User data as the parser would give it back (tuples are lists, mappings dicts)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Tagged):
        return Tagged(value.tag, plain(value.value))
    return value


def walk(data: Any, keys: Sequence[Any]) -> Any:
    for key in keys:
        data = data[key]
    return data


def first_difference(got: Any, want: Any, where: str = "") -> str | None:
    """Where two data trees differ (NaN equals NaN), or None."""
    if isinstance(got, float) and isinstance(want, float) and math.isnan(got) and math.isnan(want):
        return None
    if type(got) is not type(want) and not (_number(got) and _number(want)):
        return f"{where or '<root>'}: {type(want).__name__} became {type(got).__name__}"
    if isinstance(got, dict):
        if list(got) != list(want) and set(got) != set(want):
            missing = set(want) ^ set(got)
            return f"{where or '<root>'}: keys differ ({sorted(map(str, missing))[:3]})"
        for key in want:
            found = first_difference(got[key], want[key], f"{where}.{key}" if where else str(key))
            if found:
                return found
        return None
    if isinstance(got, list):
        if len(got) != len(want):
            return f"{where or '<root>'}: {len(want)} items became {len(got)}"
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(got, Tagged):
        return first_difference(got.value, want.value, where) if got.tag == want.tag else where
    return None if got == want else f"{where or '<root>'}: {want!r} became {got!r}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


__all__ = ["first_difference", "plain", "walk"]
