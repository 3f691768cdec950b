"""WF001–WF004: the analysis workflow is captured (Snakemake, REANA, yadage, CWL), valid,
runs pinned images and declares its outputs."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from hepci.audit.context import AuditContext, Parsed
from hepci.audit.dockerfile import split_image
from hepci.audit.locate import line_of
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip

MOVING_TAGS = frozenset({"latest", "master", "main", "dev", "develop", "stable", "nightly"})
_SNAKE_CONTAINER = re.compile(r"""^\s*(?:container|singularity)\s*:\s*["']([^"']+)["']""")


class WfRule(Rule):
    family = "WF"
    requires: ClassVar[frozenset[str]] = frozenset({"WF001"})


def _reana(ctx: AuditContext) -> Parsed:
    parsed = ctx.reana
    if parsed is None:
        raise Skip("no reana.yaml")
    return parsed


class WF001(WfRule):
    """Workflow is captured

    A workflow description (Snakemake `Snakefile`, REANA `reana.yaml`, yadage, CWL) turns the
    analysis from a list of commands in a README into something CI and REANA can re-run.
    """

    requires: ClassVar[frozenset[str]] = frozenset()

    def check(self, ctx: AuditContext) -> list[Finding]:
        if ctx.workflow_files:
            return []
        return [Finding("no Snakefile, reana.yaml, yadage or CWL workflow", "reana.yaml")]


class WF002(WfRule):
    """`reana.yaml` is valid

    `reana-client run` refuses a specification with unknown keys, a missing `workflow`, a
    wrong `workflow.type`, or a `workflow.file` that does not exist.
    """

    severity: ClassVar[Severity] = "error"

    def check(self, ctx: AuditContext) -> list[Finding]:
        from hepci.audit.reana import validate_reana

        parsed = _reana(ctx)
        if parsed.error is not None:
            return [Finding(parsed.error.message, parsed.path, parsed.error.line)]
        document = parsed.file.body if parsed.file is not None else None
        found = [
            Finding(message, parsed.path, line_of(document, where))
            for message, where in validate_reana(parsed.data)
        ]
        workflow = parsed.data.get("workflow") if isinstance(parsed.data, dict) else None
        file = workflow.get("file") if isinstance(workflow, dict) else None
        if isinstance(file, str) and ctx.listing is not None and not ctx.exists(file):
            line = line_of(document, ("workflow", "file"))
            found.append(Finding(f"workflow.file `{file}` does not exist", parsed.path, line))
        return found


def _image_problem(image: str) -> str | None:
    image = image.removeprefix("docker://")
    if "$" in image or "{" in image:
        return None
    _, tag, digest = split_image(image)
    if digest:
        return None
    if tag is None:
        return f"`{image}` has no tag"
    if tag.lower() in MOVING_TAGS:
        return f"`{image}` uses the moving tag `{tag}`"
    return None


def _reana_images(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []
    workflow = data.get("workflow") if isinstance(data, dict) else None
    if not isinstance(workflow, dict):
        return out
    spec = workflow.get("specification")
    steps = spec.get("steps") if isinstance(spec, dict) else None
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and isinstance(step.get("environment"), str):
            where: tuple[str | int, ...] = ("workflow", "specification", "steps", index)
            out.append(((*where, "environment"), step["environment"]))
    resources = workflow.get("resources")
    dask = resources.get("dask") if isinstance(resources, dict) else None
    if isinstance(dask, dict) and isinstance(dask.get("image"), str):
        out.append((("workflow", "resources", "dask", "image"), dask["image"]))
    return out


class WF003(WfRule):
    """Workflow images are pinned to a unique tag

    REANA does not re-pull an image tag it has already pulled, so `latest` (or a branch tag)
    silently runs a stale image. Tag images per commit (e.g. `$CI_COMMIT_SHORT_SHA`).
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        found = []
        parsed = ctx.reana
        if parsed is not None and parsed.file is not None:
            for where, image in _reana_images(parsed.data):
                problem = _image_problem(image)
                if problem:
                    line = line_of(parsed.file.body, where)
                    found.append(Finding(f"workflow image {problem}", parsed.path, line))
        for path in ctx.snakefiles:
            text = ctx.text(path) or ""
            for number, line_text in enumerate(text.splitlines(), 1):
                match = _SNAKE_CONTAINER.match(line_text)
                problem = _image_problem(match.group(1)) if match else None
                if problem:
                    found.append(Finding(f"workflow image {problem}", path, number))
        return found


class WF004(WfRule):
    """Workflow outputs are declared

    REANA keeps and shows only declared `outputs`; a Snakemake workflow needs a target rule
    (`rule all`) naming its final products.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        parsed = ctx.reana
        if parsed is not None:
            data = parsed.data if isinstance(parsed.data, dict) else {}
            outputs = data.get("outputs")
            if isinstance(outputs, dict) and (outputs.get("files") or outputs.get("directories")):
                return []
            return [Finding("reana.yaml declares no `outputs`", parsed.path, 1)]
        if ctx.snakefiles:
            for path in ctx.snakefiles:
                if re.search(r"(?m)^rule\s+all\s*:", ctx.text(path) or ""):
                    return []
            return [Finding("no `rule all` target naming the outputs", ctx.snakefiles[0], 1)]
        raise Skip("no reana.yaml or Snakefile")
