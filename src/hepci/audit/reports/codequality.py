"""GitLab Code Quality report (``artifacts:reports:codequality``): a JSON array of issues."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hepci.audit.model import AuditRun

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def issues(run: AuditRun) -> list[dict[str, Any]]:
    many = len(run.reports) > 1
    out = []
    for report in run.reports:
        for result in report.failed():
            for finding in result.findings:
                path = finding.path or ".gitlab-ci.yml"
                if many:
                    path = f"{report.name}/{path}"
                key = f"{report.name}\0{result.id}\0{path}\0{finding.message}"
                out.append(
                    {
                        "description": f"{result.id}: {finding.message}",
                        "check_name": result.id,
                        "fingerprint": hashlib.sha256(key.encode()).hexdigest(),
                        "severity": SEVERITY[result.severity],
                        "categories": ["Style" if result.severity == "info" else "Bug Risk"],
                        "location": {"path": path, "lines": {"begin": finding.line or 1}},
                    }
                )
    return out


def render(run: AuditRun, fail_on: str | None = None) -> str:
    return json.dumps(issues(run), indent=2, ensure_ascii=False) + "\n"
