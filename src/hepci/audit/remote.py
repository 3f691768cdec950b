"""``gitlab:`` targets: the GitLab adapter lists and reads projects, this module audits each.

Only imported for remote targets (it pulls in :mod:`hepci.gitlab`, hence python-gitlab).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hepci.audit.config import AuditConfig
from hepci.audit.context import DOCKERFILE_NAMES, REANA_NAMES, SNAKEFILE_NAMES
from hepci.audit.model import AuditRun, SkippedTarget, TargetFailure
from hepci.audit.progress import Progress
from hepci.errors import ExitCode, HepciError

EXTRA_CANDIDATES = (
    *DOCKERFILE_NAMES,
    *REANA_NAMES,
    *SNAKEFILE_NAMES,
    "README.txt",
    "LICENCE",
    "LICENSE.rst",
)
"""Files the rules look for by name that the adapter does not fetch by default."""


class ProgressAdapter:
    """Turns the adapter's ``progress(done, total, path)`` calls into :class:`Progress` calls."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._started = False
        self._done = 0
        self._total = 0

    def __call__(self, done: int, total: int, path: str) -> None:
        if not self._started:
            self._progress.start(total)
            self._started = True
        elif total != self._total:
            self._progress.set_total(total)
        self._total = total
        for _ in range(max(done - self._done, 0)):
            self._progress.advance(path)
        self._done = max(done, self._done)

    def close(self) -> None:
        if self._started:
            self._progress.finish()


def _settings_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """CLI values → :func:`hepci.gitlab.settings.resolve_settings` keyword arguments."""
    import os
    from pathlib import Path

    from hepci.gitlab.settings import Shard, default_cache_dir

    opts = {k: v for k, v in options.items() if v is not None}
    shard = opts.pop("shard", None)
    if isinstance(shard, str):
        opts["shard"] = Shard.parse(shard)
    else:
        opts["shard"] = Shard.from_env(os.environ)
    use_cache = opts.pop("cache", True)
    cache_dir = opts.pop("cache_dir", None)
    if use_cache:
        opts["cache_dir"] = Path(cache_dir) if cache_dir else default_cache_dir(os.environ)
    return opts


def audit_remote_targets(
    targets: list[str],
    config: AuditConfig,
    progress: Progress,
    options: Mapping[str, Any] | None = None,
) -> AuditRun:
    """Audit every project behind each target; failures are recorded, never raised."""
    from hepci.audit.engine import audit_repo
    from hepci.gitlab.candidates import register_candidates
    from hepci.gitlab.settings import resolve_settings
    from hepci.gitlab.sources import audit_remote

    register_candidates(*EXTRA_CANDIDATES)
    settings = resolve_settings(**_settings_options(options or {}))
    run = AuditRun()
    for target in targets:
        adapter = ProgressAdapter(progress)
        try:
            remote = audit_remote(target, settings, lambda repo: audit_repo(repo, config), adapter)
        except HepciError as exc:
            run.failures.append(TargetFailure(target, str(exc), int(exc.exit_code)))
            continue
        except Exception as exc:  # never lose the other targets' results
            message = f"internal error: {type(exc).__name__}: {exc}"
            run.failures.append(TargetFailure(target, message, int(ExitCode.INTERNAL)))
            continue
        finally:
            adapter.close()
        run.reports.extend(result.result for result in remote.results)
        run.failures.extend(TargetFailure(f.full_path, f.reason) for f in remote.failed)
        run.skipped.extend(SkippedTarget(s.full_path, s.reason) for s in remote.skipped)
    return run
