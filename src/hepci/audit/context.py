"""The shared, lazily parsed view of one repository that every rule reads (like repo-review's
fixtures): each file is read and parsed at most once per repository, and parse failures are
kept as values, never raised, so hostile files become findings instead of crashes.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hepci.core.dockerfiles import dockerfile_paths
from hepci.core.repo import Repo, RepoFile, RepoMeta
from hepci.errors import HepciError

if TYPE_CHECKING:
    from hepci.audit.config import AuditConfig
    from hepci.audit.dockerfile import Dockerfile
    from hepci.core.cilocal import LocalTree
    from hepci.core.yamledit import Limits, YamlFile

CI_FILE = ".gitlab-ci.yml"
REANA_NAMES = ("reana.yaml", "reana.yml")
SNAKEFILE_NAMES = ("Snakefile", "workflow/Snakefile")
MAX_TEXT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Parsed:
    """A YAML file read from the repository: parsed, or the error that stopped it."""

    path: str
    file: YamlFile | None
    data: Any
    error: HepciError | None


@dataclass(frozen=True)
class CiView:
    """The CI file and its local includes, or why they could not be read."""

    path: str
    present: bool
    error: HepciError | None = None
    tree: LocalTree | None = None


DEFAULT_KEYS = (
    "image", "services", "before_script", "after_script", "cache", "tags", "artifacts",
    "retry", "timeout", "interruptible", "hooks", "id_tokens",
)  # fmt: skip


GLOBAL_DEFAULTS = ("image", "services", "cache", "before_script", "after_script")


def _with_defaults(job: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    inherit = job.get("inherit")
    wanted = inherit.get("default", True) if isinstance(inherit, dict) else True
    if wanted is False:
        return job
    keys = [k for k in DEFAULT_KEYS if wanted is True or (isinstance(wanted, list) and k in wanted)]
    filled = dict(job)
    for key in keys:
        if key not in filled and key in defaults:
            filled[key] = defaults[key]
    return filled


class ParseMemo:
    """Parsed YAML files by path and content, least recently used first out.

    A group sweep meets the same file (one template's ``.gitlab-ci.yml``, one ``reana.yaml``)
    in many projects; parsed files are never modified (edits make new ones), so they are
    shared. Bounded by entries and by the bytes of the texts kept.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._files: OrderedDict[tuple[str, bytes, Limits], YamlFile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(
        self, path: str, raw: bytes, limits: Limits, parse: Callable[[bytes, str, Limits], YamlFile]
    ) -> YamlFile:
        key = (path, raw, limits)
        with self._lock:
            found = self._files.get(key)
            if found is not None:
                self._files.move_to_end(key)
                self.hits += 1
                return found
        parsed = parse(raw, path, limits)  # errors are raised, not kept
        with self._lock:
            self.misses += 1
            if len(raw) <= self.max_bytes // 8 and key not in self._files:
                self._files[key] = parsed
                self._bytes += len(raw)
                while len(self._files) > self.max_entries or self._bytes > self.max_bytes:
                    (_, old, _), _ = self._files.popitem(last=False)
                    self._bytes -= len(old)
        return parsed


PARSED = ParseMemo()


class AuditContext:
    """Everything rules need, computed on first use and cached."""

    def __init__(self, repo: Repo, config: AuditConfig) -> None:
        self.repo = repo
        self.config = config
        self._texts: dict[str, str | None] = {}
        self._parsed: dict[str, Parsed] = {}  # several rules and the record read the same file

    # ----------------------------------------------------------------- files and listing
    @property
    def meta(self) -> RepoMeta | None:
        return self.repo.meta

    @cached_property
    def listing(self) -> list[RepoFile] | None:
        return self.repo.files()

    @cached_property
    def sizes(self) -> dict[str, int] | None:
        return None if self.listing is None else {f.path: f.size for f in self.listing}

    def exists(self, path: str) -> bool:
        if self.sizes is not None:
            return path in self.sizes
        return self.text(path) is not None or self.read(path) is not None

    def glob(self, pattern: str) -> list[str]:
        """Listed paths matching a shell pattern (``[]`` when the source cannot list)."""
        if self.sizes is None:
            return []
        return [p for p in self.sizes if fnmatch.fnmatchcase(p, pattern)]

    def first_existing(self, names: tuple[str, ...]) -> str | None:
        return next((name for name in names if self.exists(name)), None)

    def read(
        self, path: str, max_bytes: int | None = None, *, strict: bool = False
    ) -> bytes | None:
        """File bytes; files listed larger than ``max_bytes`` are not read (``None``).

        ``strict`` (``include: local``): errors propagate instead of reading as absent, and a
        path the listing lacks is still shown to the repository, which refuses one that
        leaves the root (a symbolic link pointing outside) with ``OutsideRootError``.
        """
        if self.sizes is not None:
            size = self.sizes.get(path)
            if size is None and strict:
                self.repo.read(path)  # raises for a path leaving the root; unlisted = absent
            if size is None or (max_bytes is not None and size > max_bytes):
                return None
        try:
            return self.repo.read(path)
        except HepciError:
            if strict:
                raise
            return None

    def text(self, path: str) -> str | None:
        """UTF-8 text of a small text file, ``None`` if absent, binary or too large."""
        if path not in self._texts:
            data = self.read(path, MAX_TEXT_BYTES)
            text: str | None = None
            if data is not None and len(data) <= MAX_TEXT_BYTES and b"\x00" not in data[:8192]:
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = None
            self._texts[path] = text
        return self._texts[path]

    def parse_yaml(self, path: str) -> Parsed:
        if path not in self._parsed:
            self._parsed[path] = self._parse_yaml(path)
        return self._parsed[path]

    def _parse_yaml(self, path: str) -> Parsed:
        from hepci.core.yamledit import Limits, parse_bytes

        limits = Limits()
        size = None if self.sizes is None else self.sizes.get(path)
        try:
            if size is not None and size > limits.max_bytes:
                from hepci.errors import InputFileError

                raise InputFileError(
                    f"file is {size:,} bytes, over the {limits.max_bytes:,}-byte limit",
                    path=path,
                )
            raw = self.repo.read(path)
            if raw is None:
                return Parsed(path, None, None, None)
            parsed = PARSED.get(path, raw, limits, parse_bytes)
            body = parsed.body
            return Parsed(path, parsed, body.data if body is not None else None, None)
        except HepciError as exc:
            return Parsed(path, None, None, exc)

    # ------------------------------------------------------------------------- CI
    @cached_property
    def ci(self) -> CiView:
        from hepci.core.cilocal import follow_local_includes

        extra = self.meta.extra if self.meta is not None else {}
        path = str(extra.get("ci_config_path") or CI_FILE)
        if not self.exists(path):
            return CiView(path, present=False)
        parsed = self.parse_yaml(path)
        if parsed.error is not None or parsed.file is None:
            return CiView(path, True, parsed.error)
        try:
            tree = follow_local_includes(
                parsed.file,
                lambda p: self.read(p, 2 * 1024 * 1024, strict=True),
                root_path=path,
                glob=self.glob if self.sizes is not None else None,
            )
            for loaded in tree.files:  # force alias expansion: YAML bombs fail here
                _ = loaded.config.data
        except HepciError as exc:
            return CiView(path, True, exc)
        return CiView(path, True, None, tree)

    @cached_property
    def ci_defaults(self) -> dict[str, Any]:
        """``default:`` merged over the files (root last), then the deprecated globals."""
        tree = self.ci.tree
        if tree is None:
            return {}
        from hepci.core.cilocal import deep_merge

        merged: dict[str, Any] = {}
        for loaded in [*tree.files[1:], tree.files[0]]:
            for key in GLOBAL_DEFAULTS:
                if key in loaded.config.data:
                    merged[key] = loaded.config.data[key]  # deprecated global keyword
            merged = deep_merge(merged, loaded.config.default)
        return merged

    @cached_property
    def ci_jobs(self) -> dict[str, Any]:
        """Every visible job: ``extends`` resolved, ``default:`` keywords filled in (as GitLab
        does unless ``inherit:default`` says otherwise), keyed by name."""
        tree = self.ci.tree
        if tree is None:
            return {}
        jobs = {}
        for name in tree.definitions():
            if name.startswith("."):
                continue
            data = tree.resolved_job(name)
            if isinstance(data, dict):
                jobs[name] = _with_defaults(data, self.ci_defaults)
        return jobs

    # ------------------------------------------------------------------- Dockerfiles
    @cached_property
    def dockerfile_paths(self) -> list[str]:
        return dockerfile_paths(self.sizes, self.exists)

    @cached_property
    def dockerfiles(self) -> list[Dockerfile]:
        from hepci.audit.dockerfile import parse_dockerfile

        parsed = []
        for path in self.dockerfile_paths:
            text = self.text(path)
            if text is not None:
                parsed.append(parse_dockerfile(text, path))
        return parsed

    # ----------------------------------------------------------------------- workflows
    @cached_property
    def reana_path(self) -> str | None:
        found = self.first_existing(REANA_NAMES)
        if found is None and self.sizes is not None:
            found = next(iter(sorted(self.glob("reana*.y*ml"))), None)
        return found

    @cached_property
    def reana(self) -> Parsed | None:
        return None if self.reana_path is None else self.parse_yaml(self.reana_path)

    @cached_property
    def snakefiles(self) -> list[str]:
        found = [name for name in SNAKEFILE_NAMES if self.exists(name)]
        found += [p for p in self.glob("*.smk") + self.glob("*/*.smk") if p not in found]
        return found

    @cached_property
    def workflow_files(self) -> dict[str, list[str]]:
        """Workflow descriptions by engine (``snakemake``, ``reana``, ``yadage``, ``cwl``)."""
        found: dict[str, list[str]] = {}
        if self.snakefiles:
            found["snakemake"] = self.snakefiles
        if self.reana_path:
            found["reana"] = [self.reana_path]
        yadage = [p for p in self.glob("*") if "yadage" in p.lower() and p.endswith(".yml")]
        yadage += [p for p in self.glob("*.yadage.y*ml") if p not in yadage]
        if yadage:
            found["yadage"] = sorted(yadage)
        cwl = self.glob("*.cwl")
        if cwl:
            found["cwl"] = sorted(cwl)
        return found
