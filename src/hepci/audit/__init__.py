"""``hepci audit``: repo-review-style rules over one :class:`~hepci.core.repo.Repo` abstraction.

Public API (imported lazily by the CLI and the GitLab sweep)::

    from hepci.audit import AuditConfig, AuditRun, audit_repo, audit_many, render
    report = audit_repo(repo, AuditConfig())          # -> RepoReport
    run = audit_many([(name, open_repo), ...], config, progress)   # never stops on a failure
    text = render(run, "json")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hepci.audit.config import AuditConfig, load_config_file
    from hepci.audit.engine import audit_repo
    from hepci.audit.model import AuditRun, Finding, RepoReport, RuleResult, TargetFailure
    from hepci.audit.progress import NullProgress, Progress, RichProgress, audit_many, progress_for
    from hepci.audit.reports import render

_EXPORTS = {
    "AuditConfig": "hepci.audit.config",
    "load_config_file": "hepci.audit.config",
    "audit_repo": "hepci.audit.engine",
    "AuditRun": "hepci.audit.model",
    "Finding": "hepci.audit.model",
    "RepoReport": "hepci.audit.model",
    "RuleResult": "hepci.audit.model",
    "TargetFailure": "hepci.audit.model",
    "NullProgress": "hepci.audit.progress",
    "Progress": "hepci.audit.progress",
    "RichProgress": "hepci.audit.progress",
    "audit_many": "hepci.audit.progress",
    "progress_for": "hepci.audit.progress",
    "render": "hepci.audit.reports",
}

__all__ = [
    "AuditConfig",
    "AuditRun",
    "Finding",
    "NullProgress",
    "Progress",
    "RepoReport",
    "RichProgress",
    "RuleResult",
    "TargetFailure",
    "audit_many",
    "audit_repo",
    "load_config_file",
    "progress_for",
    "render",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)


def __dir__() -> list[str]:
    return __all__
