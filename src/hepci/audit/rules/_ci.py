"""Helpers shared by the CI rules: walking the CI files, locating job keys, template uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hepci.audit.context import AuditContext
from hepci.audit.rule import Skip
from hepci.core.cilocal import LoadedFile
from hepci.core.cimodel import Include

PINNED_REF = re.compile(r"^(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?|[0-9a-f]{40})$")
SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


def ci_files(ctx: AuditContext) -> list[LoadedFile]:
    """The CI file and its local includes; :class:`Skip` when there is no parsed CI file."""
    tree = ctx.ci.tree
    if tree is None:
        raise Skip("no parsed CI configuration")
    return tree.files


def job_location(ctx: AuditContext, name: str, key: str | None = None) -> tuple[str, int]:
    """(path, line) of ``key`` in job ``name`` (following ``extends``), else of the job."""
    tree = ctx.ci.tree
    if tree is None:
        return ctx.ci.path, 1
    found = _key_location(ctx, name, key, 0) if key else None
    if found:
        return found
    for loaded in reversed(tree.files):
        job = loaded.config.jobs.get(name)
        if job is not None:
            return loaded.path, job.key_node.start.lineno
    return ctx.ci.path, 1


def _key_location(ctx: AuditContext, name: str, key: str, depth: int) -> tuple[str, int] | None:
    tree = ctx.ci.tree
    if tree is None or depth > 11:
        return None
    for loaded in [tree.files[0], *reversed(tree.files[1:])]:
        job = loaded.config.jobs.get(name)
        if job is None:
            continue
        key_node = job.key(key)
        if key_node is not None:
            return loaded.path, key_node.start.lineno
    parents: list[str] = []
    for loaded in tree.files:
        job = loaded.config.jobs.get(name)
        if job is not None:
            parents.extend(job.extends)
    for parent in parents:
        found = _key_location(ctx, parent, key, depth + 1)
        if found:
            return found
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


def template_uses(ctx: AuditContext) -> list[TemplateUse]:
    project = ctx.config.templates_project
    uses = []
    for loaded in ci_files(ctx):
        for inc in loaded.config.includes:
            ref: str | None
            if inc.kind == "project" and inc.location.strip("/") == project:
                how, ref = "project", inc.ref
            elif inc.kind == "component" and inc.component_project == project:
                how, ref = "component", inc.ref
            elif (
                inc.kind == "remote" and (found := _remote_ref(inc.location, project)) is not False
            ):
                how, ref = "remote", found if isinstance(found, str) else None
            else:
                continue
            node = inc.ref_node or inc.node
            uses.append(TemplateUse(how, ref, loaded.path, node.start.lineno, inc))
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
