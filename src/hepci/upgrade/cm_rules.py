"""``only``/``except`` -> ``rules`` for the documented forms, keeping each job's meaning.

GitLab's policy semantics (``Gitlab::Ci::Build::Policy``): ``only`` includes a job when every
key given (``refs``, ``variables``, ``changes``, ``kubernetes``) has a matching entry;
``except`` excludes it when every key it gives matches; a job without ``only`` has the
default ``only: [branches, tags]`` (dropped when the pipeline has ``workflow:rules``). Ref
names and ``/regex/`` patterns match branch and tag pipelines only (never merge-request
pipelines). The translation is exact under those rules:

* ``except`` -> one leading rule ``{if: ..., changes: ..., when: never}``;
* ``only`` -> one rule ``{if: ..., changes: ...}`` without ``when`` (the job's own ``when``
  still applies); a job without ``only`` gets ``if: $CI_COMMIT_BRANCH || $CI_COMMIT_TAG``.

Jobs whose policy is inherited or shared (``extends``, ``<<`` merges, anchors) are converted
only when the whole family stays consistent; anything else is reported as manual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hepci.core.cimodel import CiConfig
from hepci.core.yamledit import MappingNode, Node, YamlFile, to_data
from hepci.core.yamledit.edits import DeleteKey, InsertKey
from hepci.upgrade.base import (
    Codemod,
    Proposal,
    UpgradeContext,
    has_anchor_or_alias,
    has_comment,
    has_duplicate_keys,
    mapping_of,
    merge_sources,
    own_key,
)

SOURCE_KEYWORDS = {
    "merge_requests": "merge_request_event",
    "schedules": "schedule",
    "web": "web",
    "api": "api",
    "triggers": "trigger",
    "pipelines": "pipeline",
    "pushes": "push",
    "external": "external",
    "external_pull_requests": "external_pull_request_event",
    "chat": "chat",
    "parent_pipeline": "parent_pipeline",
}
POLICY_KEYS = frozenset({"refs", "variables", "changes", "kubernetes"})
DEFAULT_ONLY = "$CI_COMMIT_BRANCH || $CI_COMMIT_TAG"
_REGEX = re.compile(r"^/(.+)/([a-z]*)$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._/+-]+$")


class Unsupported(Exception):
    """A policy form that has no mechanical translation."""


def _paren(expr: str) -> str:
    return f"({expr})" if ("||" in expr or "&&" in expr) else expr


def any_of(exprs: list[str]) -> str:
    return exprs[0] if len(exprs) == 1 else " || ".join(_paren(e) for e in exprs)


def all_of(exprs: list[str]) -> str:
    return exprs[0] if len(exprs) == 1 else " && ".join(_paren(e) for e in exprs)


def ref_condition(ref: str) -> str:
    """The ``rules:if`` expression matching one ``only:refs`` entry."""
    if ref == "branches":
        return "$CI_COMMIT_BRANCH"
    if ref == "tags":
        return "$CI_COMMIT_TAG"
    if ref in SOURCE_KEYWORDS:
        return f'$CI_PIPELINE_SOURCE == "{SOURCE_KEYWORDS[ref]}"'
    if "@" in ref:
        raise Unsupported(f"ref {ref!r} names a project (`@`): not translated")
    regex = _REGEX.match(ref)
    if regex is not None:
        if "/" in regex.group(1).replace("\\/", ""):
            raise Unsupported(f"regex {ref!r} contains an unescaped `/`")
        return f"$CI_COMMIT_BRANCH =~ {ref} || $CI_COMMIT_TAG =~ {ref}"
    if not _PLAIN_NAME.match(ref):
        raise Unsupported(f"ref {ref!r} is not a plain name or /regex/")
    quoted = json.dumps(ref)
    return f"$CI_COMMIT_BRANCH == {quoted} || $CI_COMMIT_TAG == {quoted}"


@dataclass
class Condition:
    """One policy (``only`` or ``except``) as an ``if`` expression and optional ``changes``."""

    expr: str | None = None
    changes: Any = None


def policy_condition(value: Any) -> Condition:
    """Translate one ``only``/``except`` value (list of refs or the hash form)."""
    if isinstance(value, str | list):
        value = {"refs": value}
    if not isinstance(value, dict) or not value:
        raise Unsupported("empty or malformed policy")
    unknown = set(value) - POLICY_KEYS
    if unknown:
        raise Unsupported(f"policy keys {sorted(unknown)} have no rules equivalent")
    parts: list[str] = []
    refs = value.get("refs")
    if refs is not None:
        items = [refs] if isinstance(refs, str) else refs
        if not isinstance(items, list) or not items or not all(isinstance(r, str) for r in items):
            raise Unsupported("`refs` must be a non-empty list of names")
        parts.append(any_of([ref_condition(r) for r in items]))
    variables = value.get("variables")
    if variables is not None:
        items = [variables] if isinstance(variables, str) else variables
        if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
            raise Unsupported("`variables` must be a non-empty list of expressions")
        parts.append(any_of([v.strip() for v in items]))
    if "kubernetes" in value:
        if value["kubernetes"] != "active":
            raise Unsupported("only `kubernetes: active` is translated")
        parts.append("$CI_KUBERNETES_ACTIVE")
    changes = value.get("changes")
    if "changes" in value and not changes:
        raise Unsupported("empty `changes`")
    return Condition(all_of(parts) if parts else None, changes)


def translate(only: Any, except_: Any, *, has_only: bool, workflow_rules: bool) -> list[Any]:
    """The ``rules:`` list equivalent to a job's ``only``/``except``."""
    rules: list[Any] = []
    if except_ is not None:
        cond = policy_condition(except_)
        rule: dict[str, Any] = {}
        if cond.expr:
            rule["if"] = cond.expr
        if cond.changes is not None:
            rule["changes"] = cond.changes
        rule["when"] = "never"
        rules.append(rule)
    if has_only:
        cond = policy_condition(only)
    elif workflow_rules:
        raise Unsupported(
            "no `only` next to `workflow:rules`: the job runs everywhere workflow allows"
        )
    else:
        cond = Condition(DEFAULT_ONLY)
    positive: dict[str, Any] = {}
    if cond.expr:
        positive["if"] = cond.expr
    if cond.changes is not None:
        positive["changes"] = cond.changes
    rules.append(positive)
    return rules


