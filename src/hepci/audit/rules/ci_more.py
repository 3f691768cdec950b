"""CI007–CI014: deprecated keywords and variables, unpinned things, legacy image builds."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.dockerfile import split_image
from hepci.audit.locate import line_of
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Skip
from hepci.audit.rules._ci import as_list, ci_files, image_name, job_location, script_lines
from hepci.audit.rules.ci import CiFileRule, CiRule
from hepci.core.cilocal import LoadedFile

_JOB_DEPRECATIONS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("type",), "`type` was removed in GitLab 15.0: use `stage`", "type-to-stage"),
    (("only",), "`only` is deprecated: use `rules`", "only-except-to-rules"),
    (("except",), "`except` is deprecated: use `rules`", "only-except-to-rules"),
    (
        ("artifacts", "reports", "cobertura"),
        "`artifacts:reports:cobertura` was removed in 15.0: use `coverage_report`",
        "cobertura-report",
    ),
    (
        ("artifacts", "public"),
        "`artifacts:public` is deprecated: use `artifacts:access`",
        "artifacts-public",
    ),
    (
        ("artifacts", "reports", "license_management"),
        "`artifacts:reports:license_management` is deprecated",
        None,
    ),
    (("publish",), "job-level `publish` is deprecated: use `pages:publish`", None),
    (
        ("environment", "kubernetes", "namespace"),
        "`environment:kubernetes:namespace` moved under `kubernetes:dashboard`",
        None,
    ),
)


def _has(data: Any, path: tuple[str, ...]) -> bool:
    for step in path:
        if not isinstance(data, dict) or step not in data:
            return False
        data = data[step]
    return True


class CI007(CiFileRule):
    """No deprecated CI keywords

    GitLab deprecates and removes keywords (gitlab-ci.md §3): `type`/`types`, global
    `image`/`services`/`cache`/`before_script`/`after_script` (use `default:`), `only`/`except`
    (use `rules:`), `artifacts:reports:cobertura`, `include:with`, `artifacts:public`, job-level
    `publish`. Most have an automatic `hepci upgrade` codemod.
    """

    fix: ClassVar[tuple[str, ...]] = (
        "type-to-stage",
        "global-to-default",
        "only-except-to-rules",
        "cobertura-report",
        "include-with-inputs",
        "artifacts-public",
    )

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        found = []
        config = loaded.config
        for key in config.deprecated_globals:
            fix: str | None = "type-to-stage" if key.name == "types" else "global-to-default"
            text = (
                "`types` was removed in GitLab 15.0: use `stages`"
                if key.name == "types"
                else f"global `{key.name}` is deprecated: move it under `default:`"
            )
            found.append(Finding(text, loaded.path, key.key_node.start.lineno, fix))
        for name, job in config.jobs.items():
            for path, text, job_fix in _JOB_DEPRECATIONS:
                if _has(job.data, path):
                    line = line_of(config.document, (name, *path))
                    found.append(Finding(f"job `{name}`: {text}", loaded.path, line, job_fix))
        for inc in config.includes:
            if inc.uses_with:
                line = inc.node.start.lineno
                text = "`include:with` is deprecated: use `include:inputs`"
                found.append(Finding(text, loaded.path, line, "include-with-inputs"))
        return found


_DEPRECATED_VARS = re.compile(r"\bCI_BUILD_[A-Z_]+\b|\bCI_JOB_JWT(?:_V[12])?\b")


class CI008(CiFileRule):
    """No deprecated predefined variables

    `CI_BUILD_*` were replaced in GitLab 9.0 (`CI_BUILD_REF` → `CI_COMMIT_SHA`, …) and
    `CI_JOB_JWT`/`_V1`/`_V2` were removed in 17.0 (use `id_tokens:`).
    """

    fix: ClassVar[tuple[str, ...]] = ("ci-build-variables",)

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        found = []
        for number, text in enumerate(loaded.file.text.splitlines(), 1):
            if text.lstrip().startswith("#"):
                continue
            for name in dict.fromkeys(_DEPRECATED_VARS.findall(text)):
                if name.startswith("CI_BUILD_"):
                    message = f"`{name}` is deprecated since GitLab 9.0"
                    var_fix: str | None = "ci-build-variables"
                else:
                    message = f"`{name}` was removed in GitLab 17.0: use `id_tokens:`"
                    var_fix = None
                found.append(Finding(message, loaded.path, number, var_fix))
        return found


class CI009(CiFileRule):
    """Remote includes have an `integrity` hash

    `include: remote:` fetches a URL at pipeline creation; without
    `integrity: sha256-…` (GitLab 17.9) a changed or compromised file runs unnoticed.
    """

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        found = []
        for inc in loaded.config.includes:
            if inc.kind == "remote" and not inc.integrity:
                found.append(
                    Finding(
                        f"remote include {inc.location} has no `integrity`",
                        loaded.path,
                        inc.node.start.lineno,
                    )
                )
        return found


def image_problem(name: str) -> str | None:
    """Why an image reference is not pinned (``None``: pinned or not decidable)."""
    if "$" in name or "{{" in name or not name.strip():
        return None
    _, tag, digest = split_image(name.strip())
    if digest:
        return None
    if tag is None:
        return f"image `{name}` has no tag (means `latest`)"
    if tag == "latest":
        return f"image `{name}` uses `:latest`"
    return None


def _images(data: Any) -> list[tuple[str, str]]:
    """(key, image name) of a job's or `default:`'s image and services."""
    out = []
    if isinstance(data, dict):
        name = image_name(data.get("image"))
        if name:
            out.append(("image", name))
        for service in as_list(data.get("services")):
            sname = image_name(service)
            if sname:
                out.append(("services", sname))
    return out


class CI010(CiFileRule):
    """CI images are pinned (no `:latest`, no missing tag)

    A moving image tag changes the environment of every job without a commit, so an old
    pipeline cannot be re-run as it was. Pin a version tag or a digest.
    """

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        found = []
        config = loaded.config
        top = {k: config.data.get(k) for k in ("image", "services")}
        scopes: list[tuple[tuple[str, ...], Any]] = [((), top)]
        scopes.append((("default",), config.default))
        scopes += [((name,), job.data) for name, job in config.jobs.items()]
        for prefix, data in scopes:
            for key, name in _images(data):
                problem = image_problem(name)
                if problem:
                    where = f"job `{prefix[0]}`: " if prefix and prefix[0] != "default" else ""
                    line = line_of(config.document, (*prefix, key))
                    found.append(Finding(where + problem, loaded.path, line))
        return found


class CI011(CiRule):
    """Artifacts have `expire_in`

    Without `expire_in`, artifacts are kept as long as the instance default allows (forever on
    some self-managed instances), filling the project's storage quota.
    """

    severity: ClassVar[Severity] = "info"

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.ci.tree is None:
            raise Skip("no parsed CI configuration")
        found = []
        for name, job in ctx.ci_jobs.items():
            artifacts = job.get("artifacts")
            if not isinstance(artifacts, dict):
                continue
            if not (artifacts.get("paths") or artifacts.get("untracked")):
                continue
            if "expire_in" not in artifacts:
                path, line = job_location(ctx, name, "artifacts")
                found.append(Finding(f"job `{name}`: artifacts without `expire_in`", path, line))
        return found


class CI012(CiRule):
    """Pipelines have `workflow:rules`

    Without `workflow:rules`, a push to a branch with an open merge request can start two
    pipelines (branch and merge request), and jobs without `rules` run everywhere.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        for loaded in ci_files(ctx):
            workflow = loaded.config.workflow
            if isinstance(workflow.get("rules"), list):
                return []
        return [Finding("no `workflow:rules` (duplicate pipelines)", ctx.ci.path, 1)]


