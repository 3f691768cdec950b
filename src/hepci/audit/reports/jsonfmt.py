"""The JSON report (schema documented in docs/audit-json.md; bump SCHEMA_VERSION on change)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from hepci import __version__
from hepci.audit.model import AuditRun, RepoReport, RuleResult

SCHEMA_VERSION = 1


def _result(result: RuleResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "family": result.family,
        "title": result.title,
        "severity": result.severity,
        "status": result.status,
        "url": result.url,
        "fix": list(result.fix),
        "skip_reason": result.skip_reason,
        "findings": [
            {"message": f.message, "path": f.path, "line": f.line, "fix": f.fix}
            for f in result.findings
        ],
    }


def _project(report: RepoReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "web_url": report.web_url,
        "score": report.score(),
        "families": {
            s.family: {"score": s.score, "passed": s.passed, "applicable": s.applicable}
            for s in report.family_scores()
        },
        "seconds": round(report.seconds, 4),
        "fail_on": report.fail_on,
        "results": [_result(r) for r in report.results],
    }


def to_dict(run: AuditRun, fail_on: str | None = None) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "hepci", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fail_on": fail_on,
        "exit_code": run.exit_code(fail_on),
        "summary": {
            "targets": len(run.reports) + len(run.failures),
            "audited": len(run.reports),
            "not_audited": len(run.failures),
            "failed_rules": run.counts(),
        },
        "projects": [_project(r) for r in run.reports],
        "failures": [
            {"target": f.target, "error": f.message, "exit_code": f.exit_code} for f in run.failures
        ],
        "skipped_targets": [{"target": s.target, "reason": s.reason} for s in run.skipped],
    }


def render(run: AuditRun, fail_on: str | None = None) -> str:
    return json.dumps(to_dict(run, fail_on), indent=2, ensure_ascii=False) + "\n"
