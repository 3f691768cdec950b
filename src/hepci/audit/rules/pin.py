"""PIN001–PIN005: everything a pipeline pulls in is pinned — includes of other projects,
components, remote includes, CI images and Dockerfile base images.

Includes of the hepci templates themselves are CI005's (same classification,
:func:`~hepci.audit.rules._ci.ref_problem`, plus the ``bump-templates`` fix), so each include
is reported once. Whether a ref is a branch is decided by its shape, locally and remotely
alike: the audit makes no extra call per included project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.dockerfile import split_image
from hepci.audit.locate import line_of
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip
from hepci.audit.rules._ci import as_list, ci_files, image_name, ref_problem, template_ref
from hepci.core.cilocal import LoadedFile
from hepci.core.cimodel import Include, parse_includes
from hepci.core.interpolation import VARIABLE_RE
from hepci.core.yamledit import MappingNode, resolve_alias

_RAW_URL = (
    # GitLab: https://host/group/project/-/raw/<ref>/path (and the older /raw/<ref>/ form)
    re.compile(r"^https?://[^/]+/(?P<project>.+?)/(?:-/)?raw/(?P<ref>[^/?#]+)/"),
    # GitHub: raw.githubusercontent.com/<owner>/<repo>/<ref>/path
    re.compile(r"^https?://raw\.githubusercontent\.com/(?P<project>[^/]+/[^/]+)/(?P<ref>[^/?#]+)/"),
)


class PinRule(Rule):
    family = "PIN"
    requires: ClassVar[frozenset[str]] = frozenset({"CI002"})


@dataclass(frozen=True)
class _Located:
    include: Include
    path: str
    trigger: str | None  # the job whose `trigger:include` this is


def _trigger_includes(loaded: LoadedFile) -> Iterator[tuple[str, Include]]:
    for name, job in loaded.config.jobs.items():
        trigger = resolve_alias(job.value_node("trigger"))
        if isinstance(trigger, MappingNode) and trigger.get("include") is not None:
            for inc in parse_includes(trigger.get("include")):
                yield name, inc


def _includes(ctx: AuditContext, kind: str) -> list[_Located]:
    """Every ``kind`` include (top level and ``trigger:include``) except the hepci templates."""
    project = ctx.config.templates_project
    found = []
    for loaded in ci_files(ctx):
        pairs: list[tuple[str | None, Include]] = [(None, i) for i in loaded.config.includes]
        pairs += list(_trigger_includes(loaded))
        for job, inc in pairs:
            if inc.kind == kind and template_ref(inc, project) is None:
                found.append(_Located(inc, loaded.path, job))
    return found


def _unpinned(ctx: AuditContext, kind: str) -> Iterator[tuple[_Located, str]]:
    """Includes of ``kind`` whose ref is not a pin, with what is wrong; a ref in a variable
    other than ``$CI_COMMIT_SHA`` is not judged."""
    for item in _includes(ctx, kind):
        ref = item.include.ref
        if ref is not None and "$" in ref and "CI_COMMIT_SHA" not in ref:
            continue
        problem = ref_problem(ref, kind)
        if problem:
            yield item, problem


def _where(item: _Located) -> str:
    return f"job `{item.trigger}` trigger: " if item.trigger else ""


def _line(inc: Include) -> int:
    return (inc.ref_node or inc.node).start.lineno


class PIN001(PinRule):
    """Project includes are pinned to a tag or a full commit SHA

    `include: project` without `ref` takes the file from the included project's default branch
    at pipeline creation, so the same commit of your analysis runs different CI next month —
    the most common way a preserved analysis stops reproducing. A branch `ref` (`main`,
    `master`, `develop`, `HEAD`) moves the same way, a partial version (`7`, `7.9`) is usually
    an alias tag moved to each release, and an abbreviated SHA can become ambiguous. Pin a
    release tag (`1.2.3`, `v2025.09.0`) or the full 40-character commit SHA.

    A ref counts as a tag when it looks like a release version; hepci decides by shape, also
    in remote audits (no extra request per included project). `ref: $CI_COMMIT_SHA` passes;
    refs in other variables are not judged. `trigger:include` entries (child pipelines) are
    checked too; the hepci templates are [CI005](#ci005)'s.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for item, problem in _unpinned(ctx, "project"):
            inc = item.include
            files = ", ".join(inc.files) or "?"
            text = f"{_where(item)}project `{inc.location}` ({files}): {problem}"
            found.append(Finding(text, item.path, _line(inc)))
        return found


class PIN002(PinRule):
    """Components are pinned to a full version or a commit SHA

    `component: …/name@~latest`, a partial version (`@1`, `@1.2`: the newest matching
    release) or a branch (`@main`, `@master`) resolves to something else whenever the
    component project releases or pushes. Pin a full release (`@1.2.3`) or a commit SHA;
    `@$CI_COMMIT_SHA` (a component project testing itself) passes, other variables are not
    judged. The hepci components are [CI005](#ci005)'s.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for item, problem in _unpinned(ctx, "component"):
            text = f"{_where(item)}component `{item.include.location}`: {problem}"
            found.append(Finding(text, item.path, _line(item.include)))
        return found


def remote_ref(url: str) -> str | None:
    """The ref written in a raw-file URL of GitLab or GitHub, ``None`` for other URLs."""
    for pattern in _RAW_URL:
        match = pattern.match(url.strip())
        if match:
            return match["ref"]
    return None


class PIN003(PinRule):
    """Remote includes name a tag or a commit in their URL

    `include: remote: https://host/group/project/-/raw/master/ci.yml` follows a branch: the
    file changes under your pipeline (and fails it if it has an `integrity` hash, see
    [CI009](#ci009)). Use the URL of a tag or a full commit SHA. Only GitLab (`/-/raw/<ref>/`,
    `/raw/<ref>/`) and GitHub (`raw.githubusercontent.com`) raw URLs can be read this way;
    other URLs are left to `integrity`.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for item in _includes(ctx, "remote"):
            inc = item.include
            ref = remote_ref(inc.location)
            if ref is None or "$" in ref:
                continue
            problem = ref_problem(ref, "remote")
            if problem:
                text = f"{_where(item)}remote include {inc.location}: {problem}"
                found.append(Finding(text, item.path, inc.node.start.lineno))
        return found


# ------------------------------------------------------------------------------- images


def _value(raw: Any) -> str | None:
    """A `variables:` entry's value (plain or `{value: …}`) as text."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
        return str(raw)
    return None


def expand(text: str, scopes: list[dict[str, Any]], depth: int = 0) -> tuple[str, list[str]]:
    """``text`` with ``$X``/``${X}`` replaced from ``scopes`` (first wins); unknown names."""
    missing: list[str] = []

    def repl(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        for scope in scopes:
            if name in scope and (value := _value(scope[name])) is not None:
                if depth < 5 and "$" in value:
                    value, more = expand(value, scopes, depth + 1)
                    missing.extend(more)
                return value
        missing.append(f"${name}")
        return match[0]

    return VARIABLE_RE.sub(repl, text.replace("$$", "\0")).replace("\0", "$"), missing


@dataclass(frozen=True)
class ImageUse:
    """One image reference written in a CI file, with what it resolves to."""

    path: str
    line: int
    scope: str  # "" (global), "default", or a job name
    key: str  # image | services
    written: str
    resolved: tuple[str, ...]  # one per `parallel:matrix` value; () when unresolvable
    missing: tuple[str, ...]


def _matrix_values(job: Any, name: str) -> list[str]:
    parallel = job.get("parallel") if isinstance(job, dict) else None
    matrix = parallel.get("matrix") if isinstance(parallel, dict) else None
    values: list[str] = []
    for entry in matrix if isinstance(matrix, list) else []:
        if isinstance(entry, dict) and name in entry:
            values += [str(v) for v in as_list(entry[name]) if isinstance(v, (str, int, float))]
    return values


def _resolve(written: str, job: Any, scopes: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    names = [m[1] or m[2] for m in VARIABLE_RE.finditer(written)]
    matrix = next((n for n in names if _matrix_values(job, n)), None)
    variants = [{matrix: v} for v in _matrix_values(job, matrix)] if matrix else [{}]
    resolved, missing = [], []
    for variant in variants:
        text, unknown = expand(written, [variant, *scopes])
        if unknown or "$[[" in text:
            missing += unknown or ["$[[ inputs ]]"]
        else:
            resolved.append(text)
    return resolved, list(dict.fromkeys(missing))


def image_uses(ctx: AuditContext) -> list[ImageUse]:
    """Every `image:` and `services:` entry written in the CI files (global, `default:`, jobs,
    string or `name:` form), resolved through `variables:` and `parallel:matrix`."""
    files = ci_files(ctx)
    global_vars: dict[str, Any] = {}
    for loaded in [*files[1:], files[0]]:
        global_vars.update(loaded.config.variables)
    uses = []
    for loaded in files:
        config = loaded.config
        scopes: list[tuple[str, Any, Any]] = [
            ("", {k: config.data.get(k) for k in ("image", "services")}, {}),
            ("default", config.default, {}),
        ]
        scopes += [(n, job.data, ctx.ci_jobs.get(n, job.data)) for n, job in config.jobs.items()]
        for scope, data, merged in scopes:
            if not isinstance(data, dict):
                continue
            job_vars = merged.get("variables") if isinstance(merged, dict) else None
            var_scopes = [job_vars if isinstance(job_vars, dict) else {}, global_vars]
            entries = [("image", image_name(data.get("image")))]
            entries += [("services", image_name(s)) for s in as_list(data.get("services"))]
            for key, written in entries:
                if not written:
                    continue
                resolved, missing = _resolve(written, merged, var_scopes)
                prefix = (scope,) if scope else ()
                line = line_of(config.document, (*prefix, key))
                uses.append(
                    ImageUse(
                        loaded.path, line, scope, key, written, tuple(resolved), tuple(missing)
                    )
                )
    return uses


def digest_problem(image: str) -> str | None:
    """Why a resolved image is pinned by tag only; ``None`` when it has a digest or when it is
    CI010/IMG002's (no tag, ``:latest``)."""
    _, tag, digest = split_image(image.strip())
    if digest or tag is None or tag == "latest":
        return None
    return f"`{image}` is pinned by tag only, not by digest"


def _unresolved_reason(skipped: list[ImageUse]) -> str:
    names = sorted({n for use in skipped for n in use.missing})
    return f"{len(skipped)} image reference(s) use values not known here ({', '.join(names)})"


class PIN004(PinRule):
    """CI images are pinned by digest

    A tag (`python:3.12-slim`) is a name the image's publisher can move: rebuilt for security
    fixes, or re-pushed by accident. Only a digest (`python:3.12-slim@sha256:…`) names the
    exact image a job ran in, which is what lets a pipeline be re-run years later. Keep the
    tag for humans and add the digest; `hepci upgrade --refresh-digests` looks it up in the
    registry and refreshes it later. Checked: global, `default:` and job `image:` and
    `services:`, string and `name:` forms, `$VARIABLES` resolved from `variables:` and
    `parallel:matrix`; values only known at run time (`$CI_REGISTRY_IMAGE`, inputs) are
    skipped. Untagged and `:latest` images are [CI010](#ci010)'s.
    """

    severity: ClassVar[Severity] = "info"
    fix: ClassVar[tuple[str, ...]] = ("pin-digests",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        uses = image_uses(ctx)
        if not uses:
            raise Skip("no CI image or service")
        found, skipped = [], [u for u in uses if not u.resolved]
        for use in uses:
            for image in use.resolved:
                problem = digest_problem(image)
                if problem:
                    where = f"job `{use.scope}`: " if use.scope not in ("", "default") else ""
                    via = f" (from `{use.written}`)" if use.written != image else ""
                    text = f"{where}{use.key} {problem}{via}"
                    found.append(Finding(text, use.path, use.line, fix="pin-digests"))
        if skipped and len(skipped) == len(uses):
            raise Skip(_unresolved_reason(skipped))
        return found


class PIN005(PinRule):
    """Dockerfile base images are pinned by digest

    `FROM python:3.12-slim` rebuilds on whatever the tag points to on the day of the build,
    so rebuilding an old commit does not give the old image. `FROM
    python:3.12-slim@sha256:…` does (the tag stays for readers; the digest wins). `ARG`
    defaults are substituted first; untagged and `:latest` bases are [IMG002](#img002)'s.
    `hepci upgrade --refresh-digests` adds and refreshes digests from the registry.
    """

    severity: ClassVar[Severity] = "info"
    requires: ClassVar[frozenset[str]] = frozenset({"IMG001"})
    fix: ClassVar[tuple[str, ...]] = ("pin-digests",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        if not ctx.dockerfiles:
            raise Skip("no readable Dockerfile")
        found = []
        for dockerfile in ctx.dockerfiles:
            for line in dockerfile.froms:
                if line.unresolved or line.is_stage_ref or line.image.lower() == "scratch":
                    continue
                problem = digest_problem(line.image)
                if problem:
                    via = f" (from `{line.written}`)" if line.written != line.image else ""
                    text = f"base image {problem}{via}"
                    found.append(Finding(text, dockerfile.path, line.line, fix="pin-digests"))
        return found
