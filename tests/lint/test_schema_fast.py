"""The jsonschema-rs fast path never changes a verdict: "valid" from it is "valid" from jsonschema.

GitLab-schema validation (CI003, lint's schema check) first asks jsonschema-rs; only a document
it rejects goes through :mod:`jsonschema`, whose errors make the messages. If the two disagreed
the wrong way (fast valid, jsonschema invalid) a real error would vanish, so they are compared
on every document we have: the corpus, our templates, the scaffold's CI file, and mutations of
each that break the schema in the ways people do.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs  # noqa: F401 - a dependency: a broken install must fail here, not skip
import pytest
from conftest import REPO_ROOT, corpus_files

from hepci.core.yamledit import load_file
from hepci.errors import HepciError
from hepci.lint import LintOptions, lint_paths, schema


def _documents() -> Iterator[tuple[str, Any]]:
    paths = [*corpus_files(), *sorted((REPO_ROOT / "ci-templates").glob("*.yml"))]
    for path in paths:
        try:
            body = load_file(path).body
        except HepciError:
            continue
        if body is not None and isinstance(body.data, dict):
            data = {k: v for k, v in body.data.items() if k != "spec"}
            yield path.name, schema.to_json(data)


def _mutations(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    jobs = [k for k, v in data.items() if isinstance(v, dict) and not k.startswith(".")]
    for name in jobs[:2]:
        for what, key, value in [
            ("unknown key", "scirpt", ["echo"]),
            ("when enum", "when", "sometimes"),
            ("script type", "script", 5),
            ("stage type", "stage", ["test"]),
            ("rules item", "rules", [{"iff": "$CI"}]),
        ]:
            broken = copy.deepcopy(data)
            broken[name][key] = value
            yield f"{name}: {what}", broken
    yield "stages type", {**data, "stages": "build"}


def _python_valid(validator: schema.SchemaValidator, data: Any) -> bool:
    return not any(True for _ in validator.python.iter_errors(data))


def test_fast_valid_means_jsonschema_valid_on_every_document_and_mutation() -> None:
    validator = schema.body_validator()
    compared = rejected = 0
    wrong: list[str] = []
    for name, data in _documents():
        for label, candidate in [("as is", data), *_mutations(data)]:
            fast = validator.surely_valid(candidate)
            slow = _python_valid(validator, candidate)
            compared += 1
            rejected += not slow
            if fast and not slow:
                wrong.append(f"{name} ({label})")
            if label == "as is" and slow and not fast:
                wrong.append(f"{name}: valid, but the fast path rejects it (slower, not wrong)")
    assert not wrong, wrong
    assert compared >= 9 and rejected >= compared // 2  # the mutations really break the schema


def test_lint_messages_are_the_same_with_and_without_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ci = tmp_path / ".gitlab-ci.yml"
    ci.write_text(
        "stages: [build, test]\n"
        "build:\n  stage: build\n  script: [make]\n"
        "test:\n  stage: test\n  when: sometimes\n  scirpt: [pytest]\n"
        "ok:\n  script: [echo ok]\n"
    )

    def messages() -> list[str]:
        result = lint_paths([ci], LintOptions())
        return [
            f"{f.line}:{f.code}:{f.message}" for f in result.findings if f.code.startswith("HL1")
        ]

    with_fast = messages()
    monkeypatch.setattr(schema, "_compile_fast", lambda _schema: None)
    for cached in (schema.body_validator, schema.header_validator):
        cached.cache_clear()
    try:
        without = messages()
    finally:
        for cached in (schema.body_validator, schema.header_validator):
            cached.cache_clear()
    assert with_fast == without and len(with_fast) >= 2, with_fast
