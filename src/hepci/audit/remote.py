"""``gitlab:`` targets: the GitLab adapter lists and reads projects, this module audits each.

Only imported for remote targets (it pulls in :mod:`hepci.gitlab`, hence python-gitlab).
Each project's report goes to the run's on-disk spool as soon as it is made; unchanged
projects take theirs from the findings cache (:mod:`hepci.audit.findings`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hepci.audit.config import AuditConfig
from hepci.audit.context import REANA_NAMES, SNAKEFILE_NAMES
from hepci.audit.findings import Cached, FindingsCache, run_fingerprint
from hepci.audit.model import SkippedTarget, TargetFailure
from hepci.audit.progress import Progress
from hepci.audit.spool import ReportSpool, SpooledRun
from hepci.core.dockerfiles import DOCKERFILE_NAMES
from hepci.errors import ExitCode, HepciError

if TYPE_CHECKING:
    from hepci.core.repo import Repo
    from hepci.gitlab.model import Snapshot
    from hepci.gitlab.settings import RemoteSettings

EXTRA_CANDIDATES = (
    *DOCKERFILE_NAMES,
    *REANA_NAMES,
    *SNAKEFILE_NAMES,
    "README.txt",
    "LICENCE",
    "LICENSE.rst",
    "config/config.yaml",  # the declared datasets (PRES001, the catalogue)
    "config.yaml",
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


def snapshot_key(snapshot: Snapshot, run_key: str) -> str:
    """The findings-cache key of one fetched project (see :mod:`hepci.audit.findings`)."""
    info, details = snapshot.info, snapshot.details
    facts = (
        info.full_path, info.web_url, info.default_branch, info.archived,
        info.container_registry_enabled, details.head_sha, details.default_branch_protected,
        details.latest_pipeline_status, details.pipeline,
    )  # fmt: skip
    h = hashlib.sha256(f"{run_key}\0{facts!r}".encode())
    for path, fetched in sorted(snapshot.files.items()):
        h.update(f"\0{path}\0{fetched.oid}".encode())
    return h.hexdigest()


class _Auditor:
    """Audits one snapshot (or takes its findings from the cache) and spools the report."""

    def __init__(self, config: AuditConfig, spool: ReportSpool, cache: FindingsCache | None):
        self.config = config
        self.spool = spool
        self.cache = cache
        self._run_key: str | None = None
        self._configs: dict[str, AuditConfig] = {}  # effective configs, by their JSON
        self._volatile: dict[str, Any] | None = None

    @property
    def run_key(self) -> str:
        """The hepci version, rule set and config fingerprint; made at the first project, so
        importing every rule module overlaps the listing's first requests instead of
        delaying them."""
        if self._run_key is None:
            self._run_key = run_fingerprint(self.config) if self.cache is not None else ""
        return self._run_key

    def __call__(self, snapshot: Snapshot) -> None:
        from hepci.audit.engine import audit_with_config, volatile_rules

        repo = snapshot.repo()
        if self.cache is None:
            self.spool.add(audit_with_config(repo, self.config)[0])
            return
        key = snapshot_key(snapshot, self.run_key)
        cached = self.cache.load_raw(snapshot.info.full_path, key)
        if cached is not None and self._reuse(cached, repo):
            return
        report, effective = audit_with_config(repo, self.config)
        if self._volatile is None:
            self._volatile = volatile_rules()
        packed = self.spool.add(report)
        self.cache.store(
            snapshot.info.full_path, key, report, effective, volatile=self._volatile, packed=packed
        )

    def _reuse(self, cached: Cached, repo: Repo) -> bool:
        """Spool a cached report, its volatile rules run again; ``False``: unusable entry.

        When the volatile results did not change (the usual case) the stored line is spooled
        as it is, still compressed: only the small summary is decoded, never the report."""
        from hepci.audit.engine import rerun_volatile, volatile_rules, with_results
        from hepci.audit.findings import config_from_json
        from hepci.audit.reports.jsonfmt import project_from_dict, result_dict, result_from_dict

        if self._volatile is None:
            self._volatile = volatile_rules()
        try:
            summary = cached.summary
            if not cached.intact():
                return False
            effective = self._configs.get(cached.config)
            if effective is None:
                effective = config_from_json(json.loads(cached.config))
                self._configs[cached.config] = effective
            stored: dict[str, Any] = summary["volatile"]
            needed = {req for cls in self._volatile.values() for req in cls.requires}
            if needed:  # prerequisites of a volatile rule: from the report itself
                results = json.loads(cached.line())["results"]
                stored = {**{r["id"]: r for r in results if r["id"] in needed}, **stored}
            prior = {rid: result_from_dict(stored[rid]) for rid in needed if rid in stored}
            fresh = rerun_volatile(repo, effective, prior, self._volatile)
            if fresh.keys() == summary["volatile"].keys() and all(
                summary["volatile"][rule_id] == result_dict(r) for rule_id, r in fresh.items()
            ):
                self.spool.add_packed(
                    cached.packed, str(summary["name"]), str(summary["fail_on"]),
                    tuple(summary["failed"]), bool(summary["errors"]),
                )  # fmt: skip
                return True
            report = project_from_dict(json.loads(cached.line()))
        except (ValueError, KeyError, TypeError, zlib.error):
            return False
        self.spool.add(with_results(report, fresh))  # the volatile rules ran once, above
        return True


def _findings_cache(settings: RemoteSettings, use: bool) -> FindingsCache | None:
    """``findings.sqlite`` next to the instance's ``snapshots.sqlite``, made private by the
    snapshot cache's own rules (folders 0700, files 0600, never another user's)."""
    if not use or settings.cache_dir is None:
        return None
    from functools import partial

    from hepci.gitlab import cache as snapshots

    root = settings.cache_dir
    prepare = partial(snapshots.prepare_private, root, warn=False)
    return FindingsCache(snapshots.SnapshotCache(root, settings.url).dir, prepare)


def audit_remote_targets(
    targets: list[str],
    config: AuditConfig,
    progress: Progress,
    options: Mapping[str, Any] | None = None,
    into: SpooledRun | None = None,
) -> SpooledRun:
    """Audit every project behind each target into ``into`` (a new spooled run by default);
    failures are recorded, never raised. Unchanged projects take their findings from the
    findings cache (unless ``--no-cache``)."""
    from hepci.gitlab.candidates import register_candidates
    from hepci.gitlab.settings import resolve_settings
    from hepci.gitlab.sources import parse_target, run_remote, settings_for

    register_candidates(*EXTRA_CANDIDATES)
    opts = dict(options or {})
    settings = resolve_settings(**_settings_options(opts))
    run = into if into is not None else SpooledRun()
    run.scope = _scope(run.scope, targets, settings)
    for target in targets:
        adapter = ProgressAdapter(progress)
        run.reports.target += 1
        cache = None
        try:
            cache = _findings_cache(
                settings_for(parse_target(target), settings), opts.get("cache", True) is not False
            )
            remote = run_remote(target, settings, _Auditor(config, run.reports, cache), adapter)
        except HepciError as exc:
            run.failures.append(TargetFailure(target, str(exc), int(exc.exit_code)))
            continue
        except Exception as exc:  # never lose the other targets' results
            message = f"internal error: {type(exc).__name__}: {exc}"
            run.failures.append(TargetFailure(target, message, int(ExitCode.INTERNAL)))
            continue
        finally:
            adapter.close()
            if cache is not None:
                cache.close()
        run.failures.extend(TargetFailure(f.full_path, f.reason) for f in remote.failed)
        run.skipped.extend(SkippedTarget(s.full_path, s.reason) for s in remote.skipped)
    return run


def _scope(
    scope: dict[str, Any] | None, targets: list[str], settings: RemoteSettings
) -> dict[str, Any]:
    """What the JSON report records of this run, for ``hepci audit --merge``."""
    shard = settings.shard
    out = dict(scope or {})
    out["targets"] = [*out.get("targets", []), *targets]
    out["gitlab_url"] = settings.url
    out["shard"] = None if shard is None else {"index": shard.index, "total": shard.total}
    return out
