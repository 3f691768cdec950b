"""GitLab's CI JSON schema, as vendored by check-jsonschema, for validating template bodies."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import jsonschema


@cache
def gitlab_schema() -> dict[str, object]:
    path = resources.files("check_jsonschema") / "builtin_schemas/vendor/gitlab-ci.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def schema_errors(document: object) -> list[str]:
    """Every violation of the schema, as `path: message` lines."""
    validator = jsonschema.Draft7Validator(gitlab_schema())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]
