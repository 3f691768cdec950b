"""Structural validation of ``reana.yaml`` (the documented REANA analysis specification).

The built-in check follows ``reana_analysis_schema.json`` of ``reanahub/reana-commons``:
top-level keys, ``workflow.type``, ``workflow.file`` or ``specification``, serial steps,
``inputs``/``outputs`` shapes. When ``reana-commons`` is installed, its own JSON schema is
used as well (imported lazily; jsonschema is not loaded otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TOP_KEYS = frozenset({"version", "inputs", "workflow", "outputs", "tests", "workspace"})
WORKFLOW_TYPES = ("cwl", "serial", "yadage", "snakemake")
WORKFLOW_KEYS = frozenset({"type", "file", "specification", "resources"})
INPUT_KEYS = frozenset({"files", "directories", "parameters", "options"})
OUTPUT_KEYS = frozenset({"files", "directories"})

Problem = tuple[str, tuple[str | int, ...]]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_section(
    data: dict[str, Any], name: str, keys: frozenset[str], lists: frozenset[str]
) -> Iterator[Problem]:
    section = data.get(name)
    if section is None:
        return
    if not isinstance(section, dict):
        yield f"`{name}` must be a mapping", (name,)
        return
    for key, value in section.items():
        if key not in keys:
            yield f"unknown key `{name}.{key}` (allowed: {', '.join(sorted(keys))})", (name, key)
        elif key in lists and not _strings(value):
            yield f"`{name}.{key}` must be a list of paths", (name, key)
        elif key not in lists and not isinstance(value, dict):
            yield f"`{name}.{key}` must be a mapping", (name, key)


def _check_serial(spec: Any) -> Iterator[Problem]:
    base = ("workflow", "specification")
    steps = spec.get("steps") if isinstance(spec, dict) else None
    if not isinstance(steps, list) or not steps:
        yield "serial `workflow.specification.steps` must be a non-empty list", base
        return
    for index, step in enumerate(steps):
        where = (*base, "steps", index)
        if not isinstance(step, dict):
            yield f"step {index + 1} must be a mapping", where
            continue
        if not isinstance(step.get("environment"), str):
            yield f"step {index + 1} needs an `environment` image", where
        if not _strings(step.get("commands")) or not step.get("commands"):
            yield f"step {index + 1} needs a non-empty list of `commands`", where


def _check_workflow(workflow: Any) -> Iterator[Problem]:
    if not isinstance(workflow, dict):
        yield "`workflow` is required and must be a mapping", ("workflow",)
        return
    for key in workflow:
        if key not in WORKFLOW_KEYS:
            yield f"unknown key `workflow.{key}`", ("workflow", key)
    kind = workflow.get("type")
    if kind not in WORKFLOW_TYPES:
        yield (
            f"`workflow.type` must be one of {', '.join(WORKFLOW_TYPES)}, got {kind!r}",
            ("workflow", "type") if "type" in workflow else ("workflow",),
        )
        return
    has_file = isinstance(workflow.get("file"), str)
    has_spec = "specification" in workflow
    if not has_file and not has_spec:
        yield f"a {kind} workflow needs `workflow.file` or `workflow.specification`", ("workflow",)
    if kind == "serial" and has_spec:
        yield from _check_serial(workflow["specification"])
    resources = workflow.get("resources")
    if resources is not None and not isinstance(resources, dict):
        yield "`workflow.resources` must be a mapping", ("workflow", "resources")


def validate_reana(data: Any) -> list[Problem]:
    """Problems with the structure of a ``reana.yaml`` document, each with its data path."""
    if not isinstance(data, dict):
        return [("reana.yaml must be a mapping with a `workflow` key", ())]
    problems: list[Problem] = [
        (f"unknown top-level key `{key}`", (key,)) for key in data if key not in TOP_KEYS
    ]
    problems += list(_check_workflow(data.get("workflow")))
    problems += list(
        _check_section(data, "inputs", INPUT_KEYS, frozenset({"files", "directories"}))
    )
    problems += list(_check_section(data, "outputs", OUTPUT_KEYS, OUTPUT_KEYS))
    problems += list(_schema_problems(data))
    return problems


def _schema_problems(data: Any) -> Iterator[Problem]:
    """Errors from reana-commons' own JSON schema, when that package is installed."""
    import importlib.util

    if importlib.util.find_spec("reana_commons") is None:
        return
    import json
    from importlib.resources import files

    candidates = [
        files("reana_commons") / "validation" / "schemas" / "reana_analysis_schema.json",
        files("reana_commons") / "openapi_specifications" / "reana_analysis_schema.json",
    ]
    schema_file = next((c for c in candidates if c.is_file()), None)
    if schema_file is None:
        return
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    for error in jsonschema.Draft4Validator(schema).iter_errors(data):
        yield f"reana-commons schema: {error.message}", tuple(error.absolute_path)
