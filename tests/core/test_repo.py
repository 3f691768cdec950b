"""LocalRepo and MemoryRepo: what a rule sees of a repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hepci.core.repo import LocalRepo, MemoryRepo, Repo, RepoMeta
from hepci.errors import InputFileError


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_git_work_tree_lists_what_git_does_not_ignore(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n*.root\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "Dockerfile").write_text("FROM x:1\n")
    (tmp_path / "events.root").write_bytes(b"\0" * 10)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("print(1)\n")
    _git(tmp_path, "add", "src/a.py")
    (tmp_path / "untracked.txt").write_text("new\n")

    paths = {f.path: f.size for f in LocalRepo(tmp_path).files()}

    assert paths == {".gitignore": 14, "src/a.py": 9, "untracked.txt": 4}


def test_plain_directory_is_walked_without_vcs_and_cache_folders(tmp_path: Path) -> None:
    for rel in ("README.md", "sub/x.txt", ".venv/lib/y.py", "node_modules/z.js"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    repo = LocalRepo(tmp_path)
    assert [f.path for f in repo.files()] == ["README.md", "sub/x.txt"]
    assert repo.read("sub/x.txt") == b"x"
    assert repo.read("missing") is None
    assert repo.meta is None


def test_missing_and_non_directory_roots_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such directory"):
        LocalRepo(tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputFileError, match="not a directory"):
        LocalRepo(tmp_path / "f")


def test_memory_repo_can_refuse_to_list() -> None:
    meta = RepoMeta(full_path="g/p", default_branch="master")
    repo = MemoryRepo("g/p", {".gitlab-ci.yml": b"a: 1\n"}, meta=meta, listable=False)
    assert isinstance(repo, Repo)
    assert repo.files() is None
    assert repo.read(".gitlab-ci.yml") == b"a: 1\n"
    assert repo.meta is not None and repo.meta.default_branch == "master"
