"""The shipped GitLab CI templates as data: their ``spec:inputs`` headers, parsed and checked.

Every file in ``ci-templates/`` is two YAML documents: a ``spec:`` header declaring typed
inputs, then ``---`` and the body (hidden base job plus jobs). This module reads the header
only (the body is GitLab's business), validates the inputs a user passes in an ``include:``
entry against it, and renders the reference documentation (``docs/templates.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from hepci.errors import InputFileError, YamlSyntaxError

InputType = Literal["string", "number", "boolean", "array"]
INPUT_TYPES: tuple[InputType, ...] = ("string", "number", "boolean", "array")

# Problem codes returned by validate_inputs (stable: the lint rules key on them).
UNKNOWN_INPUT = "unknown-input"
WRONG_TYPE = "wrong-type"
NOT_IN_OPTIONS = "not-in-options"
REGEX_MISMATCH = "regex-mismatch"
MISSING_INPUT = "missing-input"

TEMPLATE_FILE_RE = re.compile(r"^/?ci-templates/(?P<name>[^/]+)\.ya?ml$")
"""An ``include: project`` ``file:`` of one of our templates (group ``name``)."""
_MIRROR_RE = re.compile(r"^\s+([A-Z][A-Z0-9_]*):\s*[\"']?\$\[\[\s*inputs\.([a-z0-9_-]+)\s*\]\]")
_JOB_RE = re.compile(r"^(\.?[A-Za-z0-9$][^:#\s]*(?:\[\[[^\]]*\]\][^:#\s]*)*):\s*$")


@dataclass(frozen=True)
class InputSpec:
    """One ``spec:inputs`` entry of a template."""

    name: str
    type: InputType
    description: str
    default: object
    required: bool
    options: tuple[object, ...] | None = None
    regex: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    """A shipped template: its name (file stem), path, inputs and documentation."""

    name: str
    path: Path
    inputs: dict[str, InputSpec]
    title: str = ""
    description: str = ""
    variables: dict[str, str] | None = None  # input name -> mirrored CI variable
    jobs: tuple[str, ...] = ()  # job keys of the body, as written (may contain $[[ inputs ]])


@dataclass(frozen=True)
class InputProblem:
    """Something wrong with the inputs given to a template in an ``include:`` entry."""

    code: str
    input: str
    message: str


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)


def _one_line(exc: YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    return " ".join(str(problem).split())


def _split_documents(text: str) -> tuple[str, str]:
    """Split a template into (header, body) at the first document marker ``---``."""
    match = re.search(r"^---[ \t]*$", text, flags=re.MULTILINE)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.end() :]


def _header_comment(header: str) -> tuple[str, str]:
    """Title and description from the comment lines that open the file."""
    lines: list[str] = []
    for line in header.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    title = lines[0] if lines else ""
    return title, " ".join(part for part in lines[1:] if part)


def _input_spec(name: str, raw: object, path: Path) -> InputSpec:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputFileError(f"spec:inputs:{name} must be a mapping", path=path)
    kind = raw.get("type", "string")
    if kind not in INPUT_TYPES:
        raise InputFileError(f"spec:inputs:{name}: unknown type {kind!r}", path=path)
    options = raw.get("options")
    regex = raw.get("regex")
    return InputSpec(
        name=name,
        type=cast(InputType, kind),
        description=str(raw.get("description", "")).strip(),
        default=raw.get("default"),
        required="default" not in raw,
        options=tuple(options) if isinstance(options, list) else None,
        regex=str(regex) if regex is not None else None,
    )


def _body_facts(body: str) -> tuple[dict[str, str], tuple[str, ...]]:
    variables: dict[str, str] = {}
    jobs: list[str] = []
    for line in body.splitlines():
        mirror = _MIRROR_RE.match(line)
        if mirror is not None:
            variables.setdefault(mirror.group(2), mirror.group(1))
        job = _JOB_RE.match(line)
        if job is not None and not line.startswith((" ", "\t")):
            jobs.append(job.group(1))
    return variables, tuple(jobs)


def parse_template(path: Path, text: str | None = None) -> TemplateSpec:
    """Parse one template file's ``spec:inputs`` header (raises InputFileError when invalid)."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"cannot read template: {exc}", path=path) from exc
    header, body = _split_documents(text)
    try:
        data = _yaml().load(header)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(
            f"template header does not parse: {_one_line(exc)}", path=path, line=line
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        raise InputFileError("template has no spec: header before '---'", path=path)
    raw_inputs = data["spec"].get("inputs") or {}
    if not isinstance(raw_inputs, dict):
        raise InputFileError("spec:inputs must be a mapping", path=path)
    inputs = {str(k): _input_spec(str(k), v, path) for k, v in raw_inputs.items()}
    title, description = _header_comment(header)
    variables, jobs = _body_facts(body)
    return TemplateSpec(
        name=path.stem,
        path=path,
        inputs=inputs,
        title=title,
        description=description,
        variables=variables,
        jobs=jobs,
    )


def shipped_templates(directory: Path | None = None) -> dict[str, TemplateSpec]:
    """Every template shipped in ``ci-templates/`` (or ``directory``), by name, sorted."""
    if directory is None:
        from hepci.core.resources import ci_templates_dir

        directory = ci_templates_dir()
    paths = sorted(p for p in directory.glob("*.yml") if p.is_file())
    return {p.stem: parse_template(p) for p in paths}


def _type_ok(kind: InputType, value: object) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list | tuple)


