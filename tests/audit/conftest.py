"""Fixtures for the audit tests: audit an in-memory repository, pick one rule's result."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from gitlab_double.pytest_fixtures import (  # noqa: F401  (fixtures, used by name)
    gitlab_double,
    gitlab_double_ro,
    gitlab_world,
)

from hepci.audit.config import AuditConfig
from hepci.audit.engine import audit_repo
from hepci.audit.model import RepoReport, RuleResult
from hepci.core.repo import MemoryRepo, RepoMeta

Files = Mapping[str, str | bytes]


def make_repo(files: Files, *, meta: RepoMeta | None = None, listable: bool = True) -> MemoryRepo:
    contents = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return MemoryRepo("repo", contents, meta=meta, listable=listable)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI003's schema cache goes to a per-session temporary folder, never ~/.cache."""
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hepci-cache"))


@pytest.fixture
def audit() -> Callable[..., RepoReport]:
    def run(
        files: Files,
        config: AuditConfig | None = None,
        *,
        meta: RepoMeta | None = None,
        listable: bool = True,
    ) -> RepoReport:
        return audit_repo(make_repo(files, meta=meta, listable=listable), config)

    return run


@pytest.fixture
def rule(audit: Callable[..., RepoReport]) -> Callable[..., RuleResult]:
    """``rule("CI010", files)`` → that rule's result on a repository holding ``files``."""

    def run(rule_id: str, files: Files, **kwargs: object) -> RuleResult:
        report = audit(files, **kwargs)
        return next(r for r in report.results if r.id == rule_id)

    return run
