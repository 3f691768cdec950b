"""Pytest fixtures for the double. Enable with ``pytest_plugins = ["gitlab_double.pytest_fixtures"]``
in a conftest, or import the fixtures by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gitlab
import pytest

from gitlab_double.populate import World, build_world
from gitlab_double.server import GitLabDouble


@pytest.fixture(scope="session")
def gitlab_world() -> World:
    """A 60-project world (seed 7), shared read-only by a session: do not write to it."""
    return build_world(n_projects=60, seed=7)


@pytest.fixture(scope="session")
def gitlab_double_ro(gitlab_world: World) -> Iterator[GitLabDouble]:
    """A running double over :func:`gitlab_world`, for read-only tests (faults must be reset)."""
    with GitLabDouble(gitlab_world.state) as double:
        yield double


@pytest.fixture
def gitlab_double(gitlab_double_ro: GitLabDouble) -> Iterator[GitLabDouble]:
    """The session double with faults cleared and stats reset before and after the test."""
    gitlab_double_ro.faults.clear()
    gitlab_double_ro.stats.reset()
    yield gitlab_double_ro
    gitlab_double_ro.faults.clear()
    gitlab_double_ro.stats.reset()


@pytest.fixture
def fresh_world() -> World:
    """A small world of its own, for tests that write (commits, merge requests)."""
    return build_world(n_projects=12, seed=3)


@pytest.fixture
def fresh_double(fresh_world: World) -> Iterator[GitLabDouble]:
    with GitLabDouble(fresh_world.state) as double:
        yield double


def gl_client(double: GitLabDouble, token: str | None, **kwargs: Any) -> gitlab.Gitlab:
    """A python-gitlab client for ``double`` with a 10 s timeout (override with ``timeout=``)."""
    kwargs.setdefault("timeout", 10)
    return gitlab.Gitlab(double.url, private_token=token, **kwargs)
