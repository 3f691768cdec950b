"""Following ``include: local`` from a CI file, and the jobs of the files it pulls in.

Pure: files are read through a ``read(path) -> bytes | None`` callable (repo-relative POSIX
paths; ``None`` = no such file) and wildcards are expanded by an optional
``glob(pattern) -> paths`` callable, so the same code works on a checkout, a git tree or files
fetched from GitLab. GitLab's rules: paths are relative to the repository root (a leading
``/`` is optional), only ``.yml``/``.yaml``, ``*`` matches within a folder and ``**`` across
folders, at most 150 includes, and the including file wins when jobs are merged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from hepci.core.cimodel import CiConfig, Include, Job, ci_config
from hepci.core.yamledit import Limits, YamlFile, parse_bytes
from hepci.errors import HepciError, YamlSyntaxError

Reader = Callable[[str], "bytes | None"]
Globber = Callable[[str], "list[str]"]
ProblemKind = Literal["missing", "not-yaml", "syntax", "no-glob", "too-many"]

MAX_INCLUDES = 150
EXTENDS_DEPTH = 11


@dataclass(eq=False)
class LoadedFile:
    """One file of the tree: repo-relative path, parsed file, CI model, the include that led here."""

    path: str
    file: YamlFile
    config: CiConfig
    via: Include | None = None


@dataclass(frozen=True)
class IncludeProblem:
    """A local include that could not be followed (``error`` holds a syntax error)."""

    include: Include
    source: str
    path: str
    kind: ProblemKind
    error: HepciError | None = None


@dataclass(eq=False)
class LocalTree:
    """A CI file and every file it includes locally, in GitLab's merge order (root last wins)."""

    files: list[LoadedFile]
    problems: list[IncludeProblem] = field(default_factory=list)
    external: list[tuple[str, Include]] = field(default_factory=list)
    unresolved: list[tuple[str, Include]] = field(default_factory=list)

    @property
    def root(self) -> LoadedFile:
        return self.files[0]

    def definitions(self) -> dict[str, list[Job]]:
        """Every definition of every job name, in merge order (the root file's last)."""
        found: dict[str, list[Job]] = {}
        for loaded in [*self.files[1:], self.files[0]]:
            for name, job in loaded.config.jobs.items():
                found.setdefault(name, []).append(job)
        return found

    def job_data(self, name: str) -> Any:
        """The job's plain data, deep-merged across files like GitLab merges includes."""
        merged: Any = None
        for job in self.definitions().get(name, []):
            merged = deep_merge(merged, job.data)
        return merged

    def hidden_jobs(self) -> dict[str, Any]:
        """Hidden jobs (``.name``) across the tree, merged."""
        return {n: self.job_data(n) for n in self.definitions() if n.startswith(".")}

    def resolved_job(self, name: str) -> Any:
        """The job's data with its ``extends`` chain merged in (``None`` if it is unknown)."""
        return _resolve_extends(self.job_data, name, 0, frozenset())


def deep_merge(base: Any, override: Any) -> Any:
    """GitLab's merge: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value)
        return merged
    return override


def _resolve_extends(
    lookup: Callable[[str], Any], name: str, depth: int, seen: frozenset[str]
) -> Any:
    data = lookup(name)
    if not isinstance(data, dict) or depth > EXTENDS_DEPTH or name in seen:
        return data
    parents = data.get("extends")
    parent_names = [parents] if isinstance(parents, str) else parents
    merged: Any = {}
    for parent in parent_names if isinstance(parent_names, list) else []:
        if isinstance(parent, str):
            resolved = _resolve_extends(lookup, parent, depth + 1, seen | {name})
            merged = deep_merge(merged, resolved if isinstance(resolved, dict) else {})
    return deep_merge(merged, data)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """GitLab's local-include wildcard: ``*`` within one folder, ``**`` across folders."""
    out = []
    for part in re.split(r"(\*\*/?|\*)", pattern):
        if part.startswith("**"):
            out.append("(?:.*/)?" if part.endswith("/") else ".*")
        elif part == "*":
            out.append("[^/]*")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def normalize_local(path: str) -> str:
    """A repo-relative POSIX path: no leading ``/`` or ``./``."""
    path = path.strip().replace("\\", "/")
    while path.startswith(("/", "./")):
        path = path[1:] if path.startswith("/") else path[2:]
    return path


@dataclass
class _Walker:
    read: Reader
    glob: Globber | None
    limits: Limits
    max_includes: int
    tree: LocalTree = field(default_factory=lambda: LocalTree(files=[]))
    seen: set[str] = field(default_factory=set)
    count: int = 0

    def visit(self, loaded: LoadedFile) -> None:
        self.tree.files.append(loaded)
        for include in loaded.config.includes:
            if include.kind != "local":
                self.tree.external.append((loaded.path, include))
                continue
            if "$" in include.location:
                self.tree.unresolved.append((loaded.path, include))
                continue
            for path in self.expand(loaded.path, include):
                self.load(loaded.path, include, path)

    def expand(self, source: str, include: Include) -> list[str]:
        path = normalize_local(include.location)
        if "*" not in path:
            return [path]
        if self.glob is None:
            self.problem(include, source, path, "no-glob")
            return []
        return sorted(p for p in self.glob(path) if glob_regex(path).fullmatch(p))

    def problem(
        self, include: Include, source: str, path: str, kind: ProblemKind, error: Any = None
    ) -> None:
        self.tree.problems.append(IncludeProblem(include, source, path, kind, error))

    def load(self, source: str, include: Include, path: str) -> None:
        if not path.endswith((".yml", ".yaml")):
            self.problem(include, source, path, "not-yaml")
            return
        self.count += 1
        if self.count > self.max_includes:
            self.problem(include, source, path, "too-many")
            return
        if path in self.seen:
            return
        self.seen.add(path)
        data = self.read(path)
        if data is None:
            self.problem(include, source, path, "missing")
            return
        try:
            parsed = parse_bytes(data, path, self.limits)
        except YamlSyntaxError as exc:
            self.problem(include, source, path, "syntax", exc)
            return
        self.visit(LoadedFile(path, parsed, ci_config(parsed), include))


def follow_local_includes(
    root: YamlFile,
    read: Reader,
    *,
    root_path: str | None = None,
    glob: Globber | None = None,
    limits: Limits | None = None,
    max_includes: int = MAX_INCLUDES,
) -> LocalTree:
    """Load ``root`` and, recursively, every ``include: local`` file it names.

    Missing files, wildcards without a ``glob``, non-YAML names and syntax errors become
    :class:`IncludeProblem` entries; other input errors (size cap, YAML bomb) propagate.
    Non-local includes are listed in ``external``; paths with variables in ``unresolved``.
    """
    path = normalize_local(root_path if root_path is not None else root.path)
    walker = _Walker(read, glob, limits or Limits(), max_includes)
    walker.seen.add(path)
    walker.visit(LoadedFile(path, root, ci_config(root)))
    return walker.tree


__all__ = [
    "MAX_INCLUDES",
    "IncludeProblem",
    "LoadedFile",
    "LocalTree",
    "Reader",
    "deep_merge",
    "follow_local_includes",
    "glob_regex",
    "normalize_local",
]