def _legacy_build(job: dict[str, Any]) -> str | None:
    if "docker-image-build" in as_list(job.get("tags")):
        return "legacy `docker-image-build` runner tag"
    extends = as_list(job.get("extends"))
    if ".build_kaniko" in extends:
        return "CERN kaniko template `.build_kaniko` (kaniko is unmaintained)"
    image = image_name(job.get("image")) or ""
    if "kaniko-project/executor" in image or "docker-image-builder" in image:
        return f"kaniko image `{image}` (kaniko is unmaintained)"
    if any("/kaniko/executor" in line for line in script_lines(job)):
        return "hand-written `/kaniko/executor` build (kaniko is unmaintained)"
    for service in as_list(job.get("services")):
        name = image_name(service) or ""
        if re.search(r"(^|/)docker(:[^/]*)?$", name) and "dind" in name:
            return f"privileged docker-in-docker (`{name}`)"
    return None


class CI013(CiRule):
    """No legacy image build

    The four CERN legacy patterns — the `docker-image-build` runner tag, hand-written
    `/kaniko/executor`, CERN's `.build_kaniko` template, privileged docker-in-docker — are
    decommissioned or unmaintained. The hepci `image-build` template builds with Buildah.
    """

    fix: ClassVar[tuple[str, ...]] = ("legacy-image-build",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for name, job in ctx.ci_jobs.items():
            problem = _legacy_build(job)
            if problem:
                path, line = job_location(ctx, name)
                found.append(Finding(f"job `{name}`: {problem}", path, line, "legacy-image-build"))
        return found


class CI014(CiRule):
    """Runner tag `k8s-cvmfs` instead of `cvmfs`

    CERN's CVMFS-enabled runners are now tagged `k8s-cvmfs`; jobs tagged `cvmfs` wait for a
    runner that no longer exists.
    """

    fix: ClassVar[tuple[str, ...]] = ("cvmfs-tag",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.ci.tree is None:
            raise Skip("no parsed CI configuration")
        found = []
        for name, job in ctx.ci_jobs.items():
            if "cvmfs" in as_list(job.get("tags")):
                path, line = job_location(ctx, name, "tags")
                found.append(
                    Finding(
                        f"job `{name}`: tag `cvmfs` is now `k8s-cvmfs`", path, line, "cvmfs-tag"
                    )
                )
        return found
