"""Shared fixtures: where ``../shared`` is, and skipping cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from templates._project import GCL

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
CORPUS_DIR = SHARED_DIR / "corpus"


def corpus_files() -> list[Path]:
    """Every real-world CI file in ../shared/corpus (empty when the corpus is absent)."""
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(p for p in CORPUS_DIR.iterdir() if p.suffix in {".yml", ".yaml"})


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus, read in place; tests using it skip when it is absent (a user's clone)."""
    if not CORPUS_DIR.is_dir():
        pytest.skip("../shared/corpus is absent: it exists on developer machines and in CI only")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def gcl() -> str:
    """gitlab-ci-local, for the tests that run pipelines (templates, release, scale)."""
    if GCL is None:
        pytest.skip("gitlab-ci-local is not installed (make test installs it with npm)")
    return GCL
