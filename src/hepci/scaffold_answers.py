"""The answers of ``hepci new``: data, never templates.

Cookiecutter renders every value of its context as a Jinja template, the ones a user passes
with ``--set`` (or records in ``.cruft.json``) included: ``author="{{ cycler.__init__.
__globals__.os.system(...) }}"`` would run code. Here the answers are resolved without
cookiecutter's prompt machinery: a given answer is kept verbatim; only the template's own
defaults (``cookiecutter.json``, trusted) are rendered, in Jinja's sandbox, with the answers
before them as plain data. Every resulting answer is then checked against
:data:`ANSWER_RULES` -- the same rules the template's ``pre_gen_project`` hook applies for
plain cookiecutter and cruft users. The rules also keep each answer safe in the file formats
it lands in (TOML, YAML, Python, Dockerfile): free text is one line without ``"``, ``\\`` or
Jinja delimiters.
"""

from __future__ import annotations

import keyword
import re
import sys
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hepci.errors import UsageError

_FREE_TEXT = (
    r"[^\x00-\x1f\x7f\"\\{}]{1,120}",
    "one line of at most 120 characters without quotes, backslashes or braces",
)

# The same rules as cookiecutter-analysis/hooks/pre_gen_project.py, written twice on purpose: the
# hook must run under plain cookiecutter or cruft where hepci is not installed, and hepci checks
# before anything renders. tests/scaffold/test_answers_are_data.py keeps the two equal.
ANSWER_RULES: dict[str, tuple[str, str]] = {
    "analysis_name": _FREE_TEXT,
    "analysis_slug": (
        r"[a-z](?:[a-z0-9]|_(?!_)){0,62}(?<!_)",
        "lowercase letters, digits and single '_', starting with a letter",
    ),
    "author": _FREE_TEXT,
    "email": (
        r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+",
        "an e-mail address such as jane@cern.ch",
    ),
    "gitlab_namespace": (
        r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*",
        "a GitLab group path such as cms-analysis/pog",
    ),
    "templates_project": (
        r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)+",
        "a GitLab project path such as hepci/hepci",
    ),
    "templates_version": (
        r"\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?|[0-9a-f]{40}",
        "a release tag such as 0.1.0 or a full commit SHA",
    ),
    "python_version": (r"3\.\d{1,2}", "a Python version such as 3.12"),
    "base_image": (
        r"(?:[A-Za-z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*"
        r"(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
        r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?",
        "an image reference such as python:3.12-slim-bookworm (optionally @sha256:...)",
    ),
}

_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
_REQUIREMENT = re.compile(r'"([A-Za-z][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~]=?|;)')


def _normalize(name: str) -> str:
    return re.sub(r"[-.]+", "_", name).lower()


def reserved_names(template_dir: Path) -> frozenset[str]:
    """Package names a slug must not take: the modules and distributions the scaffold uses."""
    names: set[str] = set()
    for path in template_dir.rglob("*"):
        if not path.is_file():
            continue
        if ".py" in path.name or "Snakefile" in path.name:  # names may end in {% endif %}
            names.update(_IMPORT.findall(path.read_text(encoding="utf-8", errors="replace")))
        elif path.name == "pyproject.toml":
            text = path.read_text(encoding="utf-8", errors="replace")
            names.update(_REQUIREMENT.findall(text))
    return frozenset(_normalize(n) for n in names)


def slug_problem(slug: str, reserved: frozenset[str]) -> str | None:
    """Why ``slug`` cannot be the analysis's Python package name, or ``None``."""
    if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
        return "a Python keyword"
    if slug in sys.stdlib_module_names:
        return "the name of a standard-library module it would shadow"
    if slug in reserved:
        return "the name of a package the analysis imports or depends on"
    return None


def check_values(answers: Mapping[str, str], reserved: frozenset[str] = frozenset()) -> None:
    """Every answer against :data:`ANSWER_RULES` (a :class:`UsageError` names the first bad one)."""
    for key, (pattern, expected) in ANSWER_RULES.items():
        if key not in answers:
            continue
        value = answers[key]
        if not re.fullmatch(pattern, value) or value != value.strip():
            raise UsageError(f"invalid {key} {value!r}: expected {expected} (use --set {key}=...)")
    slug = answers.get("analysis_slug")
    if slug is not None and (why := slug_problem(slug, reserved)) is not None:
        raise UsageError(f"invalid analysis_slug {slug!r}: {why} (use --set analysis_slug=...)")


def _render_default(raw: object, answers: Mapping[str, object]) -> str:
    """A default of ``cookiecutter.json`` rendered in Jinja's sandbox (answers are data)."""
    from jinja2 import StrictUndefined
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    text = str(raw)
    if "{" not in text:
        return text
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
    try:
        return env.from_string(text).render(cookiecutter=dict(answers))
    except TemplateError as exc:
        raise UsageError(f"cannot compute a default from the other answers: {exc}") from exc


def resolve(
    options: Mapping[str, Any], given: Mapping[str, str], *, no_input: bool
) -> OrderedDict[str, Any]:
    """Cookiecutter's ``cookiecutter`` context for ``given`` answers, asking for the rest.

    Keys in ``cookiecutter.json`` order: ``_x`` copied (template settings), ``__x`` computed
    from the answers, choices and free answers taken from ``given`` verbatim, else the
    (rendered) default or what the user types at the prompt -- never rendered.
    """
    from cookiecutter.prompt import read_user_choice, read_user_variable

    prompts = options.get("__prompts__") or {}
    public = [k for k in options if not k.startswith("_")]
    answers: OrderedDict[str, Any] = OrderedDict()
    for key, raw in options.items():
        if key == "__prompts__":
            continue
        if key.startswith("_"):
            answers[key] = _render_default(raw, answers) if key.startswith("__") else raw
            continue
        prefix = f"  [dim][{public.index(key) + 1}/{len(public)}][/] "
        if isinstance(raw, list):
            choices = [str(c) for c in raw]
            if key in given:
                choices.remove(given[key])
                choices.insert(0, given[key])
            answers[key] = (
                choices[0] if no_input else read_user_choice(key, choices, prompts, prefix)
            )
            continue
        value = given[key] if key in given else _render_default(raw, answers)
        if not no_input:
            value = str(read_user_variable(key, value, prompts, prefix))
        answers[key] = value
    return answers


__all__ = ["ANSWER_RULES", "check_values", "reserved_names", "resolve", "slug_problem"]
