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
from typing import Any

from hepci.audit.config import AuditConfig, repo_config
from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, RepoReport, RuleResult, Status
from hepci.audit.rule import Rule, Skip, all_rules
from hepci.core.repo import Repo


@lru_cache(maxsize=8)
def _static_order(rules: tuple[tuple[str, type[Rule]], ...]) -> tuple[str, ...]:
    """Rule IDs, prerequisites first (cached: the group sweep audits many repos)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    ids = {rule_id for rule_id, _ in rules}
    for rule_id, cls in rules:
        sorter.add(rule_id, *(r for r in cls.requires if r in ids))
    return tuple(sorter.static_order())


_SHARED: dict[tuple[type[Rule], str, Status, str | None], RuleResult] = {}
MAX_SHARED = 4096  # results without findings kept for reuse (a skip reason may be unique)


def _result(
    cls: type[Rule], config: AuditConfig, status: Status, findings: list[Finding] | None = None,
    reason: str | None = None,
) -> RuleResult:  # fmt: skip
    """The result of ``cls``; one without findings is shared between repositories (results
    are immutable: a sweep of 822 projects made 36,000 of them, mostly the same ~100)."""
    severity = config.severity_of(cls.id(), cls.severity)
    key = (cls, severity, status, reason)
    if not findings and (shared := _SHARED.get(key)) is not None:
        return shared
    result = RuleResult(
        id=cls.id(),
        family=cls.family,
        title=cls.title(),
        severity=severity,
        status=status,
        url=cls.url(),
        findings=tuple(findings or ()),
        skip_reason=reason,
        fix=cls.fix,
    )
    if not findings and len(_SHARED) < MAX_SHARED:
        _SHARED[key] = result
    return result


def _run_one(cls: type[Rule], ctx: AuditContext, outcomes: Mapping[str, RuleResult]) -> RuleResult:
    unmet = [r for r in sorted(cls.requires) if r in outcomes and outcomes[r].status != "pass"]
    if unmet:
        req = outcomes[unmet[0]]
        why = {"fail": "failed", "skip": "was skipped"}.get(req.status, "errored")
        return _result(
            cls, ctx.config, "skip", reason=f"requires {req.id} ({req.title}), which {why}"
        )
    if cls.needs_listing and ctx.listing is None:
        return _result(cls, ctx.config, "skip", reason="the source cannot list its files cheaply")
    try:
        findings = cls().check(ctx)
    except Skip as skip:
        return _result(cls, ctx.config, "skip", reason=skip.reason)
    except Exception as exc:  # a bug in a rule must not stop the audit
        message = f"internal error in {cls.id()}: {type(exc).__name__}: {exc}"
        return _result(cls, ctx.config, "error", reason=message)
    return _result(cls, ctx.config, "fail" if findings else "pass", findings)


def audit_repo(
    repo: Repo, config: AuditConfig | None = None, *, read_config: bool = True
) -> RepoReport:
    """Audit one repository. Its own ``[tool.hepci]`` settings apply on top of ``config``.

    Raises :class:`~hepci.errors.ConfigError` when the repository's config is invalid;
    everything else (hostile files, rule bugs) ends up in the report.
    """
    return audit_with_config(repo, config, read_config=read_config)[0]


def audit_with_config(
    repo: Repo, config: AuditConfig | None = None, *, read_config: bool = True
) -> tuple[RepoReport, AuditConfig]:
    """:func:`audit_repo`, and the effective config it used (for the findings cache)."""
    started = time.perf_counter()
    config = config or AuditConfig()
    if read_config:
        config = repo_config(repo.read, config, repo.name if repo.meta else "")
    ctx = AuditContext(repo, config)
    rules = all_rules()
    outcomes: dict[str, RuleResult] = {}
    selection = (config.selected_prefixes(), config.ignored_prefixes())
    for rule_id in _to_run(tuple(rules.items()), *selection):
        outcomes[rule_id] = _run_one(rules[rule_id], ctx, outcomes)
    results = _selected(rules, outcomes, config)
    web_url = repo.meta.web_url if repo.meta else None
    # to 0.1 ms, as the JSON report keeps it: a report read back from the spool or the findings
    # cache then renders the same in every format (JUnit's 3 decimals rounded twice did not)
    seconds = round(time.perf_counter() - started, 4)
    preservation = _preservation(ctx)
    report = RepoReport(repo.name, tuple(results), web_url, seconds, config.fail_on, preservation)
    return report, config


def _preservation(ctx: AuditContext) -> dict[str, Any] | None:
    """The catalogue entry of the preservation record the PRES rules derived, if they ran."""
    record = ctx.__dict__.get("_preservation_record")
    if record is None:
        return None
    from hepci.metadata.summary import catalogue_entry

    meta = ctx.meta
    extra = meta.extra if meta is not None else {}
    return catalogue_entry(
        record, extra.get("pipeline"), web_url=meta.web_url if meta else None,
        project_id=extra.get("id"), default_branch=meta.default_branch if meta else None,
    )  # fmt: skip


@lru_cache(maxsize=64)
def _to_run(
    rules: tuple[tuple[str, type[Rule]], ...], select: tuple[str, ...], ignore: tuple[str, ...]
) -> tuple[str, ...]:
    """The rules worth running, prerequisites first: the selected ones (``select``: the
    config's prefixes, empty for every rule) that are not ignored (an ignored rule is reported
    as skipped without running), and what they require."""
    by_id = dict(rules)
    wanted = {
        rule_id for rule_id in by_id
        if (not select or rule_id.startswith(select)) and not rule_id.startswith(ignore)
    }  # fmt: skip
    todo = list(wanted)
    while todo:
        for required in by_id[todo.pop()].requires:
            if required in by_id and required not in wanted:
                wanted.add(required)
                todo.append(required)
    return tuple(rule_id for rule_id in _static_order(rules) if rule_id in wanted)


def _selected(
    rules: Mapping[str, type[Rule]], outcomes: Mapping[str, RuleResult], config: AuditConfig
) -> list[RuleResult]:
    """The results to report, in report order (family, then ID), ignores applied."""
    results = []
    for rule_id in rules:
        if not config.is_selected(rule_id):
            continue
        ignored, reason = config.ignore_reason(rule_id)
        if ignored:
            if reason is not None:
                results.append(_result(rules[rule_id], config, "skip", reason=f"ignored: {reason}"))
            continue
        if rule_id in outcomes:
            results.append(outcomes[rule_id])
    return results


def volatile_rules() -> dict[str, type[Rule]]:
    """The rules whose result depends on the date or on ``last_activity_at`` alone."""
    return {rule_id: cls for rule_id, cls in all_rules().items() if cls.volatile}


def rerun_volatile(
    repo: Repo,
    config: AuditConfig,
    prior: Mapping[str, RuleResult],
    volatile: Mapping[str, type[Rule]] | None = None,
) -> dict[str, RuleResult]:
    """The ``volatile`` rules' results now, as they would be reported (ignores applied).

    ``config`` is the effective config of the cached report, ``prior`` its results (the
    prerequisites of a volatile rule keep their cached outcome); ``volatile`` saves looking
    the rules up again."""
    volatile = volatile_rules() if volatile is None else volatile
    if not volatile:
        return {}
    ctx = AuditContext(repo, config)
    outcomes = dict(prior)
    for rule_id, cls in volatile.items():
        outcomes[rule_id] = _run_one(cls, ctx, outcomes)
    return {r.id: r for r in _selected(volatile, outcomes, config)}


def with_results(report: RepoReport, fresh: Mapping[str, RuleResult]) -> RepoReport:
    """``report`` with the results in ``fresh`` in place of its own (report order kept)."""
    if not fresh:
        return report
    outcomes = {**{result.id: result for result in report.results}, **fresh}
    results = [outcomes[rule_id] for rule_id in all_rules() if rule_id in outcomes]
    return replace(report, results=tuple(results))
