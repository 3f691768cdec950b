"""Fixtures for the remote sources: the GitLab double and settings pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitlab_double.pytest_fixtures import (  # noqa: F401  (fixtures, used by name)
    fresh_double,
    fresh_world,
    gitlab_double,
    gitlab_double_ro,
    gitlab_world,
)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
