"""One ``Repo`` abstraction for every source of files: a local directory, a GitLab project.

Audit rules and upgrade codemods read files through it and never care where they come
from. A source that cannot list its whole tree cheaply (a GitLab project read in a group
sweep) returns ``None`` from :meth:`Repo.files`; rules that need a listing are then skipped
with that reason.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hepci.core.safefs import read_inside, resolve_inside
from hepci.errors import InputFileError, OutsideRootError

MAX_READ_BYTES = 64 * 1024 * 1024
"""A local file larger than this (64 MiB) is not read into memory: a one-line error instead."""

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".snakemake",
        ".gitlab-ci-local",
        ".tox",
        ".nox",
    }
)


@dataclass(frozen=True)
class RepoFile:
    """A file in a repository: its POSIX path relative to the root and its size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class RepoMeta:
    """What a forge knows about a project beyond its files (``None`` fields: unknown)."""

    full_path: str
    web_url: str | None = None
    default_branch: str | None = None
    head_sha: str | None = None
    default_branch_protected: bool | None = None
    last_activity_at: str | None = None
    latest_pipeline_status: str | None = None
    container_registry_enabled: bool | None = None
    archived: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Repo(Protocol):
    """Read-only access to one repository's files."""

    @property
    def name(self) -> str:
        """A display name: the directory, or ``group/project``."""
        ...

    @property
    def meta(self) -> RepoMeta | None:
        """Forge metadata for remote projects; ``None`` for local directories."""
        ...

    def read(self, path: str) -> bytes | None:
        """The content of ``path`` (POSIX, relative), or ``None`` when the file is absent."""
        ...

    def files(self) -> list[RepoFile] | None:
        """Every file, or ``None`` when this source cannot list its tree cheaply."""
        ...


class LocalRepo:
    """A local directory or git work tree.

    The directory given is the repository root: nothing outside it is read. A path that
    leaves it (``..``, or a symbolic link on the way pointing outside) raises
    :class:`~hepci.errors.OutsideRootError`; links that stay inside are read through, and the
    listing shows them as the files they point to (links leaving the root are listed, as git
    lists them, with their own size).
    """

    def __init__(self, root: str | Path, *, max_bytes: int = MAX_READ_BYTES) -> None:
        path = Path(root)
        if not path.exists():
            raise InputFileError("no such directory", path=root)
        if not path.is_dir():
            raise InputFileError("not a directory", path=root)
        self._root = path
        self._max_bytes = max_bytes
        self._files: list[RepoFile] | None = None

    @property
    def root(self) -> Path:
        return self._root

    @property
    def name(self) -> str:
        return str(self._root)

    @property
    def meta(self) -> RepoMeta | None:
        return None

    def read(self, path: str) -> bytes | None:
        """The file's bytes; ``None`` when absent; OutsideRootError when it leaves the root."""
        return read_inside(self._root, path, self._max_bytes)

    def files(self) -> list[RepoFile]:
        """Every file; in a git work tree, those git does not ignore (tracked or not)."""
        if self._files is None:
            listed = self._git_files()
            found = self._walk() if listed is None else self._sized(listed)
            self._files = sorted(found, key=lambda f: f.path)
        return self._files

    def _git_files(self) -> list[str] | None:
        if not (self._root / ".git").exists() or shutil.which("git") is None:
            return None
        done = subprocess.run(
            # core.fsmonitor: a hostile work tree's .git/config must not run a command
            ["git", "-C", str(self._root), "-c", "core.fsmonitor=false", "ls-files", "-z",
             "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return None
        return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]

    def _entry(self, path: str) -> RepoFile | None:
        """A regular file or a link to one inside the root; a link leaving the root is listed
        too (it is in the repository, a wildcard include matches it) but reading it raises."""
        try:
            info = resolve_inside(self._root, path).stat()
        except OutsideRootError:
            try:
                return RepoFile(path, (self._root / path).lstat().st_size)
            except OSError:
                return None
        except OSError:
            return None
        return RepoFile(path, info.st_size) if stat.S_ISREG(info.st_mode) else None

    def _sized(self, paths: list[str]) -> Iterator[RepoFile]:
        for path in paths:
            entry = self._entry(path)
            if entry is not None:
                yield entry

    def _walk(self) -> Iterator[RepoFile]:
        for dirpath, dirnames, filenames in os.walk(self._root):
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
            base = Path(dirpath)
            for filename in filenames:
                entry = self._entry((base / filename).relative_to(self._root).as_posix())
                if entry is not None:
                    yield entry


class MemoryRepo:
    """Files held in memory (tests, and remote sources that fetched their files up front)."""

    def __init__(
        self,
        name: str,
        contents: Mapping[str, bytes],
        *,
        meta: RepoMeta | None = None,
        listable: bool = True,
    ) -> None:
        self._name = name
        self._contents = dict(contents)
        self._meta = meta
        self._listable = listable

    @property
    def name(self) -> str:
        return self._name

    @property
    def meta(self) -> RepoMeta | None:
        return self._meta

    def read(self, path: str) -> bytes | None:
        return self._contents.get(path)

    def files(self) -> list[RepoFile] | None:
        if not self._listable:
            return None
        return [RepoFile(p, len(c)) for p, c in sorted(self._contents.items())]
