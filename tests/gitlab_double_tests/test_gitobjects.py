"""Blob, tree and commit ids equal real git's for the same content (git is the oracle)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from gitlab_double.gitobjects import Repository, blob_id

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    )
    return out.stdout.strip()


def test_blob_id_equals_git_hash_object(tmp_path: Path) -> None:
    content = b"stages:\n  - build\n\xff binary \x00 tail"
    (tmp_path / "f").write_bytes(content)
    assert blob_id(content) == git(tmp_path, "hash-object", "f")


def test_commit_and_tree_ids_equal_git(tmp_path: Path) -> None:
    files = {
        "README.md": b"# demo\n",
        ".gitlab-ci.yml": b"job:\n  script: [true]\n",
        "workflow/Snakefile": b"rule all:\n    input: []\n",
        "workflow/rules/a.smk": b"rule a:\n    shell: 'true'\n",
        "workflow-x": b"sorts after the directory in git's order\n",
    }
    repo = Repository({})
    first = repo.commit_files(
        "main", {"README.md": files["README.md"]}, "first", ("A U", "a@x.org"), 1_700_000_000
    )
    second = repo.commit_files("main", files, "second\n\nbody", ("A U", "a@x.org"), 1_700_000_100)

    git(tmp_path, "init", "-q", "-b", "main")
    env = {
        **os.environ, "GIT_AUTHOR_NAME": "A U", "GIT_AUTHOR_EMAIL": "a@x.org",
        "GIT_COMMITTER_NAME": "A U", "GIT_COMMITTER_EMAIL": "a@x.org",
    }  # fmt: skip
    for commit, stamp, message in (
        (first, 1_700_000_000, "first"),
        (second, 1_700_000_100, "second\n\nbody"),
    ):
        for path, data in files.items():
            if path in commit.files:
                target = tmp_path / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        git(tmp_path, "add", "-A")
        stamped = {
            **env,
            "GIT_AUTHOR_DATE": f"{stamp} +0000",
            "GIT_COMMITTER_DATE": f"{stamp} +0000",
        }
        git(tmp_path, "commit", "-q", "--cleanup=verbatim", "-m", message, env=stamped)
        assert git(tmp_path, "rev-parse", "HEAD^{tree}") == commit.tree
        assert git(tmp_path, "rev-parse", "HEAD") == commit.sha


def test_last_commit_id_is_the_commit_that_last_changed_the_file() -> None:
    repo = Repository({})
    a = repo.commit_files("main", {"a": b"1", "b": b"1"}, "one", ("A", "a@x"), 1)
    b = repo.commit_files("main", {"b": b"2"}, "two", ("A", "a@x"), 2)
    c = repo.commit_files("main", {"c": b"3"}, "three", ("A", "a@x"), 3)
    assert repo.last_commit_id(c, "a") == a.sha
    assert repo.last_commit_id(c, "b") == b.sha
    assert repo.last_commit_id(c, "c") == c.sha
    assert repo.resolve(c.sha[:8]) == c
    assert repo.resolve("nope") is None
