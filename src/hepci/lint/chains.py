"""GitLab's limits on chains: ``extends`` depth (HL307), ``!reference`` loops (HL308) and
``!reference`` nesting in scripts (HL309).

GitLab's rules (checked against its source and docs):

- ``extends``: "up to eleven levels of inheritance" (docs ``ci/yaml/_index.md#extends``);
  ``Extendable::Entry`` raises "nesting too deep in `extends`" when an entry with more than
  ``MAX_NESTING_LEVELS = 10`` ancestors extends again, i.e. a chain of 12 or more ``extends``.
- ``!reference``: ``Yaml::Tags::Base#resolve`` raises "is part of a circular chain" when a tag is
  met again while it is being resolved; GitLab resolves tags after ``extends``, so a loop can
  go through inherited keys and through a reference to a whole job or mapping that contains it.
- "You can nest ``!reference`` tags up to 10 levels deep in ``script``, ``before_script``, and
  ``after_script``" (docs ``ci/yaml/yaml_optimization.md``): each nested tag adds an array level,
  and these keywords accept "a string or a nested array of strings up to 10 levels deep".

Everything here is iterative (explicit stacks), so a chain of any length costs memory, not
Python stack. Targets we cannot see (templates, remote includes) only make chains shorter, so a
finding is never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from hepci.core.cilocal import EXTENDS_DEPTH, LoadedFile, deep_merge
from hepci.core.yamledit import Node, Reference

if TYPE_CHECKING:
    from hepci.lint.references import Report, TargetContext

MAX_SCRIPT_NESTING = 10
SCRIPT_KEYS = ("before_script", "script", "after_script")

Target = tuple[str, ...]
Where = tuple[Any, ...]
N = TypeVar("N", str, Target)


# ------------------------------------------------------------------------------ extends depth


def longest_chains(graph: Mapping[str, set[str]]) -> dict[str, int]:
    """Edges on the longest ``extends`` chain from each job (an edge into a cycle counts once)."""
    depth: dict[str, int] = {}
    for start in graph:
        if start in depth:
            continue
        open_names = {start}
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        while stack:
            name, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                open_names.discard(name)
                depth[name] = max(
                    (depth.get(p, 0) + 1 for p in graph.get(name, ()) if p not in open_names),
                    default=0,
                )
            elif parent not in depth and parent not in open_names:
                open_names.add(parent)
                stack.append((parent, iter(sorted(graph.get(parent, ())))))
    return depth


def check_extends_depth(ctx: TargetContext, graph: Mapping[str, set[str]], report: Report) -> None:
    """HL307 once per chain, at the ``extends:`` of each job that no other job extends."""
    depth = longest_chains(graph)
    extended = {target for targets in graph.values() for target in targets}
    reported: set[str] = set()
    for loaded in ctx.tree.files:
        for use in loaded.config.extends_uses:
            job = ctx.expand(loaded, use.job)
            if job is None or job in reported or job in extended:
                continue
            levels = depth.get(job, 0)
            if levels > EXTENDS_DEPTH:
                reported.add(job)
                report(
                    loaded,
                    use.node,
                    "HL307",
                    f"{job!r} inherits through {levels} levels of extends; "
                    f"GitLab allows {EXTENDS_DEPTH} (nesting too deep in `extends`)",
                )


# -------------------------------------------------------------------------- !reference chains


@dataclass(frozen=True)
class Site:
    """A ``!reference`` as GitLab resolves it: what it names, where it sits after ``extends``."""

    target: Target
    where: Where
    node: Node | None


def resolved_jobs(ctx: TargetContext) -> dict[str, Any]:
    """Every job (hidden ones too) with ``extends`` merged, plus ``default``."""
    jobs = {name: ctx.tree.resolved_job(name) for name in ctx.tree.definitions()}
    default: Any = None
    for loaded in [*ctx.tree.files[1:], ctx.tree.files[0]]:
        default = deep_merge(default, loaded.config.data.get("default"))
    if isinstance(default, dict):
        jobs["default"] = default
    return jobs


def reference_sites(
    jobs: Mapping[str, Any], expand: Callable[[Reference], Target | None]
) -> list[Site]:
    """Every ``!reference`` in the resolved jobs, with its location (iterative walk)."""
    sites: list[Site] = []
    for name, data in jobs.items():
        stack: list[tuple[Any, Where]] = [(data, (name,))]
        while stack:
            value, where = stack.pop()
            if isinstance(value, dict):
                stack.extend((v, (*where, k)) for k, v in value.items())
            elif isinstance(value, list):
                stack.extend((v, (*where, i)) for i, v in enumerate(value))
            elif isinstance(value, Reference):
                target = expand(value)
                if target:
                    sites.append(Site(target, where, value.node))
    return sites


def reference_graph(sites: list[Site]) -> dict[Target, set[Target]]:
    """Target → the targets of the references inside it (resolving one resolves those)."""
    graph: dict[Target, set[Target]] = {site.target: set() for site in sites}
    for site in sites:
        for cut in range(1, len(site.where) + 1):
            if not isinstance(site.where[cut - 1], str):
                break  # GitLab's dig only goes through mappings
            holder = site.where[:cut]
            if holder in graph:
                graph[holder].add(site.target)
    return graph


def components(graph: Mapping[N, set[N]]) -> list[list[N]]:
    """Strongly connected components (iterative Tarjan), each after every one it reaches."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    order: list[N] = []
    found: list[list[N]] = []

    def enter(node: N) -> tuple[N, Iterator[N]]:
        index[node] = low[node] = len(index)
        order.append(node)
        on_stack.add(node)
        return node, iter(sorted(graph.get(node, ())))

    for root in graph:
        if root in index:
            continue
        work = [enter(root)]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    work.append(enter(child))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[N] = []
                while True:
                    member = order.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def cyclic(graph: Mapping[N, set[N]]) -> dict[N, list[N]]:
    """Each node on a cycle -> the sorted members of its cycle (its strongly connected part;
    one list per part, shared by its members: ``loops[a] is loops[b]`` when a and b loop)."""
    found: dict[N, list[N]] = {}
    for component in components(graph):
        if len(component) > 1 or component[0] in graph.get(component[0], ()):
            members = sorted(component)
            for node in component:
                found[node] = members
    return found


