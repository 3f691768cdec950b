"""Report formats: each is ``render(run, fail_on) -> str`` over an :class:`AuditRun`.

``terminal`` (rich), ``json`` (stable schema, docs/audit-json.md), ``markdown`` (merge request
or issue), ``html`` (group dashboard, one self-contained page), ``codequality`` (GitLab Code
Quality), ``junit`` (JUnit XML), ``sarif`` (SARIF 2.1.0). Modules are imported on demand.
"""

from __future__ import annotations

import importlib

from hepci.audit.model import AuditRun

FORMATS: dict[str, str] = {
    "terminal": "hepci.audit.reports.terminal",
    "json": "hepci.audit.reports.jsonfmt",
    "markdown": "hepci.audit.reports.markdown",
    "html": "hepci.audit.reports.html",
    "codequality": "hepci.audit.reports.codequality",
    "junit": "hepci.audit.reports.junit",
    "sarif": "hepci.audit.reports.sarif",
}
ALIASES = {
    "md": "markdown",
    "code-quality": "codequality",
    "gitlab": "codequality",
    "text": "terminal",
}


def canonical(name: str) -> str | None:
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    return name if name in FORMATS else None


def render(run: AuditRun, fmt: str, fail_on: str | None = None) -> str:
    """The report text of ``run`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    module = importlib.import_module(FORMATS[fmt])
    text: str = module.render(run, fail_on)
    return text
