"""GitLab's CI JSON schema applied to a body and to a ``spec:`` header, errors mapped to lines.

The schema is the one check-jsonschema vendors (``vendor.gitlab-ci``); we locate the file in
the installed package without importing it and validate with :mod:`jsonschema` directly,
because check-jsonschema itself cannot read a two-document (header + body) file. Each error
is reported at the node it concerns, found through the positioned tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepci.core.yamledit import (
    MappingNode,
    Node,
    Reference,
    ScalarNode,
    Tagged,
    YamlDocument,
    resolve_alias,
)
from hepci.errors import HepciError

if TYPE_CHECKING:
    from jsonschema import Draft7Validator  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]

SCHEMA_NAME = "gitlab-ci.json"
_MAX_SHOWN = 80


def schema_path() -> Path:
    """Where the installed check-jsonschema keeps GitLab's CI schema."""
    spec = find_spec("check_jsonschema")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "builtin_schemas" / "vendor" / SCHEMA_NAME
        if candidate.is_file():
            return candidate
    raise HepciError("check-jsonschema is not installed: GitLab's CI schema is unavailable")


@lru_cache(maxsize=1)
def gitlab_schema() -> dict[str, Any]:
    """GitLab's CI JSON schema (draft-07), loaded once."""
    loaded: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return loaded


