"""CI001–CI006: the CI file exists, parses, is valid, and uses pinned, current hepci templates."""

from __future__ import annotations

from typing import Any, ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip
from hepci.audit.rules._ci import (
    PINNED_REF,
    behind,
    ci_files,
    file_findings,
    ref_problem,
    semver,
    template_uses,
)
from hepci.core.cilocal import LoadedFile


class CiRule(Rule):
    family = "CI"
    requires: ClassVar[frozenset[str]] = frozenset({"CI002"})


class CiFileRule(CiRule):
    """A CI rule whose findings in each CI file (the root and its local includes) depend on
    that file alone: its path, text and CI model, nothing else of the repository or config.
    ``check_file`` says what they are; it runs once per distinct parsed file
    (:func:`~hepci.audit.rules._ci.file_findings`), however many projects share it."""

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for loaded in ci_files(ctx):
            found += file_findings(self.id(), loaded, self.check_file)
        return found

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        raise NotImplementedError


class CI001(CiRule):
    """Has a `.gitlab-ci.yml`

    Without a CI configuration nothing is tested, built or reproduced on each push. Start from
    `hepci new` or include the hepci templates.
    """

    severity: ClassVar[Severity] = "error"
    requires: ClassVar[frozenset[str]] = frozenset()

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.ci.present:
            return []
        return [Finding(f"no CI configuration: {ctx.ci.path} is missing", ctx.ci.path)]


class CI002(CiRule):
    """CI configuration parses as YAML

    GitLab rejects the whole pipeline when the file (or a file it includes locally) is not
    valid YAML, is binary, is not UTF-8, is too large or expands into a YAML bomb.
    """

    severity: ClassVar[Severity] = "error"
    requires: ClassVar[frozenset[str]] = frozenset({"CI001"})

    def check(self, ctx: AuditContext) -> list[Finding]:
        view = ctx.ci
        if view.error is not None:
            path = view.error.path or view.path
            return [Finding(view.error.message, path, view.error.line)]
        tree = view.tree
        if tree is None:
            return []
        found = []
        for problem in tree.problems:
            if problem.kind == "syntax" and problem.error is not None:
                found.append(Finding(problem.error.message, problem.path, problem.error.line))
        root = tree.root
        body = root.file.body
        if body is None or not isinstance(body.data, dict):
            found.append(
                Finding("the CI configuration is not a mapping of keywords and jobs", root.path, 1)
            )
        return found


class CI003(CiFileRule):
    """CI configuration is valid against GitLab's CI schema

    GitLab validates every pipeline against its CI JSON schema; a key in the wrong place or a
    value of the wrong type fails the pipeline at creation time. Run `hepci lint` for details.
    """

    severity: ClassVar[Severity] = "error"

    def check(self, ctx: AuditContext) -> list[Finding]:
        from hepci.audit.schema import validator_available

        if not validator_available():
            raise Skip("jsonschema is not installed")
        return super().check(ctx)

    def check_file(self, loaded: LoadedFile) -> list[Finding]:
        from hepci.audit.schema import schema_problems

        return [Finding(message, loaded.path, line) for line, message in schema_problems(loaded)]


class CI004(CiRule):
    """Uses the hepci CI templates

    The hepci templates (`include: component: …/hepci/hepci/<name>@<version>`) carry current
    image builds, test jobs and workflow runs; repositories on them are upgraded with one
    `hepci upgrade`.
    """

    severity: ClassVar[Severity] = "info"

    def check(self, ctx: AuditContext) -> list[Finding]:
        if template_uses(ctx):
            return []
        project = ctx.config.templates_project
        return [Finding(f"no include of the {project} templates", ctx.ci.path, 1)]


class CI005(CiRule):
    """hepci template includes are pinned to a tag or a full SHA

    A branch, a missing `ref`, `~latest` or a partial version changes the pipeline without a
    commit in your repository, which breaks reproducibility. Pin a release tag (or a full SHA).
    Includes of other projects are checked the same way by [PIN001](#pin001)–[PIN003](#pin003).
    """

    requires: ClassVar[frozenset[str]] = frozenset({"CI004"})
    fix: ClassVar[tuple[str, ...]] = ("bump-templates",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        for use in template_uses(ctx):
            problem = ref_problem(use.ref, use.how)
            if problem:
                file = use.include.files[0] if use.include.files else use.include.location
                found.append(
                    Finding(f"{file}: {problem}", use.path, use.line, fix="bump-templates")
                )
        return found


class CI006(CiRule):
    """hepci template version is current

    Older template releases miss fixes (image builds, REANA submission, deprecations). The
    message says how far behind the included version is; `hepci upgrade` bumps it.
    """

    requires: ClassVar[frozenset[str]] = frozenset({"CI004"})
    fix: ClassVar[tuple[str, ...]] = ("bump-templates",)

    def check(self, ctx: AuditContext) -> list[Finding]:
        current_text = ctx.config.templates_version
        current = semver(current_text)
        if current is None:
            raise Skip(f"current template version {current_text!r} is not semver")
        found: list[Finding] = []
        versioned: list[Any] = []
        for use in template_uses(ctx):
            version = semver(use.ref) if use.ref and PINNED_REF.match(use.ref) else None
            if version is None:
                continue
            versioned.append(use)
            gap = behind(version, current)
            if gap:
                found.append(
                    Finding(
                        f"templates {use.ref} are {gap} {current_text}",
                        use.path,
                        use.line,
                        fix="bump-templates",
                    )
                )
        if not versioned:
            raise Skip("no hepci template include names a release version")
        return found
