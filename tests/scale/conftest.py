"""Fixtures for the scale tests: a GitLab double in its own process (``python -m
gitlab_double``), as a GitLab runner's jobs would reach a real instance."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gitlab_double.pytest_fixtures import fresh_double, fresh_world  # noqa: F401 (fixtures)

TESTS = Path(__file__).resolve().parents[1]


@dataclass
class ServedDouble:
    url: str
    tokens: dict[str, str]


@pytest.fixture
def served_double() -> Iterator[ServedDouble]:
    """A fresh 30-project world (seed 5) served by ``python -m gitlab_double`` on 127.0.0.1."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitlab_double", "--projects", "30", "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("GitLab double on "), first
        url = first.split()[3]
        tokens = {}
        for _ in range(5):
            role, _, token = proc.stdout.readline().split()
            tokens[role] = token
        yield ServedDouble(url, tokens)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
