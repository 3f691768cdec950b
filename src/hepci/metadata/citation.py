"""``CITATION.cff`` checked against the Citation File Format 1.2.0 schema.

The schema is the official one (``schemas/cff-1.2.0.schema.json``, see ``schemas/README.md``),
validated with ``jsonschema`` (imported on first use). The file is read with hepci's YAML core
(YAML 1.2, as CFF specifies: dates stay strings), so each error can name the line of the value
it is about. :func:`cff_problems` serves the record's missing pieces and the PRES003 rule.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hepci.audit.context import AuditContext

CITATION = "CITATION.cff"
SCHEMA_FILE = Path(__file__).resolve().parent / "schemas" / "cff-1.2.0.schema.json"
MAX_PROBLEMS = 20  # a broken file gives one error per bad entry: enough to act on


@dataclass(frozen=True)
class CffProblem:
    """One schema error: where in the file (a path such as ``authors[1].orcid``), its line."""

    where: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.where or 'the file'}: {self.message}"


@functools.cache
def _validator() -> Any:
    from jsonschema.validators import validator_for

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _where(path: Any) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _specific(error: Any) -> Any:
    """For a ``oneOf``/``anyOf`` failure (a person or an entity, a string or a list …), the
    error of the alternative that came closest (fewest errors, then the deepest), which names
    the actual mistake rather than every form the value could have taken."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        closest = min(
            branches.values(), key=lambda errs: (len(errs), -max(len(e.path) for e in errs))
        )
        error = max(closest, key=lambda e: len(e.path))
    return error


def _extra_key(error: Any) -> str | None:
    """The first unexpected key of an ``additionalProperties`` error, to place it."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    allowed = set(error.schema.get("properties") or {})
    return next((str(k) for k in error.instance if k not in allowed), None)


def problems_of(data: Any, line_of: Any = None) -> list[CffProblem]:
    """Schema errors of parsed CFF ``data``, one per place; ``line_of(path) -> int | None``
    places them."""
    errors = [_specific(e) for e in _validator().iter_errors(data)]
    errors.sort(key=lambda e: (list(map(str, e.absolute_path)), e.message))
    found: dict[str, CffProblem] = {}
    for error in errors:
        path = list(error.absolute_path)
        extra = _extra_key(error)
        where = _where(path)
        if where in found:
            continue
        line = line_of([*path, extra] if extra else path) if line_of is not None else None
        found[where] = CffProblem(where, line, str(error.message))
        if len(found) == MAX_PROBLEMS:
            break
    return list(found.values())


def cff_problems(ctx: AuditContext) -> list[CffProblem]:
    """Schema errors of the repository's ``CITATION.cff`` (none when it is absent; a file
    that is not YAML is one problem, at the line the parser names)."""
    if not ctx.exists(CITATION):
        return []
    cached = ctx.__dict__.get("_cff_problems")
    if cached is not None:
        return list(cached)
    text = ctx.text(CITATION)
    known = _BY_TEXT.get(text) if text is not None else None
    if known is not None:  # a group sweep meets the scaffold's CITATION.cff many times
        ctx.__dict__["_cff_problems"] = known
        return list(known)
    parsed = ctx.parse_yaml(CITATION)
    if parsed.error is not None or parsed.file is None or parsed.file.body is None:
        line = getattr(parsed.error, "line", None)
        reason = getattr(parsed.error, "message", None) or "not a YAML document"
        found = [CffProblem("", line, f"cannot be read: {reason}")]
    else:
        body = parsed.file.body

        def line_of(path: list[Any]) -> int | None:
            node = body.find(path) if path else body.root
            while node is None and path:
                path = path[:-1]
                node = body.find(path)
            return node.start.lineno if node is not None else None

        found = problems_of(parsed.data, line_of)
    ctx.__dict__["_cff_problems"] = tuple(found)
    if text is not None:
        if len(_BY_TEXT) >= _MAX_REMEMBERED:
            _BY_TEXT.pop(next(iter(_BY_TEXT)))  # the oldest
        _BY_TEXT[text] = tuple(found)
    return found


_BY_TEXT: dict[str, tuple[CffProblem, ...]] = {}  # problems by file text, shared between projects
_MAX_REMEMBERED = 1024


__all__ = ["CITATION", "SCHEMA_FILE", "CffProblem", "cff_problems", "problems_of"]
