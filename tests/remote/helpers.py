"""Ground truth for remote tests, read straight from the double's state (never hard-coded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitlab_double.model import State
from gitlab_double.server import GitLabDouble

from hepci.gitlab.candidates import CANDIDATE_FILES
from hepci.gitlab.settings import RemoteSettings, resolve_settings
from hepci.upgrade.group import GroupOptions


def make_settings(double: GitLabDouble, token: str, **options: Any) -> RemoteSettings:
    """Settings for ``double`` with short timeouts; no environment, no config files."""
    options.setdefault("timeout", 5.0)
    options.setdefault("concurrency", 4)
    return resolve_settings(url=double.url, token=token, env={}, **options)


def head_files(state: State, full_path: str) -> dict[str, bytes]:
    """Every file on the default branch of ``full_path``, as the double stores it."""
    project = state.find_project(full_path)
    assert project is not None and project.default_branch is not None
    commit = project.repo.resolve(project.default_branch)
    assert commit is not None
    return {path: state.blobs[sha] for path, sha in commit.files.items()}


def expected_candidates(state: State, full_path: str) -> dict[str, bytes]:
    files = head_files(state, full_path)
    return {p: c for p, c in files.items() if p in CANDIDATE_FILES}


def group_options(double: GitLabDouble, token: str, journal: Path, **kw: Any) -> GroupOptions:
    """``upgrade gitlab:hep --apply`` against ``double``, two jobs, quiet, journal at ``journal``."""
    return GroupOptions(
        target="gitlab:hep", apply=True, token=token, gitlab_url=double.url,
        journal=str(journal), jobs=2, quiet=True, **kw,
    )  # fmt: skip
