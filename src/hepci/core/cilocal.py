"""Following ``include: local`` from a CI file, and the jobs of the files it pulls in.

Pure: files are read through a ``read(path) -> bytes | None`` callable (repo-relative POSIX
paths; ``None`` = no such file) and wildcards are expanded by an optional
``glob(pattern) -> paths`` callable, so the same code works on a checkout, a git tree or files
fetched from GitLab. GitLab's rules: paths are relative to the repository root (a leading
``/`` is optional), only ``.yml``/``.yaml``, ``*`` matches within a folder and ``**`` across
folders, at most 150 includes, and the including file wins when jobs are merged.

The root rule (:mod:`hepci.core.safefs`): an include whose path leaves the repository root
(``../x.yml``, ``sub/../../x.yml``, ``/../x.yml``), or that the reader refuses because a
symbolic link on the way points outside, raises :class:`~hepci.errors.OutsideRootError` at the
include (file, line, column): nothing outside the root is read.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from hepci.core.cimodel import CiConfig, Include, Job, ci_config
from hepci.core.yamledit import Limits, YamlFile, parse_bytes
from hepci.errors import HepciError, OutsideRootError, YamlSyntaxError

Reader = Callable[[str], "bytes | None"]
Globber = Callable[[str], "list[str]"]
ProblemKind = Literal["missing", "not-yaml", "syntax", "no-glob", "too-many", "cycle"]

MAX_INCLUDES = 150
EXTENDS_DEPTH = 11
"""Levels of ``extends`` inheritance GitLab follows ("up to eleven levels", docs
``ci/yaml/_index.md#extends``): ``Extendable::Entry::MAX_NESTING_LEVELS = 10`` ancestors of an
entry that itself extends (``lib/gitlab/ci/config/extendable/entry.rb``)."""


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

    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _memo_files: int = field(default=-1, repr=False, compare=False)

    def _cache(self) -> dict[Any, Any]:
        """Memoized definitions, merged and resolved jobs (dropped when files are added)."""
        if self._memo_files != len(self.files):
            self._memo.clear()
            self._memo_files = len(self.files)
        return self._memo

    def definitions(self) -> dict[str, list[Job]]:
        """Every definition of every job name, in merge order (the root file's last)."""
        cache = self._cache()
        found: dict[str, list[Job]] | None = cache.get("definitions")
        if found is None:
            found = {}
            for loaded in [*self.files[1:], self.files[0]]:
                for name, job in loaded.config.jobs.items():
                    found.setdefault(name, []).append(job)
            cache["definitions"] = found
        return found

    def job_data(self, name: str) -> Any:
        """The job's plain data, deep-merged across files like GitLab merges includes."""
        cache = self._cache()
        key = ("data", name)
        if key not in cache:
            merged: Any = None
            for job in self.definitions().get(name, []):
                merged = deep_merge(merged, job.data)
            cache[key] = merged
        return cache[key]

    def hidden_jobs(self) -> dict[str, Any]:
        """Hidden jobs (``.name``) across the tree, merged."""
        return {n: self.job_data(n) for n in self.definitions() if n.startswith(".")}

    def resolved_job(self, name: str) -> Any:
        """The job's data with its ``extends`` chain merged in (``None`` if it is unknown).

        At most :data:`EXTENDS_DEPTH` + 1 levels of parents are followed (GitLab rejects more),
        and each (job, level) is resolved once: linear in the jobs, however the chains share
        parents, and a cycle ends at the depth limit instead of looping.
        """
        return _resolve_extends(self.job_data, name, 0, self._cache())


def deep_merge(base: Any, override: Any) -> Any:
    """GitLab's merge: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value)
        return merged
    return override


def _resolve_extends(
    lookup: Callable[[str], Any], name: str, depth: int, memo: dict[Any, Any]
) -> Any:
    """Recursion bounded by ``EXTENDS_DEPTH`` (12 frames at most), memoized per (job, depth)."""
    key = ("resolved", name, depth)
    if key in memo:
        return memo[key]
    data = lookup(name)
    if not isinstance(data, dict) or depth > EXTENDS_DEPTH:
        memo[key] = data
        return data
    parents = data.get("extends")
    parent_names = [parents] if isinstance(parents, str) else parents
    merged: Any = {}
    for parent in parent_names if isinstance(parent_names, list) else []:
        if isinstance(parent, str):
            resolved = _resolve_extends(lookup, parent, depth + 1, memo)
            merged = deep_merge(merged, resolved if isinstance(resolved, dict) else {})
    memo[key] = deep_merge(merged, data)
    return memo[key]


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


def inside_path(path: str) -> str | None:
    """``path`` with ``.``/``..`` folded, or ``None`` when it climbs above the root."""
    if not path:
        return path
    folded = posixpath.normpath(path)
    if folded == ".." or folded.startswith("../"):
        return None
    return folded


def _outside(source: str, include: Include, why: str) -> OutsideRootError:
    node = include.location_node or include.node
    return OutsideRootError(
        f"include {include.location!r}: {why}",
        path=source,
        line=node.start.lineno,
        column=node.start.colno,
    )


@dataclass
class _Walker:
    read: Reader
    glob: Globber | None
    limits: Limits
    max_includes: int
    tree: LocalTree = field(default_factory=lambda: LocalTree(files=[]))
    seen: set[str] = field(default_factory=set)
    count: int = 0
    chain: list[str] = field(default_factory=list)  # the files being visited, root first

    def visit(self, loaded: LoadedFile) -> None:
        """Recursive through :meth:`load`, bounded: at most ``max_includes`` (150) levels."""
        self.tree.files.append(loaded)
        self.chain.append(loaded.path)
        try:
            self._visit_includes(loaded)
        finally:
            self.chain.pop()

    def _visit_includes(self, loaded: LoadedFile) -> None:
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
        path = inside_path(normalize_local(include.location))
        if path is None:
            raise _outside(source, include, "leaves the repository root")
        if "*" not in path:
            return [path]
        if self.glob is None:
            self.problem(include, source, path, "no-glob")
            return []
        fixed = path.split("*", 1)[0].rpartition("/")[0]
        try:
            if fixed:  # the source refuses a fixed folder that leaves the root (a link)
                self.read(fixed)
            found = self.glob(path)
        except OutsideRootError as exc:
            raise _outside(source, include, exc.message) from None
        return sorted(p for p in found if glob_regex(path).fullmatch(p))

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
            if path in self.chain:  # GitLab would follow the loop up to its include limit
                self.problem(include, source, path, "cycle")
            return
        self.seen.add(path)
        try:
            data = self.read(path)
        except OutsideRootError as exc:
            raise _outside(source, include, exc.message) from None
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
    "inside_path",
    "normalize_local",
]
