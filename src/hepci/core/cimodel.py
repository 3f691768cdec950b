"""The CI model: typed, positioned views of a GitLab CI file (used by lint, audit, upgrade).

:func:`ci_config` turns the body of a :class:`~hepci.core.yamledit.YamlFile` into a
:class:`CiConfig`: normalized ``include:`` entries, jobs (hidden or not), global keywords,
deprecated globals, ``extends`` uses and ``!reference`` uses, each with its node so that a
finding can name ``path:line:col`` and an edit can patch the exact text. The model does no
I/O; following ``include: local`` lives in :mod:`hepci.core.cilocal` and reads through a
callable passed in, so the same code serves a checkout and a file fetched from GitLab.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from weakref import WeakKeyDictionary

from hepci.core.interpolation import header_defaults, input_names, interpolate
from hepci.core.yamledit import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlDocument,
    YamlFile,
    resolve_alias,
    to_data,
)
from hepci.core.yamledit.data import RECURSIVE, expanded_size
from hepci.errors import InputFileError

IncludeKind = Literal["local", "project", "remote", "template", "component", "artifact", "unknown"]

GLOBAL_KEYWORDS = frozenset({"default", "include", "stages", "variables", "workflow", "spec"})
"""Top-level keys that configure the pipeline instead of defining a job."""

DEPRECATED_GLOBALS = frozenset(
    {"image", "services", "cache", "before_script", "after_script", "types"}
)
"""Top-level keys GitLab still accepts but wants under ``default:`` (``types`` is removed)."""

RESERVED_KEYS = GLOBAL_KEYWORDS | DEPRECATED_GLOBALS

_INCLUDE_KINDS: tuple[IncludeKind, ...] = (
    "local",
    "project",
    "remote",
    "template",
    "component",
    "artifact",
)


@dataclass(frozen=True)
class Include:
    """One normalized ``include:`` entry.

    ``location`` is the local path, project path, URL, template name, component address
    (without ``@version``) or artifact name; ``ref`` is the project ``ref`` or the component
    version; ``files`` the project's file(s) (``(location,)`` for the other kinds).
    """

    kind: IncludeKind
    location: str
    index: int
    node: Node
    ref: str | None = None
    files: tuple[str, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    integrity: str | None = None
    job: str | None = None
    rules: Any = None
    short_form: bool = False
    uses_with: bool = False
    location_node: Node | None = None
    ref_node: Node | None = None
    inputs_node: MappingNode | None = None

    @property
    def component_name(self) -> str | None:
        """``image-build`` for ``$CI_SERVER_FQDN/hepci/hepci/image-build@0.1.0``."""
        if self.kind != "component":
            return None
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def component_project(self) -> str | None:
        """``hepci/hepci`` for ``$CI_SERVER_FQDN/hepci/hepci/image-build@0.1.0``."""
        if self.kind != "component":
            return None
        parts = self.location.rstrip("/").split("/")
        return "/".join(parts[1:-1]) if len(parts) > 2 else None

    def input_node(self, name: str) -> Node | None:
        """The value node of ``inputs:<name>``."""
        return resolve_alias(self.inputs_node.get(name)) if self.inputs_node else None


@dataclass(frozen=True)
class Job:
    """A top-level job (``hidden`` when its name starts with a dot)."""

    name: str
    key_node: ScalarNode
    node: Node | None
    data: Any

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".")

    def get(self, key: str, default: Any = None) -> Any:
        """The plain value of one of the job's keywords (``stage``, ``script``, ...)."""
        return self.data.get(key, default) if isinstance(self.data, dict) else default

    def key(self, key: str) -> ScalarNode | None:
        """The key node of one of the job's keywords."""
        node = resolve_alias(self.node)
        return node.key_node(key) if isinstance(node, MappingNode) else None

    def value_node(self, key: str) -> Node | None:
        node = resolve_alias(self.node)
        return resolve_alias(node.get(key)) if isinstance(node, MappingNode) else None

    @property
    def extends(self) -> tuple[str, ...]:
        value = self.get("extends")
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list):
            return tuple(v for v in value if isinstance(v, str))
        return ()

    @property
    def stage(self) -> str | None:
        value = self.get("stage")
        return value if isinstance(value, str) else None

    @property
    def needs(self) -> tuple[str, ...]:
        """Job names listed under ``needs:`` (strings or ``{job: ...}``)."""
        value = self.get("needs")
        names: list[str] = []
        for item in value if isinstance(value, list) else []:
            name = item.get("job") if isinstance(item, dict) else item
            if isinstance(name, str):
                names.append(name)
        return tuple(names)