class SchemaValidator:
    """One schema, two validators: jsonschema-rs (compiled Rust, ~300× faster) says whether a
    document is valid; only an invalid one goes through :mod:`jsonschema` (imported then),
    whose errors carry the paths and causes the messages are made of. jsonschema-rs is an
    optional speed-up: without it every document takes the :mod:`jsonschema` path. A test
    holds the two to the same verdicts on the corpus and on every test document."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._python: Draft7Validator | None = None
        self._fast: Callable[[Any], bool] | None = None
        self._fast_tried = False
        self._by_key = _keys_checked_alone(schema)

    @property
    def python(self) -> Draft7Validator:
        if self._python is None:
            from jsonschema import Draft7Validator  # type: ignore[import-untyped,unused-ignore]

            self._python = Draft7Validator(self.schema)
        return self._python

    def surely_valid(self, data: Any) -> bool:
        """``True`` when the fast validator accepts ``data``; ``False`` means "ask jsonschema"."""
        if not self._fast_tried:
            self._fast, self._fast_tried = _compile_fast(self.schema), True
        if self._fast is None:
            return False
        try:
            return self._fast(data)
        except (ValueError, TypeError, OverflowError):  # a value it cannot convert: jsonschema's
            return False

    def failing_part(self, data: Any) -> Any:
        """``data`` cut to the top-level keys the fast validator rejects, when the schema
        checks each top-level key on its own (GitLab's body schema: ``properties``,
        ``patternProperties``, ``additionalProperties``, nothing across keys); else ``data``.

        jsonschema then reports the same errors (the other keys have none) without walking
        every valid job of a large file (the corpus's 7 invalid files: 60 -> 15 ms).
        """
        if not self._by_key or not isinstance(data, dict) or len(data) < 2:
            return data
        cut = {key: value for key, value in data.items() if not self.surely_valid({key: value})}
        return cut or data


_ALONE_KEYWORDS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "markdownDescription", "definitions",
    "type", "properties", "patternProperties", "additionalProperties",
})  # fmt: skip


def _keys_checked_alone(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` judges an object's top-level keys one by one (no ``required``, no
    ``additionalProperties: false`` listing the extras together, no combinators)."""
    return (
        set(schema) <= _ALONE_KEYWORDS
        and schema.get("type") == "object"
        and schema.get("additionalProperties", True) is not False
    )


def _compile_fast(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        # formats unchecked, as jsonschema does without a FormatChecker (GitLab's `coverage`
        # is a Ruby regex, not an ECMA one)
        return jsonschema_rs.Draft7Validator(schema, validate_formats=False).is_valid
    except Exception:  # a schema it cannot compile: jsonschema alone then
        return None


@lru_cache(maxsize=1)
def body_validator() -> SchemaValidator:
    return SchemaValidator(gitlab_schema())


@lru_cache(maxsize=1)
def header_validator() -> SchemaValidator:
    schema = gitlab_schema()
    header = {
        "definitions": schema["definitions"],
        "type": "object",
        "properties": {"spec": schema["properties"]["spec"]},
        "required": ["spec"],
        "additionalProperties": False,
    }
    return SchemaValidator(header)


class ReferenceList(list[str]):
    """A ``!reference`` as the schema sees it: an array of strings (GitLab resolves it later)."""


_YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off"})


def to_json(value: Any) -> Any:
    """Plain data as JSON sees it: ``!reference`` → list of strings, keys → strings."""
    if isinstance(value, Reference):
        return ReferenceList(value.path)
    if isinstance(value, Tagged):
        return to_json(value.value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def check(
    validator: SchemaValidator, data: Any, document: YamlDocument | None
) -> Iterator[tuple[Node | None, str]]:
    """``(node, message)`` for each schema error, the deepest relevant cause of each, in
    document order (jsonschema walks extra properties through a set: its order changes with
    the process's hash seed, so a report would too)."""
    if validator.surely_valid(data):
        return
    found = list(_errors(validator, data, document))
    found.sort(key=lambda item: (item[0].start.offset if item[0] is not None else -1, item[1]))
    yield from found


def _errors(
    validator: SchemaValidator, data: Any, document: YamlDocument | None
) -> Iterator[tuple[Node | None, str]]:
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped,unused-ignore]

    for error in validator.python.iter_errors(validator.failing_part(data)):
        cause = best_match([error]) or error
        if _mentions_input(cause.instance):
            continue  # an un-interpolated $[[ inputs.x ]]: GitLab checks after interpolation
        if isinstance(cause.instance, ReferenceList) and cause.validator == "type":
            continue  # GitLab replaces the !reference by its target before validating
        path = list(cause.absolute_path)
        node, extra = _locate(document, path, cause)
        if _yaml11_boolean(node):
            continue  # GitLab reads YAML 1.1: a plain yes/no/on/off is a boolean (YL023 warns)
        yield node, describe(cause, path, extra)


def _yaml11_boolean(node: Node | None) -> bool:
    return (
        isinstance(node, ScalarNode)
        and node.style == "plain"
        and node.value.lower() in _YAML11_BOOLEANS
    )


def _mentions_input(instance: Any) -> bool:
    return isinstance(instance, str) and "$[[" in instance


def _locate(
    document: YamlDocument | None, path: Sequence[Any], error: ValidationError
) -> tuple[Node | None, str | None]:
    if document is None:
        return None, None
    schema = error.schema
    if (
        error.validator == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(schema, Mapping)
    ):
        extra = _extra_keys(error.instance, schema)
        parent = resolve_alias(document.find(list(path)))
        if extra and isinstance(parent, MappingNode):
            return parent.key_node(extra[0]) or parent, extra[0]
    for cut in range(len(path), -1, -1):
        node = document.find(list(path[:cut]))
        if node is not None:
            return node, None
    return None, None


def _extra_keys(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [
        key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)
    ]


def _where(path: Sequence[Any]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(top level)"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def describe(error: ValidationError, path: Sequence[Any], extra: str | None) -> str:
    """A one-line message naming the place (``job.rules[0].when``) and the problem."""
    where = _where(path)
    kind = error.validator
    if kind == "additionalProperties" and extra is not None:
        return f"{where}: unknown key {extra!r}"
    if kind == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        return f"{where}: expected {wanted}, got {got} {_short(error.instance)}"
    if kind == "enum" and isinstance(error.validator_value, list):
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{where}: {_short(error.instance)} is not one of: {allowed}"
    if kind in {"oneOf", "anyOf"}:
        return f"{where}: {_short(error.instance)} matches none of the allowed forms"
    return f"{where}: " + " ".join(_shorten_message(error.message).split())


def _shorten_message(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


__all__ = [
    "ReferenceList",
    "SchemaValidator",
    "body_validator",
    "check",
    "describe",
    "gitlab_schema",
    "header_validator",
    "schema_path",
    "to_json",
]
