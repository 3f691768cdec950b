"""``hepci lint``: validate GitLab CI files, their local includes and template files.

Entry point :func:`lint_paths`; finding codes in :mod:`hepci.lint.codes`.
"""

from hepci.lint.codes import CODES, Finding, render
from hepci.lint.service import LintOptions, LintReport, lint_paths

__all__ = ["CODES", "Finding", "LintOptions", "LintReport", "lint_paths", "render"]