def _check_one(spec: InputSpec, value: object) -> InputProblem | None:
    if not _type_ok(spec.type, value):
        return InputProblem(
            WRONG_TYPE, spec.name, f"input {spec.name!r} must be a {spec.type}, got {value!r}"
        )
    if spec.options is not None and value not in spec.options:
        choices = ", ".join(repr(o) for o in spec.options)
        return InputProblem(
            NOT_IN_OPTIONS, spec.name, f"input {spec.name!r} is {value!r}; allowed: {choices}"
        )
    if spec.regex is not None and isinstance(value, str):
        pattern = spec.regex.strip("/") if spec.regex.startswith("/") else spec.regex
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            return None  # an RE2-only pattern: GitLab checks it, we cannot
        if not matched:
            return InputProblem(
                REGEX_MISMATCH,
                spec.name,
                f"input {spec.name!r} is {value!r}, which does not match /{pattern}/",
            )
    return None


def validate_inputs(spec: TemplateSpec, inputs: Mapping[str, object]) -> list[InputProblem]:
    """Check the ``inputs:`` of an ``include:`` entry against a template's header."""
    problems: list[InputProblem] = []
    for name, value in inputs.items():
        declared = spec.inputs.get(name)
        if declared is None:
            known = ", ".join(sorted(spec.inputs))
            problems.append(
                InputProblem(
                    UNKNOWN_INPUT, name, f"{spec.name} has no input {name!r} (known: {known})"
                )
            )
            continue
        problem = _check_one(declared, value)
        if problem is not None:
            problems.append(problem)
    for declared in spec.inputs.values():
        if declared.required and declared.name not in inputs:
            problems.append(
                InputProblem(
                    MISSING_INPUT,
                    declared.name,
                    f"{spec.name} requires input {declared.name!r}",
                )
            )
    return problems


_BLOCK_RE = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*(?:\|[^\]]*)?\]\]")


def _substitute(value: object, values: Mapping[str, object]) -> object:
    if isinstance(value, dict):
        return {str(_substitute(k, values)): _substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    if not isinstance(value, str) or "$[[" not in value:
        return value
    whole = _BLOCK_RE.fullmatch(value.strip())
    if whole is not None:
        return values[whole.group(1)]

    def text(match: re.Match[str]) -> str:
        found = values[match.group(1)]
        if isinstance(found, bool):
            return "true" if found else "false"
        return str(found)

    return _BLOCK_RE.sub(text, value)


def render_body(spec: TemplateSpec, inputs: Mapping[str, object] | None = None) -> object:
    """The template's body as GitLab loads it: ``$[[ inputs.x ]]`` replaced (defaults filled).

    A block that is a whole YAML value keeps the input's type; inside a longer string it is
    text. ``!reference`` tags become plain lists, as in GitLab's JSON schema. Interpolation
    functions (``| expand_vars`` ...) are not applied.
    """
    given = dict(inputs or {})
    problems = validate_inputs(spec, given)
    if problems:
        raise InputFileError(problems[0].message, path=spec.path)
    values = {n: i.default for n, i in spec.inputs.items() if not i.required}
    values.update(given)
    _, body = _split_documents(spec.path.read_text(encoding="utf-8"))
    yaml = _yaml()
    yaml.constructor.add_constructor(
        "!reference",
        lambda constructor, node: constructor.construct_sequence(node, deep=True),
    )
    try:
        data = yaml.load(body)
    except YAMLError as exc:
        raise YamlSyntaxError(
            f"template body does not parse: {_one_line(exc)}", path=spec.path
        ) from exc
    return _substitute(data, values)


def render_templates_markdown(templates: Mapping[str, TemplateSpec] | None = None) -> str:
    """``docs/templates.md``: every template, its jobs and its inputs, from the spec headers."""
    from hepci.core._templates_doc import render_markdown

    return render_markdown(shipped_templates() if templates is None else templates)


def render_readme_table(templates: Mapping[str, TemplateSpec] | None = None) -> str:
    """The short Markdown table of templates for README.md."""
    from hepci.core._templates_doc import render_table

    return render_table(shipped_templates() if templates is None else templates)


__all__ = [
    "INPUT_TYPES",
    "MISSING_INPUT",
    "NOT_IN_OPTIONS",
    "REGEX_MISMATCH",
    "UNKNOWN_INPUT",
    "WRONG_TYPE",
    "InputProblem",
    "InputSpec",
    "InputType",
    "TemplateSpec",
    "parse_template",
    "render_body",
    "render_readme_table",
    "render_templates_markdown",
    "shipped_templates",
    "validate_inputs",
]
