"""GitLab Code Quality report (``artifacts:reports:codequality``): a JSON array of issues,
written one issue at a time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from hepci.audit.model import RepoReport
from hepci.audit.reports import RunView

SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def project_issues(report: RepoReport, many: bool) -> Iterator[dict[str, Any]]:
    """The issues of one repository (paths prefixed with its name when ``many``)."""
    for result in report.failed():
        for finding in result.findings:
            path = finding.path or ".gitlab-ci.yml"
            if many:
                path = f"{report.name}/{path}"
            key = f"{report.name}\0{result.id}\0{path}\0{finding.message}"
            yield {
                "description": f"{result.id}: {finding.message}",
                "check_name": result.id,
                "fingerprint": hashlib.sha256(key.encode()).hexdigest(),
                "severity": SEVERITY[result.severity],
                "categories": ["Style" if result.severity == "info" else "Bug Risk"],
                "location": {"path": path, "lines": {"begin": finding.line or 1}},
            }


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    many = len(run.reports) > 1
    first = True
    yield "["
    for report in run.reports:
        for issue in project_issues(report, many):
            text = json.dumps(issue, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            yield ("\n  " if first else ",\n  ") + text
            first = False
    yield "]\n" if first else "\n]\n"


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
