"""hepci: reproducible HEP analyses on GitLab.

Ships reusable GitLab CI templates, a cookiecutter scaffold for analysis repositories,
and a CLI that lints, audits and upgrades them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
