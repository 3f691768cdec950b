"""The audit engine: run every rule on one repository, in dependency order, never crashing.

``audit_repo(repo, config)`` is the single entry point for local directories and GitLab
projects alike; the group sweep calls it per project.
"""

from __future__ import annotations

import graphlib
import time
from collections.abc import Mapping

from hepci.audit.config import AuditConfig, repo_config
from hepci.audit.context import AuditContext
from hepci.audit.model import RepoReport, RuleResult
from hepci.audit.rule import Rule, Skip, all_rules
from hepci.core.repo import Repo


def _order(rules: Mapping[str, type[Rule]]) -> list[str]:
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for rule_id, cls in rules.items():
        sorter.add(rule_id, *(r for r in cls.requires if r in rules))
    return list(sorter.static_order())


def _run_one(cls: type[Rule], ctx: AuditContext, outcomes: Mapping[str, RuleResult]) -> RuleResult:
    rule_id = cls.id()
    severity = ctx.config.severity_of(rule_id, cls.severity)
    base = {
        "id": rule_id,
        "family": cls.family,
        "title": cls.title(),
        "severity": severity,
        "url": cls.url(),
        "fix": cls.fix,
    }
    unmet = [r for r in sorted(cls.requires) if r in outcomes and outcomes[r].status != "pass"]
    if unmet:
        req = outcomes[unmet[0]]
        why = (
            "failed"
            if req.status == "fail"
            else "was skipped"
            if req.status == "skip"
            else "errored"
        )
        reason = f"requires {req.id} ({req.title}), which {why}"
        return RuleResult(status="skip", skip_reason=reason, **base)  # type: ignore[arg-type]
    if cls.needs_listing and ctx.listing is None:
        reason = "the source cannot list its files cheaply"
        return RuleResult(status="skip", skip_reason=reason, **base)  # type: ignore[arg-type]
    try:
        findings = cls().check(ctx)
    except Skip as skip:
        return RuleResult(status="skip", skip_reason=skip.reason, **base)  # type: ignore[arg-type]
    except Exception as exc:  # a bug in a rule must not stop the audit
        message = f"internal error in {rule_id}: {type(exc).__name__}: {exc}"
        return RuleResult(status="error", skip_reason=message, **base)  # type: ignore[arg-type]
    status = "fail" if findings else "pass"
    return RuleResult(status=status, findings=tuple(findings), **base)  # type: ignore[arg-type]


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
            result = RuleResult(
                id=result.id,
                family=result.family,
                title=result.title,
                severity=result.severity,
                status="skip",
                url=result.url,
                skip_reason=f"ignored: {reason}",
                fix=result.fix,
            )
        results.append(result)
    web_url = repo.meta.web_url if repo.meta else None
    return RepoReport(repo.name, tuple(results), web_url, time.perf_counter() - started)
