"""The audit engine: run every rule on one repository, in dependency order, never crashing.

``audit_repo(repo, config)`` is the single entry point for local directories and GitLab
projects alike; the group sweep calls it per project.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from hepci.audit.config import AuditConfig, repo_config
from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, RepoReport, RuleResult, Status
from hepci.audit.rule import Rule, Skip, all_rules
from hepci.core.repo import Repo


def _order(rules: Mapping[str, type[Rule]]) -> list[str]:
    return list(_static_order(tuple(rules.items())))


@lru_cache(maxsize=8)
def _static_order(rules: tuple[tuple[str, type[Rule]], ...]) -> tuple[str, ...]:
    """Rule IDs, prerequisites first (cached: the group sweep audits many repos)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    ids = {rule_id for rule_id, _ in rules}
    for rule_id, cls in rules:
        sorter.add(rule_id, *(r for r in cls.requires if r in ids))
    return tuple(sorter.static_order())


def _result(
    cls: type[Rule], ctx: AuditContext, status: Status, findings: list[Finding] | None = None,
    reason: str | None = None,
) -> RuleResult:  # fmt: skip
    return RuleResult(
        id=cls.id(),
        family=cls.family,
        title=cls.title(),
        severity=ctx.config.severity_of(cls.id(), cls.severity),
        status=status,
        url=cls.url(),
        findings=tuple(findings or ()),
        skip_reason=reason,
        fix=cls.fix,
    )


def _run_one(cls: type[Rule], ctx: AuditContext, outcomes: Mapping[str, RuleResult]) -> RuleResult:
    unmet = [r for r in sorted(cls.requires) if r in outcomes and outcomes[r].status != "pass"]
    if unmet:
        req = outcomes[unmet[0]]
        why = {"fail": "failed", "skip": "was skipped"}.get(req.status, "errored")
        return _result(cls, ctx, "skip", reason=f"requires {req.id} ({req.title}), which {why}")
    if cls.needs_listing and ctx.listing is None:
        return _result(cls, ctx, "skip", reason="the source cannot list its files cheaply")
    try:
        findings = cls().check(ctx)
    except Skip as skip:
        return _result(cls, ctx, "skip", reason=skip.reason)
    except Exception as exc:  # a bug in a rule must not stop the audit
        message = f"internal error in {cls.id()}: {type(exc).__name__}: {exc}"
        return _result(cls, ctx, "error", reason=message)
    return _result(cls, ctx, "fail" if findings else "pass", findings)


def audit_repo(
    repo: Repo, config: AuditConfig | None = None, *, read_config: bool = True
) -> RepoReport:
    """Audit one repository. Its own ``[tool.hepci]`` settings apply on top of ``config``.

    Raises :class:`~hepci.errors.ConfigError` when the repository's config is invalid;
    everything else (hostile files, rule bugs) ends up in the report.
    """
    started = time.perf_counter()
    config = config or AuditConfig()
    if read_config:
        config = repo_config(repo.read, config, repo.name if repo.meta else "")
    ctx = AuditContext(repo, config)
    rules = all_rules()
    outcomes: dict[str, RuleResult] = {}
    for rule_id in _order(rules):
        outcomes[rule_id] = _run_one(rules[rule_id], ctx, outcomes)
    results = []
    for rule_id in rules:  # report order: family, then ID
        if not config.is_selected(rule_id):
            continue
        ignored, reason = config.ignore_reason(rule_id)
        result = outcomes[rule_id]
        if ignored:
            if reason is None:
                continue
            result = replace(result, status="skip", findings=(), skip_reason=f"ignored: {reason}")
        results.append(result)
    web_url = repo.meta.web_url if repo.meta else None
    seconds = time.perf_counter() - started
    return RepoReport(repo.name, tuple(results), web_url, seconds, config.fail_on)
