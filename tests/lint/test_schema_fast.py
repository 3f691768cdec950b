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


def _error_list(validator: schema.SchemaValidator, data: Any) -> list[tuple[str, str, str]]:
    errors = validator.python.iter_errors(data)
    return sorted((repr(list(e.absolute_path)), e.validator, e.message) for e in errors)


def test_the_failing_part_has_exactly_the_errors_of_the_whole_document() -> None:
    """jsonschema sees only the top-level keys jsonschema-rs rejects: every error of the whole
    document is still there, and no other (GitLab's schema checks each key on its own)."""
    validator = schema.body_validator()
    compared = shrunk = 0
    wrong: list[str] = []
    for name, data in _documents():
        for label, candidate in [("as is", data), *_mutations(data)]:
            if validator.surely_valid(candidate):
                continue
            part = validator.failing_part(candidate)
            compared += 1
            shrunk += len(part) < len(candidate)
            if _error_list(validator, part) != _error_list(validator, candidate):
                wrong.append(f"{name} ({label})")
    assert not wrong, wrong
    assert compared >= 9 and shrunk >= compared // 2, (compared, shrunk)


def test_a_schema_that_judges_keys_together_is_never_cut() -> None:
    header = schema.header_validator()  # required: [spec], additionalProperties: false
    data = {"spec": {"inputs": {"x": {"default": 1}}}, "stray": 1, "other": 2}
    assert header.failing_part(data) is data
    body = schema.body_validator()
    assert body.failing_part({"job": {"script": 5}}) == {"job": {"script": 5}}


_ORDER_PROBE = """
import sys
from hepci.core.yamledit import parse_text
from hepci.lint import schema
text = "".join(f"job{i}:\\n  script: [x]\\n  when: sometimes\\n  scirpt: [y]\\n" for i in range(9))
body = parse_text(text, "ci.yml").body
found = schema.check(schema.body_validator(), schema.to_json(dict(body.data)), body)
for node, message in found:
    print(node.start.lineno, message)
"""


def test_errors_come_in_document_order_whatever_the_hash_seed() -> None:
    """jsonschema walks extra properties (the jobs) through a set, so its own order changes
    from one process to the next; reports must not."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _ORDER_PROBE],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout.splitlines())
    assert outputs[0] == outputs[1] == outputs[2]
    lines = [int(line.split()[0]) for line in outputs[0]]
    assert len(lines) == 18 and lines == sorted(lines), outputs[0]
