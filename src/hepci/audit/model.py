"""Results of an audit: findings, per-rule results, per-repository and per-run reports.

These are plain frozen dataclasses so every report format (terminal, JSON, SARIF, ...) is a
pure function of them, and the remote sweep can build them from any source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["pass", "fail", "skip", "error"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_RANK: dict[str, int] = {"error": 3, "warning": 2, "info": 1, "never": 99}
FAMILIES: dict[str, str] = {
    "CI": "GitLab CI configuration",
    "IMG": "Container image",
    "PIN": "Pinned dependencies",
    "WF": "Workflow",
    "TST": "Tests",
    "REPO": "Repository hygiene",
    "PRES": "Preservation metadata",
    "GL": "GitLab project settings",
}


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule, with where it is (``path`` relative to the repository)."""

    message: str
    path: str | None = None
    line: int | None = None
    fix: str | None = None

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule on one repository."""

    id: str
    family: str
    title: str
    severity: Severity
    status: Status
    url: str
    findings: tuple[Finding, ...] = ()
    skip_reason: str | None = None
    fix: tuple[str, ...] = ()

    @property
    def applicable(self) -> bool:
        return self.status in ("pass", "fail")

    def available_fixes(self) -> tuple[str, ...]:
        """Codemods (``hepci upgrade``) that fix this result's findings."""
        return tuple(dict.fromkeys(f.fix for f in self.findings if f.fix))


@dataclass(frozen=True)
class FamilyScore:
    family: str
    passed: int
    applicable: int

    @property
    def score(self) -> int | None:
        """passed / applicable × 100, rounded; ``None`` when no rule applied."""
        if self.applicable == 0:
            return None
        return round(100 * self.passed / self.applicable)


@dataclass(frozen=True)
class RepoReport:
    """Every selected rule's result for one repository."""

    name: str
    results: tuple[RuleResult, ...]
    web_url: str | None = None
    seconds: float = 0.0
    fail_on: str = "warning"  # this repository's effective threshold (its config)
    preservation: dict[str, Any] | None = None  # hepci.metadata.summary.catalogue_entry

    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "fail"]

    def errors(self) -> list[RuleResult]:
        """Rules that crashed (a bug in hepci, reported rather than raised)."""
        return [r for r in self.results if r.status == "error"]

    def worst(self) -> Severity | None:
        failed = self.failed()
        if not failed:
            return None
        return max(failed, key=lambda r: SEVERITY_RANK[r.severity]).severity

    def family_scores(self) -> list[FamilyScore]:
        scores = []
        for family in FAMILIES:
            mine = [r for r in self.results if r.family == family]
            if not mine:
                continue
            applicable = [r for r in mine if r.applicable]
            passed = sum(1 for r in applicable if r.status == "pass")
            scores.append(FamilyScore(family, passed, len(applicable)))
        return scores

    def score(self) -> int | None:
        applicable = [r for r in self.results if r.applicable]
        if not applicable:
            return None
        return round(100 * sum(r.status == "pass" for r in applicable) / len(applicable))

    def fix_first(self) -> list[RuleResult]:
        """Failed rules, most urgent first: errors first, then rules with a codemod."""
        return sorted(
            self.failed(),
            key=lambda r: (-SEVERITY_RANK[r.severity], not r.available_fixes(), r.id),
        )


@dataclass(frozen=True)
class TargetFailure:
    """A target that could not be audited (unreachable project, bad local config, ...)."""

    target: str
    message: str
    exit_code: int = 3


@dataclass(frozen=True)
class SkippedTarget:
    """A target deliberately not audited (archived, empty repository, ...)."""

    target: str
    reason: str


@dataclass
class AuditRun:
    """Everything one ``hepci audit`` invocation produced: reports plus per-target failures."""

    reports: list[RepoReport] = field(default_factory=list)
    failures: list[TargetFailure] = field(default_factory=list)
    skipped: list[SkippedTarget] = field(default_factory=list)

    @classmethod
    def of(cls, reports: Iterable[RepoReport], failures: Iterable[TargetFailure] = ()) -> AuditRun:
        return cls(list(reports), list(failures))

    def counts(self) -> dict[str, int]:
        """Failed rules per severity over every report."""
        return severity_counts([r.severity for r in report.failed()] for report in self.reports)

    def exit_code(self, fail_on: str | None = None) -> int:
        """See :func:`run_exit_code`."""
        outcomes = (
            (bool(report.errors()), report.fail_on, [r.severity for r in report.failed()])
            for report in self.reports
        )
        return run_exit_code(list(outcomes), bool(self.failures), fail_on)


def severity_counts(failed: Iterable[Iterable[str]]) -> dict[str, int]:
    """Failed rules per severity, from each report's failed severities."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    for severities in failed:
        for severity in severities:
            counts[severity] += 1
    return counts


def run_exit_code(
    outcomes: Sequence[tuple[bool, str, Sequence[str]]], target_failed: bool, fail_on: str | None
) -> int:
    """The exit code of an audit run, from each report's (rule crashed, its threshold, the
    severities of its failed rules): 4 when a rule crashed, 3 when a target could not be
    audited, 1 on failures at or above ``fail_on`` (default: each report's own), else 0."""
    if any(errors for errors, _, _ in outcomes):
        return 4
    if target_failed:
        return 3
    for _, own, failed in outcomes:
        threshold = SEVERITY_RANK[fail_on or own]
        if any(SEVERITY_RANK[severity] >= threshold for severity in failed):
            return 1
    return 0
