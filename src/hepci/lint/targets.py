"""What ``hepci lint PATH...`` lints, and reading a repository's files for local includes.

A file is linted as given; its local includes resolve against the repository root (the
nearest folder holding ``.git``, else the file's folder). A directory means its
``.gitlab-ci.yml`` (or ``.gitlab-ci.yaml``) plus ``ci-templates/*.yml`` when present; it is
also the root for includes. Nothing outside the root is read (:mod:`hepci.core.safefs`): a
target or an include that leaves it, through ``..`` or a symbolic link, is an
:class:`~hepci.errors.OutsideRootError` naming the file.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from hepci.core.cilocal import normalize_local
from hepci.core.safefs import read_inside, resolve_inside
from hepci.core.yamledit import Limits
from hepci.errors import InputFileError, OutsideRootError

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
    return [_inside(path, repo_root(path.parent))]


def _inside(path: Path, root: Path) -> Target:
    """A target whose real path is inside ``root`` (else OutsideRootError naming it)."""
    try:
        resolve_inside(root, path)
    except OutsideRootError as exc:
        raise OutsideRootError(exc.message, path=display(path)) from None
    return Target(path, root)


def _directory_targets(given: Path, folder: Path) -> list[Target]:
    found = [folder / n for n in CI_FILE_NAMES if (folder / n).is_file()][:1]
    templates = folder / TEMPLATE_DIR
    if templates.is_dir():
        _inside(templates, folder)
        found += sorted(p for p in templates.iterdir() if p.suffix in {".yml", ".yaml"})
    if not found:
        raise InputFileError(
            f"no {CI_FILE_NAMES[0]} (or {TEMPLATE_DIR}/*.yml) in this directory", path=given
        )
    return [_inside(p, folder) for p in found]


@dataclass(frozen=True)
class RepoFiles:
    """Read-only access to a repository's files for :mod:`hepci.core.cilocal`."""

    root: Path
    limits: Limits

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes, ``None`` if absent; outside the root or over the cap raises."""
        rel = normalize_local(relpath)
        shown = self.root / rel  # lint shows it relative to the current directory
        try:
            return read_inside(self.root, rel, self.max_bytes, shown=shown)
        except OutsideRootError as exc:
            raise OutsideRootError(exc.message, path=shown) from None

    def glob(self, pattern: str) -> list[str]:
        """Every YAML file under the pattern's fixed leading folders (cilocal filters them).

        Folders are not followed through symbolic links (files that are links are listed:
        reading them applies the root rule).
        """
        fixed = pattern.split("*", 1)[0]
        prefix = fixed.rsplit("/", 1)[0] if "/" in fixed else ""
        try:
            base = resolve_inside(self.root, prefix or ".")
        except OutsideRootError as exc:
            raise OutsideRootError(exc.message, path=display(self.root / prefix)) from None
        found: list[str] = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            below = os.path.relpath(folder, base)
            for name in files:
                if name.endswith((".yml", ".yaml")):
                    found.append(posixpath.normpath(posixpath.join(prefix, below, name)))
        return sorted(found)


def display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else absolute."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


__all__ = ["CI_FILE_NAMES", "RepoFiles", "Target", "display", "repo_root", "resolve_targets"]
