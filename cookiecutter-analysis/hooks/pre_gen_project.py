"""Validate the answers before anything is written (no file logic here: names are Jinja)."""

import re
import sys

SLUG = "{{ cookiecutter.analysis_slug }}"
EMAIL = "{{ cookiecutter.email }}"
NAMESPACE = "{{ cookiecutter.gitlab_namespace }}"
VERSION = "{{ cookiecutter.templates_version }}"
PYTHON = "{{ cookiecutter.python_version }}"

SLUG_RE = r"[a-z](?:[a-z0-9]|_(?!_)){0,62}(?<!_)"
EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
NAMESPACE_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*"
VERSION_RE = r"\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?|[0-9a-f]{40}"
PYTHON_RE = r"3\.\d{1,2}"

CHECKS = [
    ("analysis_slug", SLUG, SLUG_RE, "lowercase letters, digits and single '_', starting with a letter"),
    ("email", EMAIL, EMAIL_RE, "an e-mail address such as jane@cern.ch"),
    ("gitlab_namespace", NAMESPACE, NAMESPACE_RE, "a GitLab group path such as cms-analysis/pog"),
    ("templates_version", VERSION, VERSION_RE, "a release tag such as 0.1.0 or a full commit SHA"),
    ("python_version", PYTHON, PYTHON_RE, "a Python version such as 3.12"),
]

errors = [
    f"invalid {key} {value!r}: expected {what}"
    for key, value, pattern, what in CHECKS
    if not re.fullmatch(pattern, value)
]
for message in errors:
    print(f"cookiecutter-analysis: error: {message}", file=sys.stderr)
sys.exit(1 if errors else 0)
