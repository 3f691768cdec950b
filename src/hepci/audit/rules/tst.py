"""TST001–TST003: tests exist, run in CI, and report coverage."""

from __future__ import annotations

import re
from typing import ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip
from hepci.audit.rules._ci import script_lines, template_uses

TEST_COMMAND = re.compile(
    r"\b(pytest|py\.test|ctest|tox|nox|unittest|make\s+(check|test)|reana-client\s+test"
    r"|scram\s+b\s+runtests|snakemake\b.*--(dry-run|lint|-n\b)|test_\w+\.py)"
)
COVERAGE_COMMAND = re.compile(r"--cov\b|\bcoverage\s+(run|xml|report)|\bgcovr\b|\blcov\b")


KNOWN_TEST_FILES = ("tests/__init__.py", "tests/conftest.py", "test/__init__.py")


class TstRule(Rule):
    family = "TST"


def _is_test_path(path: str) -> bool:
    parts = path.split("/")
    base = parts[-1]
    if any(p in ("tests", "test", "testing") for p in parts[:-1]):
        return True
    return (
        (base.startswith("test_") and base.endswith(".py"))
        or base.endswith(("_test.py", ".feature"))
        or (base.startswith("test_") and base.endswith((".cc", ".cpp", ".cxx", ".C")))
    )


class TST001(TstRule):
    """Tests exist

    Unit tests and regression tests (cut flows, histogram integrals) catch an analysis that
    silently changes its numbers.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.sizes is None:  # a remote source: only files known by name can be seen
            if any(ctx.exists(path) for path in KNOWN_TEST_FILES):
                return []
            raise Skip("the source cannot list its files cheaply")
        if any(_is_test_path(path) for path in ctx.sizes):
            return []
        return [Finding("no tests (tests/ folder, test_*.py, *.feature)", "tests/")]


def _test_jobs(ctx: AuditContext) -> list[str]:
    names = []
    for name, job in ctx.ci_jobs.items():
        if any(TEST_COMMAND.search(line) for line in script_lines(job)):
            names.append(name)
    return names


def _test_templates(ctx: AuditContext) -> bool:
    return any(
        "test" in " ".join(use.include.files) + use.include.location for use in template_uses(ctx)
    )


class TST002(TstRule):
    """Tests run in CI

    Tests that only run on a laptop stop running. A CI job should run them on every push
    (the hepci `python-test` template does).
    """

    requires: ClassVar[frozenset[str]] = frozenset({"TST001", "CI002"})

    def check(self, ctx: AuditContext) -> list[Finding]:
        if _test_jobs(ctx) or _test_templates(ctx):
            return []
        return [Finding("no CI job runs the tests (pytest, ctest, make test, …)", ctx.ci.path, 1)]


class TST003(TstRule):
    """Coverage is reported

    A `coverage:` regex or an `artifacts:reports:coverage_report` shows coverage in merge
    requests, so untested code is visible in review.
    """

    severity: ClassVar[Severity] = "info"
    requires: ClassVar[frozenset[str]] = frozenset({"TST002"})

    def check(self, ctx: AuditContext) -> list[Finding]:
        if _test_templates(ctx):
            return []
        for job in ctx.ci_jobs.values():
            artifacts = job.get("artifacts")
            reports = artifacts.get("reports") if isinstance(artifacts, dict) else None
            if "coverage" in job or (isinstance(reports, dict) and "coverage_report" in reports):
                return []
            if any(COVERAGE_COMMAND.search(line) for line in script_lines(job)):
                return []
        if ctx.ci.tree is None:
            raise Skip("no parsed CI configuration")
        return [
            Finding("no job reports coverage (`coverage:` or `coverage_report`)", ctx.ci.path, 1)
        ]