@dataclass(frozen=True)
class ExtendsUse:
    """One target of a job's ``extends:``."""

    job: str
    target: str
    node: Node


@dataclass(frozen=True)
class ReferenceUse:
    """One ``!reference [job, key, ...]`` tag; ``job`` is the job it appears in."""

    path: tuple[str, ...]
    node: SequenceNode
    job: str | None


@dataclass(frozen=True)
class GlobalKey:
    """A top-level keyword that is not a job (``stages``, ``variables``, a deprecated ``image``)."""

    name: str
    key_node: ScalarNode
    node: Node | None
    deprecated: bool


@dataclass(eq=False)
class CiConfig:
    """The body of one CI file as typed views. ``data`` is GitLab's plain reading of it."""

    path: str
    document: YamlDocument | None
    data: dict[str, Any]
    includes: list[Include]
    jobs: dict[str, Job]
    globals: dict[str, GlobalKey]
    extends_uses: list[ExtendsUse]
    references: list[ReferenceUse]

    @property
    def stages(self) -> list[str] | None:
        value = self.data.get("stages")
        return [s for s in value if isinstance(s, str)] if isinstance(value, list) else None

    @property
    def variables(self) -> dict[str, Any]:
        value = self.data.get("variables")
        return value if isinstance(value, dict) else {}

    @property
    def default(self) -> dict[str, Any]:
        value = self.data.get("default")
        return value if isinstance(value, dict) else {}

    @property
    def workflow(self) -> dict[str, Any]:
        value = self.data.get("workflow")
        return value if isinstance(value, dict) else {}

    @property
    def deprecated_globals(self) -> list[GlobalKey]:
        return [g for g in self.globals.values() if g.deprecated]

    @property
    def hidden_jobs(self) -> dict[str, Job]:
        return {name: job for name, job in self.jobs.items() if job.hidden}

    def find(self, *path: str | int) -> Node | None:
        """The positioned node at ``path`` in the body (``None`` if absent)."""
        return self.document.find(path) if self.document is not None else None


_CONFIGS: WeakKeyDictionary[YamlFile, CiConfig] = WeakKeyDictionary()
_CONFIGS_LOCK = threading.Lock()


def ci_config(file: YamlFile) -> CiConfig:
    """The CI model of ``file``'s body (the document after a ``spec:`` header, if any).

    Kept per parsed file (files are never modified in place): a group audit shares parsed
    files between projects with the same content.
    """
    with _CONFIGS_LOCK:
        known = _CONFIGS.get(file)
    if known is None:
        known = config_from_document(file.body, file.path)
        with _CONFIGS_LOCK:
            _CONFIGS[file] = known
    return known


def config_from_document(document: YamlDocument | None, path: str) -> CiConfig:
    if document is not None:
        check_expansion(document)
    data = document.data if document is not None else None
    root = document.mapping() if document is not None else None
    plain: dict[str, Any] = data if isinstance(data, dict) else {}
    jobs: dict[str, Job] = {}
    global_keys: dict[str, GlobalKey] = {}
    for name, key_node, value_node in root.pairs() if root is not None else ():
        if not isinstance(key_node, ScalarNode):
            continue
        if name in RESERVED_KEYS:
            global_keys[name] = GlobalKey(name, key_node, value_node, name in DEPRECATED_GLOBALS)
        else:
            jobs[name] = Job(name, key_node, value_node, plain.get(name))
    return CiConfig(
        path=path,
        document=document,
        data=plain,
        includes=parse_includes(root.get("include") if root is not None else None),
        jobs=jobs,
        globals=global_keys,
        extends_uses=_extends_uses(jobs),
        references=list(_references(root)),
    )


