"""Where the data shipped with hepci lives: ``ci-templates/`` and ``cookiecutter-analysis/``.

In a wheel they are under ``hepci/_data/``; in a source checkout (editable install) they are
at the top of the repository. Both layouts resolve to the same names.
"""

from __future__ import annotations

from pathlib import Path

from hepci.errors import InputFileError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_SOURCE_ROOT = _PACKAGE_DIR.parent.parent

CI_TEMPLATES = "ci-templates"
COOKIECUTTER = "cookiecutter-analysis"


def shipped_dir(name: str) -> Path:
    """Return the directory of a shipped data folder (``ci-templates`` or ``cookiecutter-analysis``)."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _SOURCE_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise InputFileError(f"hepci installation is incomplete: {name}/ not found", path=_PACKAGE_DIR)


def ci_templates_dir() -> Path:
    """The shipped GitLab CI templates."""
    return shipped_dir(CI_TEMPLATES)


def cookiecutter_dir() -> Path:
    """The shipped analysis scaffold (a cookiecutter template)."""
    return shipped_dir(COOKIECUTTER)
