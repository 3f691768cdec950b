"""SARIF 2.1.0: one run per project; every rule in ``tool.driver.rules`` with its help URI."""

from __future__ import annotations

import json
from typing import Any

from hepci import __version__
from hepci.audit.model import AuditRun, RepoReport
from hepci.audit.rule import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _driver() -> dict[str, Any]:
    rules = []
    for rule_id, cls in all_rules().items():
        rules.append(
            {
                "id": rule_id,
                "name": cls.__name__,
                "shortDescription": {"text": cls.title()},
                "fullDescription": {"text": cls.rationale() or cls.title()},
                "help": {"text": cls.rationale() or cls.title(), "markdown": cls.rationale()},
                "helpUri": cls.url(),
                "defaultConfiguration": {"level": LEVEL[cls.severity]},
                "properties": {"family": cls.family, "fix": list(cls.fix)},
            }
        )
    return {
        "name": "hepci",
        "version": __version__,
        "informationUri": "https://gitlab.cern.ch/hepci/hepci",
        "rules": rules,
    }


def _run(report: RepoReport, driver: dict[str, Any]) -> dict[str, Any]:
    index = {rule["id"]: i for i, rule in enumerate(driver["rules"])}
    results = []
    for result in report.failed():
        for finding in result.findings:
            location: dict[str, Any] = {
                "artifactLocation": {"uri": finding.path or ".", "uriBaseId": "SRCROOT"}
            }
            if finding.line:
                location["region"] = {"startLine": finding.line}
            results.append(
                {
                    "ruleId": result.id,
                    "ruleIndex": index[result.id],
                    "level": LEVEL[result.severity],
                    "message": {"text": finding.message},
                    "locations": [{"physicalLocation": location}],
                }
            )
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"hepci-audit/{report.name}"},
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": report.name}}},
        "results": results,
    }


def render(run: AuditRun, fail_on: str | None = None) -> str:
    driver = _driver()
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [_run(r, driver) for r in run.reports]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