def check_expansion(document: YamlDocument) -> None:
    """Refuse a YAML bomb before expanding it (:attr:`YamlDocument.data` would, slowly)."""
    size = expanded_size(document.root)
    if size == RECURSIVE:
        _ = document.data  # raises, naming the alias that refers to its own container
    if size > document.limits.max_expanded_nodes:
        line = document.root.start.lineno if document.root is not None else None
        raise InputFileError(
            "alias expansion too large (a YAML bomb?)", path=document.path, line=line
        )


def _extends_uses(jobs: Mapping[str, Job]) -> list[ExtendsUse]:
    uses: list[ExtendsUse] = []
    for job in jobs.values():
        node = job.value_node("extends")
        items = node.items if isinstance(node, SequenceNode) else [node]
        for item in items:
            target = resolve_alias(item)
            if isinstance(target, ScalarNode) and target.value:
                uses.append(ExtendsUse(job.name, target.value, target))
    return uses


def _references(root: MappingNode | None) -> Iterator[ReferenceUse]:
    if root is None:
        return
    for name, _, value in root.pairs():
        for node in value.walk():
            if isinstance(node, SequenceNode) and node.tag == "!reference":
                path = tuple(
                    item.value if isinstance(item, ScalarNode) else "" for item in node.items
                )
                yield ReferenceUse(path, node, None if name in RESERVED_KEYS else name)


# ---------------------------------------------------------------------------------- includes


def parse_includes(node: Node | None) -> list[Include]:
    """Normalize an ``include:`` value (string, mapping or list of them)."""
    node = resolve_alias(node)
    if node is None:
        return []
    items = node.items if isinstance(node, SequenceNode) else [node]
    found: list[Include] = []
    for index, raw in enumerate(items):
        item = resolve_alias(raw)
        if item is not None:
            found.append(_include(item, index))
    return found


def _scalar(node: Node | None) -> tuple[str | None, Node | None]:
    node = resolve_alias(node)
    if isinstance(node, ScalarNode):
        return node.value, node
    return None, node


def _include(node: Node, index: int) -> Include:
    if isinstance(node, ScalarNode):
        text = node.value.strip()
        kind: IncludeKind = "remote" if re.match(r"(?i)^https?://", text) else "local"
        return Include(kind, text, index, node, files=(text,), short_form=True, location_node=node)
    if not isinstance(node, MappingNode):
        return Include("unknown", "", index, node)

    kind = next((k for k in _INCLUDE_KINDS if node.get(k) is not None), "unknown")
    location, location_node = _scalar(node.get(kind)) if kind != "unknown" else (None, None)
    ref, ref_node = _scalar(node.get("ref"))
    files: tuple[str, ...] = (location,) if location else ()
    if kind == "project":
        file_value = to_data(node.get("file"))
        if isinstance(file_value, str):
            files = (file_value,)
        elif isinstance(file_value, list):
            files = tuple(str(f) for f in file_value)
        else:
            files = ()
    elif kind == "component" and location and "@" in location:
        location, ref = location.rsplit("@", 1)
        ref_node, files = location_node, (location,)
    inputs_key = "inputs" if node.get("inputs") is not None else "with"
    inputs_node = resolve_alias(node.get(inputs_key))
    inputs = to_data(inputs_node)
    integrity, _ = _scalar(node.get("integrity"))
    job, _ = _scalar(node.get("job"))
    return Include(
        kind=kind,
        location=location or "",
        index=index,
        node=node,
        ref=ref,
        files=files,
        inputs=inputs if isinstance(inputs, dict) else {},
        integrity=integrity,
        job=job,
        rules=to_data(node.get("rules")),
        uses_with=inputs_key == "with" and inputs_node is not None,
        location_node=location_node,
        ref_node=ref_node,
        inputs_node=inputs_node if isinstance(inputs_node, MappingNode) else None,
    )


def job_names(configs: list[CiConfig]) -> set[str]:
    """Every job name defined across ``configs``."""
    return {name for config in configs for name in config.jobs}


__all__ = [
    "DEPRECATED_GLOBALS",
    "GLOBAL_KEYWORDS",
    "RESERVED_KEYS",
    "CiConfig",
    "ExtendsUse",
    "GlobalKey",
    "Include",
    "IncludeKind",
    "Job",
    "ReferenceUse",
    "check_expansion",
    "ci_config",
    "config_from_document",
    "expanded_size",
    "header_defaults",
    "input_names",
    "interpolate",
    "job_names",
    "parse_includes",
]
