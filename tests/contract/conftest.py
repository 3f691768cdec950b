"""Fixtures for the contract tests: the GitLab double (its state is the ground truth)."""

from __future__ import annotations

from gitlab_double.pytest_fixtures import (  # noqa: F401  (fixtures, used by name)
    fresh_double,
    fresh_world,
    gitlab_double,
    gitlab_double_ro,
    gitlab_world,
)
