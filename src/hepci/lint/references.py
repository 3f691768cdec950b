"""``extends:`` and ``!reference`` targets, ``!reference`` form, and duplicate keys
(GitLab's limits on chains of them: :mod:`hepci.lint.chains`).

Targets are looked up across the file and its local includes. When some configuration comes
from where we cannot see (a ``project``/``remote``/``template`` include, a local include we
could not read), a missing target is not reported: it may be defined there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hepci.core.cilocal import LoadedFile, LocalTree
from hepci.core.cimodel import interpolate
from hepci.core.yamledit import Node, Reference, ScalarNode, SequenceNode
from hepci.lint import chains

Report = Callable[[LoadedFile, Node | None, str, str], None]
"""``report(file, node, code, message)``."""


@dataclass
class TargetContext:
    """What is known about the jobs visible from a tree."""

    tree: LocalTree
    complete: bool
    template_jobs: set[str] = field(default_factory=set)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # per file: input values

    def known(self) -> set[str]:
        return set(self.tree.definitions()) | self.template_jobs

    def expand(self, loaded: LoadedFile, text: str) -> str | None:
        """``text`` with the file's inputs interpolated; ``None`` if blocks remain."""
        value = interpolate(text, self.values.get(loaded.path, {}))
        text = value if isinstance(value, str) else str(value)
        return None if "$[[" in text else text


def check_duplicates(loaded: LoadedFile, report: Report) -> None:
    for dup in loaded.file.duplicates:
        first = dup.first.start
        report(
            loaded,
            dup.duplicate,
            "HL303",
            f"duplicate key {dup.key!r} (first at line {first.lineno}); GitLab keeps this one",
        )


def check_reference_form(loaded: LoadedFile, report: Report) -> None:
    body = loaded.file.body
    if body is None or body.root is None:
        return
    for node in body.root.walk():
        if node.tag != "!reference":
            continue
        ok = (
            isinstance(node, SequenceNode)
            and bool(node.items)
            and all(isinstance(i, ScalarNode) and i.value for i in node.items)
        )
        if not ok:
            report(loaded, node, "HL306", "!reference must be a list like [.job, key]")


def check_extends(ctx: TargetContext, report: Report) -> None:
    known = ctx.known()
    graph = _extends_graph(ctx)
    loops = chains.cyclic(graph)
    for loaded in ctx.tree.files:
        for use in loaded.config.extends_uses:
            target = ctx.expand(loaded, use.target)
            job = ctx.expand(loaded, use.job)
            if target is None or job is None:
                continue
            if target == job or (job in loops and loops[job] is loops.get(target)):
                report(loaded, use.node, "HL305", f"{job!r} extends {target!r}, which is a cycle")
            elif target not in known and ctx.complete:
                report(loaded, use.node, "HL301", f"extends unknown job {target!r}")
    chains.check_extends_depth(ctx, graph, report)


def _extends_graph(ctx: TargetContext) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for loaded in ctx.tree.files:
        for use in loaded.config.extends_uses:
            target, job = ctx.expand(loaded, use.target), ctx.expand(loaded, use.job)
            if target is not None and job is not None:
                graph.setdefault(job, set()).add(target)
    return graph


def check_references(ctx: TargetContext, report: Report) -> None:
    known = ctx.known()
    defined = ctx.tree.definitions()
    for loaded in ctx.tree.files:
        for use in loaded.config.references:
            if not use.path or not all(use.path):
                continue  # HL306 reports the form
            path = [ctx.expand(loaded, part) for part in use.path]
            if any(part is None for part in path):
                continue
            steps = [p for p in path if p is not None]
            message = _reference_problem(ctx, steps, known, defined)
            if message is not None:
                report(loaded, use.node, "HL302", message)
    chains.check_reference_chains(ctx, report)


def _reference_problem(
    ctx: TargetContext, steps: list[str], known: set[str], defined: Mapping[str, Any]
) -> str | None:
    name = steps[0]
    if name not in known:
        return f"!reference to unknown job {name!r}" if ctx.complete else None
    if name not in defined or not ctx.complete or not _chain_known(ctx, name):
        return None  # defined by a template we only know by name, or HL301 reports the chain
    data: Any = ctx.tree.resolved_job(name)
    for depth, key in enumerate(steps[1:], start=1):
        if isinstance(data, Reference):
            return None  # a nested reference: GitLab resolves it first
        if not isinstance(data, dict) or key not in data:
            where = ", ".join(steps[:depth])
            return f"!reference [{where}] has no key {key!r}"
        data = data[key]
    return None


def _chain_known(ctx: TargetContext, name: str) -> bool:
    """Whether every job in ``name``'s ``extends`` chain is defined in the tree (no cycle).

    Iterative: a chain of any length costs a list, not Python stack frames.
    """
    data = ctx.tree.job_data(name)
    if data is None:
        return False
    done: set[str] = set()
    open_names = {name}
    stack = [(name, iter(_parents(data)))]
    while stack:
        current, parents = stack[-1]
        parent = next(parents, None)
        if parent is None:
            stack.pop()
            open_names.discard(current)
            done.add(current)
        elif not isinstance(parent, str) or parent in open_names:
            return False  # a cycle: HL305 reports it
        elif parent not in done:
            parent_data = ctx.tree.job_data(parent)
            if parent_data is None:
                return False
            open_names.add(parent)
            stack.append((parent, iter(_parents(parent_data))))
    return True


def _parents(data: Any) -> list[Any]:
    parents = data.get("extends") if isinstance(data, dict) else None
    if isinstance(parents, str):
        return [parents]
    return list(parents) if isinstance(parents, list) else []


__all__ = [
    "TargetContext",
    "check_duplicates",
    "check_extends",
    "check_reference_form",
    "check_references",
]
