"""Validate the answers before anything is written (no file logic here: names are Jinja).

The answers are read as JSON string literals (`tojson`), so no answer can change this code.
hepci (`hepci new`) applies the same rules before rendering, and also refuses a package
name that would shadow a module the analysis imports.
"""

import keyword
import re
import sys

ANSWERS = {
    "analysis_name": {{ cookiecutter.analysis_name | tojson }},
    "analysis_slug": {{ cookiecutter.analysis_slug | tojson }},
    "author": {{ cookiecutter.author | tojson }},
    "email": {{ cookiecutter.email | tojson }},
    "gitlab_namespace": {{ cookiecutter.gitlab_namespace | tojson }},
    "templates_project": {{ cookiecutter.templates_project | tojson }},
    "templates_version": {{ cookiecutter.templates_version | tojson }},
    "python_version": {{ cookiecutter.python_version | tojson }},
    "base_image": {{ cookiecutter.base_image | tojson }},
}

FREE_TEXT = (
    r"[^\x00-\x1f\x7f\"\\{}]{1,120}",
    "one line of at most 120 characters without quotes, backslashes or braces",
)
RULES = {
    "analysis_name": FREE_TEXT,
    "analysis_slug": (
        r"[a-z](?:[a-z0-9]|_(?!_)){0,62}(?<!_)",
        "lowercase letters, digits and single '_', starting with a letter",
    ),
    "author": FREE_TEXT,
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

errors = [
    f"invalid {key} {ANSWERS[key]!r}: expected {what}"
    for key, (pattern, what) in RULES.items()
    if not re.fullmatch(pattern, ANSWERS[key]) or ANSWERS[key] != ANSWERS[key].strip()
]
slug = ANSWERS["analysis_slug"]
if keyword.iskeyword(slug) or keyword.issoftkeyword(slug):
    errors.append(f"invalid analysis_slug {slug!r}: a Python keyword")
elif slug in sys.stdlib_module_names:
    errors.append(
        f"invalid analysis_slug {slug!r}: the name of a standard-library module it would shadow"
    )
for message in errors:
    print(f"cookiecutter-analysis: error: {message}", file=sys.stderr)
sys.exit(1 if errors else 0)
