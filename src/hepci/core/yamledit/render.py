"""Render new values as YAML text that fits where it goes: scalars, flow and block collections.

Strings are quoted only when a plain scalar would read back differently -- under YAML 1.2 (our
parser) *and* YAML 1.1 (GitLab's Ruby parser reads ``yes``/``on``/``012`` as booleans/octal).
Multi-line strings become literal block scalars in block context. Every rendering is re-parsed
and compared by :mod:`hepci.core.yamledit.edits`, so a wrong decision here is refused, not written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml.nodes import ScalarNode as _RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

from hepci.core.yamledit.data import Reference, Tagged

Quote = Literal["plain", "single", "double"]
STR_TAG = "tag:yaml.org,2002:str"
_RESOLVERS = (VersionedResolver(version=(1, 2)), VersionedResolver(version=(1, 1)))
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_CHARS = frozenset(",[]{}")


class RenderError(ValueError):
    """A value that cannot be written as YAML here (the caller turns it into UnsafeEditError)."""


@dataclass(frozen=True)
class Layout:
    """How a file indents: mapping step, and where a block sequence's dash sits under its key."""

    step: int = 2
    seq_offset: int = 2
    newline: str = "\n"
    quote: Quote = "double"


def _resolves_to_str(text: str) -> bool:
    return all(r.resolve(_RuamelScalar, text, (True, False)) == STR_TAG for r in _RESOLVERS)


def plain_ok(text: str, *, flow: bool = False) -> bool:
    """Whether ``text`` can be written as a plain scalar and read back as the same string."""
    if not text or text != text.strip() or not text.isprintable():
        return False
    first = text[0]
    if first == "-":
        if len(text) == 1 or text[1] in " -?:" or (flow and text[1] in _FLOW_CHARS):
            return text.startswith("--") and len(text) > 2 and text[2].isalnum()
    elif first in _INDICATORS:
        return False
    if ": " in text or text.endswith(":") or " #" in text or text.startswith(("---", "...")):
        return False
    if flow and (":" in text or any(c in _FLOW_CHARS for c in text)):
        return False
    return _resolves_to_str(text)


def quote_single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_double(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def render_string(
    text: str, prefer: Quote = "plain", *, flow: bool = False, fallback: Quote = "double"
) -> str:
    """One-line text for a string scalar, keeping ``prefer`` when the value allows it.

    A plain scalar that needs quotes gets ``fallback`` (the file's habit), if the value allows.
    """
    if prefer == "plain" and plain_ok(text, flow=flow):
        return text
    if prefer == "plain":
        prefer = fallback
    if prefer == "single" and text.isprintable():
        return quote_single(text)
    return quote_double(text)


def render_atom(value: Any) -> str:
    """Plain text for None/bool/int/float (raises RenderError for anything else)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    raise RenderError(f"cannot write a {type(value).__name__} as YAML")


def is_multiline(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or "\r" in value)


def literal_ok(text: str) -> bool:
    """Whether a multi-line string can be a literal block scalar (``|``) and read back equal."""
    if "\r" in text or not all(c.isprintable() or c in "\n\t" for c in text):
        return False
    body = text.rstrip("\n")
    if not body.strip():
        return False
    first = next(line for line in body.split("\n") if line.strip())
    return not first.startswith((" ", "\t")) and not body.split("\n")[0].startswith((" ", "\t"))


def render_literal(text: str, indent: int) -> tuple[str, list[str]]:
    """Header (``|``, ``|-`` or ``|+``) and content lines indented by ``indent`` spaces."""
    stripped = text.rstrip("\n")
    trailing = len(text) - len(stripped)
    header = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    lines = stripped.split("\n") + [""] * max(0, trailing - 1)
    return header, [(" " * indent + line) if line else "" for line in lines]


def render_inline(
    value: Any, prefer: Quote = "plain", *, flow: bool = False, fallback: Quote = "double"
) -> str:
    """One-line text for a scalar, an empty or flow collection, or a ``!reference``."""
    if isinstance(value, str):
        return render_string(value, prefer, flow=flow, fallback=fallback)
    if isinstance(value, Reference):
        return "!reference [" + ", ".join(render_string(p, flow=True) for p in value.path) + "]"
    if isinstance(value, Tagged):
        if not value.tag.startswith("!") or any(c.isspace() for c in value.tag):
            raise RenderError(f"cannot write tag {value.tag!r}")
        return f"{value.tag} {render_inline(value.value, flow=True, fallback=fallback)}"
    if isinstance(value, Mapping):
        parts = [
            f"{render_key(k, flow=True, fallback=fallback)}: "
            + render_inline(v, flow=True, fallback=fallback)
            for k, v in value.items()
        ]
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_inline(v, flow=True, fallback=fallback) for v in value) + "]"
    return render_atom(value)


def render_key(
    key: Any, *, flow: bool = False, prefer: Quote = "plain", fallback: Quote = "double"
) -> str:
    """Text for a mapping key (strings are quoted when needed; no multi-line keys)."""
    if isinstance(key, str):
        if "\n" in key or "\r" in key or len(key) > 1000:
            raise RenderError(f"cannot write {key!r} as a mapping key")
        if key == "<<":
            raise RenderError("a new key named '<<' would be a merge key")
        return render_string(key, prefer, flow=flow, fallback=fallback)
    return render_atom(key)


def needs_block(value: Any) -> bool:
    """Whether ``value`` is written as block lines (non-empty collection or literal string)."""
    if isinstance(value, Mapping | list | tuple):
        return len(value) > 0
    return is_multiline(value) and literal_ok(value)


def render_block(value: Any, indent: int, layout: Layout) -> list[str]:
    """Lines (without line breaks) of a non-empty block collection, indented by ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            head = f"{pad}{render_key(key, fallback=layout.quote)}:"
            child = indent + (layout.seq_offset if isinstance(item, list | tuple) else layout.step)
            lines.extend(_with_child(head, item, child, layout))
        return lines
    for item in value:
        if isinstance(item, Mapping | list | tuple) and item:
            sub = render_block(item, indent + 2, layout)
            lines.append(f"{pad}- {sub[0].lstrip(' ')}")
            lines.extend(sub[1:])
        else:
            lines.extend(_with_child(f"{pad}-", item, indent + 2, layout))
    return lines


def _with_child(head: str, value: Any, child_indent: int, layout: Layout) -> list[str]:
    if isinstance(value, Mapping | list | tuple) and value:
        return [head, *render_block(value, child_indent, layout)]
    if is_multiline(value) and literal_ok(value):
        header, body = render_literal(value, child_indent)
        return [f"{head} {header}", *body]
    return [f"{head} {render_inline(value, fallback=layout.quote)}"]
