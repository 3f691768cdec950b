"""What ``hepci lint PATH...`` lints, and reading a repository's files for local includes.

A file is linted as given; its local includes resolve against the repository root (the
nearest folder holding ``.git``, else the file's folder). A directory means its
``.gitlab-ci.yml`` (or ``.gitlab-ci.yaml``) plus ``ci-templates/*.yml`` when present; it is
also the root for includes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hepci.core.cilocal import normalize_local
from hepci.core.yamledit import Limits
from hepci.errors import InputFileError

CI_FILE_NAMES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
TEMPLATE_DIR = "ci-templates"
_SKIP_DIRS = frozenset({".git", ".venv", "node_modules", "__pycache__", ".tox"})


@dataclass(frozen=True)
class Target:
    """A file to lint and the repository root its local includes resolve against."""

    path: Path
    root: Path

    @property
    def relpath(self) -> str:
        return self.path.relative_to(self.root).as_posix()


def repo_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.git``, else ``start``."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def resolve_targets(paths: list[Path]) -> list[Target]:
    """Targets for the command-line paths (``[]`` means the current directory)."""
    targets: list[Target] = []
    for given in paths or [Path.cwd()]:
        targets.extend(_targets_for(given))
    return list(dict.fromkeys(targets))


def _targets_for(given: Path) -> list[Target]:
    path = given.absolute()
    if not path.exists():
        raise InputFileError("no such file or directory", path=given)
    if path.is_dir():
        return _directory_targets(given, path)
    if not path.is_file():
        raise InputFileError("not a regular file", path=given)
    return [Target(path, repo_root(path.parent))]


def _directory_targets(given: Path, folder: Path) -> list[Target]:
    found = [folder / n for n in CI_FILE_NAMES if (folder / n).is_file()][:1]
    templates = folder / TEMPLATE_DIR
    if templates.is_dir():
        found += sorted(p for p in templates.iterdir() if p.suffix in {".yml", ".yaml"})
    if not found:
        raise InputFileError(
            f"no {CI_FILE_NAMES[0]} (or {TEMPLATE_DIR}/*.yml) in this directory", path=given
        )
    return [Target(p, folder) for p in found]


@dataclass(frozen=True)
class RepoFiles:
    """Read-only access to a repository's files for :mod:`hepci.core.cilocal`."""

    root: Path
    limits: Limits

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes, ``None`` if absent or outside the root; over the cap raises."""
        path = self.root / normalize_local(relpath)
        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(self.root.resolve()) or not resolved.is_file():
                return None
            size = resolved.stat().st_size
            if size > self.max_bytes:
                raise InputFileError(
                    f"file is {size:,} bytes, over the {self.max_bytes:,}-byte limit", path=path
                )
            return resolved.read_bytes()
        except PermissionError:
            raise InputFileError("permission denied", path=path) from None
        except OSError:
            return None

    def glob(self, pattern: str) -> list[str]:
        """Every YAML file under the pattern's fixed leading folders (cilocal filters them)."""
        fixed = pattern.split("*", 1)[0]
        base = self.root / fixed.rsplit("/", 1)[0] if "/" in fixed else self.root
        found: list[str] = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            for name in files:
                if name.endswith((".yml", ".yaml")):
                    found.append((Path(folder) / name).relative_to(self.root).as_posix())
        return sorted(found)


def display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else absolute."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


__all__ = ["CI_FILE_NAMES", "RepoFiles", "Target", "display", "repo_root", "resolve_targets"]