@dataclass
class _Family:
    """Inheritance between the file's jobs (``extends`` and ``<<`` merges)."""

    parents: dict[str, list[str]] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    _heirs: dict[str, set[str]] | None = None

    def heirs(self, name: str, definers: set[str]) -> set[str]:
        """The jobs of ``definers`` (always the same set) that inherit from ``name``; the
        reverse map is built once, so asking for every job stays linear in the ancestries."""
        if self._heirs is None:
            self._heirs = {}
            for heir in definers:
                for ancestor in self.ancestors(heir):
                    self._heirs.setdefault(ancestor, set()).add(heir)
        return self._heirs.get(name, set()) - {name}

    def ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.parents.get(name, []))
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self.parents.get(parent, []))
        return seen


def _family(config: CiConfig) -> _Family:
    by_node: dict[int, str] = {
        id(job.node): name for name, job in config.jobs.items() if job.node is not None
    }
    family = _Family()
    for name, job in config.jobs.items():
        parents: list[str] = []
        unknown: list[str] = []
        for target in job.extends:
            (parents if target in config.jobs else unknown).append(target)
        node = mapping_of(job.node)
        for source in merge_sources(node) if node is not None else []:
            owner = by_node.get(id(source))
            if owner is not None:
                parents.append(owner)
            elif isinstance(source, MappingNode) and _policy_keys(source):
                unknown.append("a `<<` anchor")
        family.parents[name] = parents
        family.unknown[name] = unknown
    return family


def _policy_keys(node: MappingNode | None) -> set[str]:
    return {"only", "except", "rules"} & set(node.keys()) if node is not None else set()


class OnlyExceptToRules(Codemod):
    """`only`/`except` -> `rules` for refs, branches, tags, sources, variables, changes."""

    id = "only-except-to-rules"
    rules = ("CI007",)

    def propose(self, file: YamlFile, config: CiConfig, ctx: UpgradeContext) -> Proposal:
        proposal = Proposal()
        family = _family(config)
        definers = {name for name, job in config.jobs.items() if _policy_keys(mapping_of(job.node))}
        workflow_rules = isinstance(config.workflow.get("rules"), list)
        for name, job in config.jobs.items():
            node = mapping_of(job.node)
            if node is None or not ({"only", "except"} & set(node.keys())):
                continue
            only = own_key(node, "only")
            except_ = own_key(node, "except")
            if only is None and except_ is None:
                continue  # inherited through `<<`: converted where it is written
            try:
                self._check_family(name, node, family, definers)
                self.check_nodes(file, [e[1] for e in (only, except_) if e is not None])
                rules = translate(
                    to_data(only[1]) if only else None,
                    to_data(except_[1]) if except_ else None,
                    has_only=only is not None,
                    workflow_rules=workflow_rules,
                )
            except Unsupported as exc:
                where = (only or except_ or (node, node))[0]
                proposal.manual.append(self.manual(f"job {name!r}: {exc}", where))
                continue
            first = "only" if only is not None else "except"
            deletes = [DeleteKey((name, k)) for k, e in (("only", only), ("except", except_)) if e]
            proposal.add(InsertKey((name,), "rules", rules, after=first), *deletes)
        return proposal

    @staticmethod
    def _check_family(name: str, node: MappingNode, family: _Family, definers: set[str]) -> None:
        if has_duplicate_keys(node):
            raise Unsupported("duplicate keys")
        if own_key(node, "rules") is not None:
            raise Unsupported("has `rules` next to `only`/`except`")
        if family.unknown.get(name):
            targets = ", ".join(family.unknown[name])
            raise Unsupported(f"inherits from {targets} outside this file: convert by hand")
        inherited = family.ancestors(name) & definers
        if inherited:
            raise Unsupported(f"inherits `only/except/rules` from {sorted(inherited)}")
        heirs = family.heirs(name, definers)
        if heirs:
            raise Unsupported(f"jobs {sorted(heirs)} extend it with their own policy")

    @staticmethod
    def check_nodes(file: YamlFile, nodes: list[Node]) -> None:
        for value in nodes:
            if has_anchor_or_alias(value):
                raise Unsupported("the policy uses anchors or aliases")
            if has_comment(file, value):
                raise Unsupported("comments inside the policy would be lost")
