"""The hostile suite: hostile repositories, hostile GitLab servers, careless users.

Every test here is bounded: a default ``timeout`` mark (``HOSTILE_TIMEOUT`` seconds) unless the
test sets its own, and child processes run through ``_support.run_hepci`` (time + RLIMIT_AS).
The GitLab double fixtures are re-exported for the server-side tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitlab_double.pytest_fixtures import (  # noqa: F401  (fixtures, used by name)
    fresh_double,
    fresh_world,
    gitlab_double,
    gitlab_double_ro,
    gitlab_world,
)

HOSTILE_TIMEOUT = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(HOSTILE_TIMEOUT))


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caches go to a per-session temporary folder, never ~/.cache."""
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "hepci-cache"))