def _dotted(target: Target) -> str:
    return ".".join(target)


def _value_at(jobs: Mapping[str, Any], target: Target) -> Any:
    value: Any = jobs
    for key in target:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def nesting(value: Any, depth_of: Callable[[Target], int]) -> int:
    """Array levels of ``value`` once each reference is replaced by its target's value."""
    best = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, around = stack.pop()
        if isinstance(item, list):
            best = max(best, around + 1)
            stack.extend((child, around + 1) for child in item)
        elif isinstance(item, Reference):
            best = max(best, around + depth_of(tuple(item.path)))
    return best


@dataclass
class ChainReport:
    """Cycles and resolved nesting depths of the references of one tree."""

    cyclic: dict[Target, list[Target]]
    depth: dict[Target, int]


def analyse(jobs: Mapping[str, Any], sites: list[Site]) -> ChainReport:
    """Find the loops, then each target's resolved nesting, targets before their users."""
    graph = reference_graph(sites)
    loops = cyclic(graph)
    depth: dict[Target, int] = {}
    for component in components(graph):  # what a target refers to comes before it
        for target in component:
            looped = target in loops
            depth[target] = 0 if looped else nesting(_value_at(jobs, target), depth_of(depth))
    return ChainReport(loops, depth)


def depth_of(depth: Mapping[Target, int]) -> Callable[[Target], int]:
    return lambda target: depth.get(target, 0)


def check_reference_chains(ctx: TargetContext, report: Report) -> None:
    """HL308 at every ``!reference`` in a loop; HL309 for scripts nested more than 10 levels."""
    owner: dict[int, LoadedFile] = {}
    for loaded in ctx.tree.files:
        for use in loaded.config.references:
            owner[id(use.node)] = loaded
    if not owner:
        return  # no `!reference` anywhere: nothing to resolve

    def expand(ref: Reference) -> Target | None:
        loaded = owner.get(id(ref.node))
        if loaded is None or not ref.path or not all(ref.path):
            return None
        parts = [ctx.expand(loaded, part) for part in ref.path]
        return tuple(p for p in parts if p is not None) if None not in parts else None

    jobs = resolved_jobs(ctx)
    sites = reference_sites(jobs, expand)
    if not sites:
        return
    chains = analyse(jobs, sites)
    _report_cycles(sites, chains, owner, report)
    _report_nesting(ctx, jobs, chains, report)


def _report_cycles(
    sites: list[Site], chains: ChainReport, owner: Mapping[int, LoadedFile], report: Report
) -> None:
    done: set[int] = set()
    for site in sites:
        members = chains.cyclic.get(site.target)
        loaded = owner.get(id(site.node))
        if members is None or loaded is None or id(site.node) in done:
            continue
        done.add(id(site.node))
        shown = ", ".join(_dotted(m) for m in members[:4]) + (", ..." if len(members) > 4 else "")
        report(
            loaded,
            site.node,
            "HL308",
            f"!reference [{', '.join(site.target)}] is part of a circular chain "
            f"({len(members)} reference target(s): {shown}); GitLab rejects the pipeline",
        )


def _report_nesting(
    ctx: TargetContext, jobs: Mapping[str, Any], chains: ChainReport, report: Report
) -> None:
    for name, data in jobs.items():
        if name.startswith(".") or not isinstance(data, dict):
            continue
        for key in SCRIPT_KEYS:
            if key not in data:
                continue
            levels = nesting(data[key], depth_of(chains.depth))
            if levels <= MAX_SCRIPT_NESTING:
                continue
            loaded, node = _job_key(ctx, name, key)
            if loaded is not None:
                report(
                    loaded,
                    node,
                    "HL309",
                    f"{name}.{key} nests {levels} levels of arrays once its !reference tags are "
                    f"resolved; GitLab allows {MAX_SCRIPT_NESTING}",
                )


def _job_key(ctx: TargetContext, name: str, key: str) -> tuple[LoadedFile | None, Node | None]:
    """Where to report a job's keyword: its own key, else the job, else the default section."""
    for loaded in [ctx.tree.files[0], *reversed(ctx.tree.files[1:])]:
        job = loaded.config.jobs.get(name)
        if job is not None:
            return loaded, job.key(key) or job.key_node
        glob = loaded.config.globals.get(name)
        if glob is not None:
            return loaded, glob.key_node
    return None, None


__all__ = [
    "MAX_SCRIPT_NESTING",
    "SCRIPT_KEYS",
    "analyse",
    "check_extends_depth",
    "check_reference_chains",
    "components",
    "cyclic",
    "longest_chains",
    "nesting",
    "reference_graph",
    "reference_sites",
]
