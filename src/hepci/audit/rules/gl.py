"""GL001–GL004: GitLab project settings (remote audits only: they read forge metadata)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip
from hepci.audit.rules._ci import TemplateUse, image_name, script_lines, template_uses
from hepci.core.repo import RepoMeta


class GlRule(Rule):
    family = "GL"
    needs_meta = True


def _meta(ctx: AuditContext) -> RepoMeta:
    if ctx.meta is None:
        raise Skip("local repository: no GitLab project settings")
    return ctx.meta


class GL001(GlRule):
    """Default branch is protected

    An unprotected default branch can be force-pushed or deleted, losing the history that
    results were produced from.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        meta = _meta(ctx)
        if meta.default_branch_protected is None:
            raise Skip(
                "branch protection is unknown: GitLab shows branch rules to Maintainers only"
                " (--details reads it with REST)"
            )
        if meta.default_branch_protected:
            return []
        return [Finding(f"default branch `{meta.default_branch or '?'}` is not protected")]


class GL002(GlRule):
    """Latest default-branch pipeline passed

    A failing default branch means the analysis does not currently build or reproduce.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        status = _meta(ctx).latest_pipeline_status
        if status is None:
            raise Skip(
                "no pipeline for the default branch's latest commit (or the server hides it)"
            )
        if status == "failed":
            return [Finding("the latest default-branch pipeline failed")]
        return []


def _builds_images(ctx: AuditContext) -> bool:
    for job in ctx.ci_jobs.values():
        image = image_name(job.get("image")) or ""
        if any(word in image for word in ("buildah", "kaniko", "docker-image-builder")):
            return True
        scripts = " ".join(script_lines(job))
        if any(
            word in scripts
            for word in ("buildah ", "/kaniko/executor", "docker build", "docker push")
        ):
            return True
        if "docker-image-build" in (job.get("tags") or []):
            return True
    return any("image-build" in " ".join(u.include.files) + u.include.location for u in _uses(ctx))


def _uses(ctx: AuditContext) -> list[TemplateUse]:
    return template_uses(ctx) if ctx.ci.tree is not None else []


class GL003(GlRule):
    """Container registry is enabled when images are built

    CI jobs that push to `$CI_REGISTRY_IMAGE` fail when the project's container registry is
    switched off.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        meta = _meta(ctx)
        if not _builds_images(ctx):
            raise Skip("CI builds no image")
        if meta.container_registry_enabled is False:
            return [Finding("CI builds images but the container registry is disabled")]
        return []


class GL004(GlRule):
    """Project is active

    A project without activity for longer than `inactive-months` (12) is probably abandoned:
    archive it, or hand it over, so that audits and upgrades stop chasing it.
    """

    severity: ClassVar[Severity] = "info"
    volatile: ClassVar[bool] = True  # today's date and last_activity_at: re-run on cache hits

    def check(self, ctx: AuditContext) -> list[Finding]:
        stamp = _meta(ctx).last_activity_at
        if not stamp:
            raise Skip("last activity is unknown")
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise Skip(f"last activity {stamp!r} is not a date") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        months = (datetime.now(timezone.utc) - when).days / 30.44
        limit = ctx.config.inactive_months
        if months > limit:
            return [Finding(f"no activity for {months:.0f} months (limit {limit})")]
        return []
