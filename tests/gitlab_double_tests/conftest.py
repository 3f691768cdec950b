"""Fixtures for the double's contract tests: python-gitlab clients for each role."""

from __future__ import annotations

from collections.abc import Iterator

import gitlab
import pytest
from gitlab_double import GitLabDouble, World, pytest_fixtures
from gitlab_double.pytest_fixtures import gl_client as client

# the shared fixtures, under their names
gitlab_world = pytest_fixtures.gitlab_world
gitlab_double_ro = pytest_fixtures.gitlab_double_ro
gitlab_double = pytest_fixtures.gitlab_double
fresh_world = pytest_fixtures.fresh_world
fresh_double = pytest_fixtures.fresh_double


@pytest.fixture
def reader(gitlab_double: GitLabDouble, gitlab_world: World) -> Iterator[gitlab.Gitlab]:
    with client(gitlab_double, gitlab_world.tokens.reader) as gl:
        yield gl


@pytest.fixture
def writer(fresh_double: GitLabDouble, fresh_world: World) -> Iterator[gitlab.Gitlab]:
    with client(fresh_double, fresh_world.tokens.writer) as gl:
        yield gl
