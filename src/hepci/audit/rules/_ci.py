"""Helpers shared by the CI rules: walking the CI files, locating job keys, template uses."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding
from hepci.audit.rule import Skip
from hepci.core.cilocal import LoadedFile
from hepci.core.cimodel import Include
from hepci.core.yamledit import YamlFile

PINNED_REF = re.compile(r"^(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
FULL_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
VERSION_TAG = re.compile(r"^(?:[A-Za-z0-9_.-]*[-_/])?v?\d+\.\d+\.\d+(?:[-+.][0-9A-Za-z.-]+)?$")
PARTIAL_VERSION = re.compile(r"^v?\d+(?:\.\d+)?$")


def ref_problem(ref: str | None, how: str) -> str | None:
    """Why an include ``ref`` (project, remote URL) or component version moves, else ``None``.

    Decided by shape alone (no call to the forge): a full commit SHA or a ref that looks like
    a release (``1.2.3``, ``v2025.09.0``, ``release-1.2.3``) is pinned; a missing ref, ``HEAD``,
    ``~latest``, a partial version (``1``, ``1.2``), an abbreviated SHA and anything else
    (``main``, ``master``, ``develop``...) is not. ``$CI_COMMIT_SHA`` is a full SHA.
    """
    if ref is None or not ref.strip():
        return "no `ref`: follows the default branch" if how != "component" else "no version"
    ref = ref.strip()
    if ref in ("$CI_COMMIT_SHA", "${CI_COMMIT_SHA}") or FULL_SHA.match(ref):
        return None
    if ref.startswith("~latest"):
        return f"`{ref}` moves with every release"
    if ref == "HEAD":
        return "`HEAD` follows the default branch"
    if SHORT_SHA.match(ref) and not ref.isdigit():
        return (
            f"abbreviated SHA `{ref}`: a branch or tag of that name would win and it can become "
            "ambiguous; use the full 40-character SHA"
        )
    if VERSION_TAG.match(ref):
        return None
    if PARTIAL_VERSION.match(ref):
        return f"partial version `{ref}` moves with every release"
    return f"`{ref}` looks like a branch, not a tag or full commit SHA"


def ci_files(ctx: AuditContext) -> list[LoadedFile]:
    """The CI file and its local includes; :class:`Skip` when there is no parsed CI file."""
    tree = ctx.ci.tree
    if tree is None:
        raise Skip("no parsed CI configuration")
    return tree.files


FileCheck = Callable[[LoadedFile], list[Finding]]
_BY_FILE: WeakKeyDictionary[YamlFile, dict[tuple[str, str], tuple[Finding, ...]]] = (
    WeakKeyDictionary()
)
_BY_FILE_LOCK = threading.Lock()


def file_findings(rule_id: str, loaded: LoadedFile, check: FileCheck) -> list[Finding]:
    """``check(loaded)``, kept per parsed file and path for as long as the file lives.

    A group sweep shares one parsed file between every project with the same content
    (:class:`~hepci.audit.context.ParseMemo`); a check that reads nothing but ``loaded``
    (its path, text and CI model) then runs once per distinct file, not once per project.
    Parsed files are never modified (edits make new ones), so a kept result stays right; a
    check that raises is not kept.
    """
    key = (rule_id, loaded.path)
    with _BY_FILE_LOCK:
        kept = _BY_FILE.get(loaded.file)
        found = kept.get(key) if kept is not None else None
    if found is None:
        found = tuple(check(loaded))
        with _BY_FILE_LOCK:
            _BY_FILE.setdefault(loaded.file, {})[key] = found
    return list(found)


def job_location(ctx: AuditContext, name: str, key: str | None = None) -> tuple[str, int]:
    """(path, line) of ``key`` in job ``name`` (following ``extends``), else of the job."""
    tree = ctx.ci.tree
    if tree is None:
        return ctx.ci.path, 1
    found = _key_location(ctx, name, key) if key else None
    if found:
        return found
    for loaded in reversed(tree.files):
        job = loaded.config.jobs.get(name)
        if job is not None:
            return loaded.path, job.key_node.start.lineno
    return ctx.ci.path, 1


def _key_location(ctx: AuditContext, name: str, key: str) -> tuple[str, int] | None:
    """Where ``key`` of job ``name`` is written: the job itself, else the first parent along
    ``extends`` (depth first, in order, at most GitLab's 11 levels). Each job is looked at once:
    a hostile file whose jobs each extend the same 100 others has 100^11 paths, not jobs."""
    tree = ctx.ci.tree
    if tree is None:
        return None
    order = [tree.files[0], *reversed(tree.files[1:])]
    seen: set[str] = set()
    stack: list[tuple[str, int]] = [(name, 0)]
    while stack:
        job_name, depth = stack.pop()
        if job_name in seen or depth > 11:
            continue
        seen.add(job_name)
        for loaded in order:
            job = loaded.config.jobs.get(job_name)
            key_node = job.key(key) if job is not None else None
            if key_node is not None:
                return loaded.path, key_node.start.lineno
        parents = [
            parent
            for loaded in tree.files
            if (job := loaded.config.jobs.get(job_name)) is not None
            for parent in job.extends
        ]
        stack.extend((parent, depth + 1) for parent in reversed(parents))
    return None


def script_lines(job: dict[str, Any]) -> Iterator[str]:
    for key in ("before_script", "script", "after_script"):
        value = job.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                yield item
            elif isinstance(item, list):
                yield from (s for s in item if isinstance(s, str))


def image_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass(frozen=True)
class TemplateUse:
    """An include of a hepci template: how, which ref, where."""

    how: str  # project | component | remote
    ref: str | None
    path: str
    line: int
    include: Include


def _remote_ref(url: str, project: str) -> str | bool | None:
    marker = f"/{project}/-/raw/"
    if marker not in url:
        return False
    return url.split(marker, 1)[1].split("/", 1)[0] or None


def template_ref(inc: Include, project: str) -> tuple[str, str | None] | None:
    """(how, ref) when ``inc`` includes the hepci templates of ``project``, else ``None``."""
    if inc.kind == "project" and inc.location.strip("/") == project:
        return "project", inc.ref
    if inc.kind == "component" and inc.component_project == project:
        return "component", inc.ref
    if inc.kind == "remote" and (found := _remote_ref(inc.location, project)) is not False:
        return "remote", found if isinstance(found, str) else None
    return None


def template_uses(ctx: AuditContext) -> list[TemplateUse]:
    project = ctx.config.templates_project
    uses = []
    for loaded in ci_files(ctx):
        for inc in loaded.config.includes:
            found = template_ref(inc, project)
            if found is None:
                continue
            node = inc.ref_node or inc.node
            uses.append(TemplateUse(found[0], found[1], loaded.path, node.start.lineno, inc))
    return uses


def semver(ref: str) -> tuple[int, int, int] | None:
    match = SEMVER.match(ref)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def behind(old: tuple[int, int, int], new: tuple[int, int, int]) -> str | None:
    """How far ``old`` is behind ``new`` in words, or ``None`` when it is not behind."""
    if old >= new:
        return None
    for index, word in enumerate(("major", "minor", "patch")):
        if old[index] != new[index]:
            count = new[index] - old[index]
            plural = "s" if count != 1 else ""
            return f"{count} {word} version{plural} behind"
    return None
