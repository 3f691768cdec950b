"""GitLab's ``$[[ inputs.x ]]`` interpolation, as far as it can be done offline.

Used to read template files and locally included files the way GitLab will see them once
their inputs are known (defaults from the ``spec:`` header, values from the ``include:``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hepci.core.yamledit import Reference, Tagged, YamlFile

VARIABLE_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
"""A CI variable in a value, ``$NAME`` or ``${NAME}`` (group 1 or 2: the name)."""
_INPUT_BLOCK = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]")


def input_names(text: str) -> list[str]:
    """The input names used in ``$[[ inputs.x ]]`` blocks of ``text``."""
    return _INPUT_BLOCK.findall(text)


def interpolate(value: Any, inputs: Mapping[str, Any]) -> Any:
    """Replace ``$[[ inputs.x ]]`` blocks the way GitLab does before reading the file.

    A string that is one whole block takes the input's typed value; a block inside a longer
    string is replaced by its text. Blocks naming an unknown input stay as written;
    interpolation functions (``| expand_vars``) are ignored. Keys are interpolated too.

    Recursive over the data, which is bounded: parsed data is at most ``Limits.max_depth``
    (GitLab's 100) levels deep and so is each input value, so the result is at most twice that.
    """
    if isinstance(value, str):
        whole = _INPUT_BLOCK.fullmatch(value.strip())
        if whole is not None and whole.group(1) in inputs:
            return inputs[whole.group(1)]
        return _INPUT_BLOCK.sub(lambda m: _text(inputs, m), value)
    if isinstance(value, dict):
        return {interpolate(k, inputs): interpolate(v, inputs) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, inputs) for v in value]
    if isinstance(value, Reference):
        return Reference(tuple(str(interpolate(p, inputs)) for p in value.path), value.node)
    if isinstance(value, Tagged):
        return Tagged(value.tag, interpolate(value.value, inputs))
    return value


def _text(inputs: Mapping[str, Any], match: re.Match[str]) -> str:
    name = match.group(1)
    if name not in inputs:
        return match.group(0)
    value = inputs[name]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def header_defaults(file: YamlFile) -> dict[str, Any]:
    """``{input: default}`` for the inputs of ``file``'s ``spec:`` header that have one."""
    header = file.header
    spec = header.data.get("spec") if header is not None else None
    inputs = spec.get("inputs") if isinstance(spec, dict) else None
    if not isinstance(inputs, dict):
        return {}
    return {
        str(name): decl["default"]
        for name, decl in inputs.items()
        if isinstance(decl, dict) and "default" in decl
    }


__all__ = ["header_defaults", "input_names", "interpolate"]
