"""SARIF 2.1.0: one run per project; every rule in ``tool.driver.rules`` with its help URI.

Written one run (project) at a time; the driver (every rule) is built once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from hepci import __version__
from hepci.audit.model import RepoReport
from hepci.audit.reports import RunView
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
    return {**_driver_info(), "rules": rules}


def _run(report: RepoReport, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One project's run; its driver lists the rules its results refer to."""
    used: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for result in report.failed():
        if result.id not in index:
            index[result.id] = len(used)
            used.append(rules[result.id])
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
        "tool": {"driver": {**_driver_info(), "rules": used}},
        "automationDetails": {"id": f"hepci-audit/{report.name}"},
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": report.name}}},
        "results": results,
    }


def _driver_info() -> dict[str, Any]:
    return {
        "name": "hepci",
        "version": __version__,
        "informationUri": "https://gitlab.cern.ch/hepci/hepci",
    }


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    """One run per project, written one at a time. Each run's driver carries only the rules
    that project's results refer to (every rule in every run made a 10,000-project SARIF
    file 6 GB); ``_driver()`` has them all."""
    rules = {rule["id"]: rule for rule in _driver()["rules"]}
    yield f'{{\n  "$schema": {json.dumps(SCHEMA)},\n  "version": "2.1.0",\n  "runs": ['
    for number, report in enumerate(run.reports):
        text = json.dumps(_run(report, rules), ensure_ascii=False, separators=(",", ":"))
        yield ("," if number else "") + "\n    " + text
    yield "\n  ]\n}\n" if len(run.reports) else "]\n}\n"


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
