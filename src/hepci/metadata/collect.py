"""Build the :class:`~hepci.metadata.model.Record` of one repository.

Files are read through an :class:`~hepci.audit.context.AuditContext` (a local directory or a
GitLab project alike); facts that are not in the files (the commit, the pushed image's
digest, the run's outputs) come in as :class:`Facts` from the caller: git and the CI variables
locally (:mod:`hepci.metadata.local`), GitLab's answers in a group sweep. What is neither in
the files nor in the facts is listed in ``missing``.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hepci.audit.context import AuditContext
from hepci.metadata import inputs as wf
from hepci.metadata.model import (
    Code,
    DataInput,
    Image,
    Package,
    Person,
    Record,
    Run,
    Software,
    Template,
    Workflow,
)

TEMPLATE_FILE = re.compile(r"/?ci-templates/([a-z0-9-]+)\.ya?ml$")
CMSSW = re.compile(r"\bCMSSW_\d+_\d+_\d+(?:_[A-Za-z0-9]+)?\b")
PYTHON_IMAGE = re.compile(r"(?:^|/)python:(\d+\.\d+)")
LICENSE_HINTS = (
    ("Apache License", "Apache-2.0"),
    ("MIT License", "MIT"),
    ("Redistribution and use in source and binary forms", "BSD-3-Clause"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL-3.0-or-later"),
)


@dataclass(frozen=True)
class Facts:
    """What the caller knows beyond the files; ``None``: unknown."""

    repository: str | None = None
    commit: str | None = None
    commit_time: str | None = None
    image: str | None = None
    image_digest: str | None = None
    packages: tuple[Package, ...] = ()
    run: Run | None = None
    extra_missing: tuple[str, ...] = field(default_factory=tuple)


def _mapping(ctx: AuditContext, path: str) -> dict[str, Any]:
    data = ctx.parse_yaml(path).data if ctx.exists(path) else None
    return data if isinstance(data, dict) else {}


def _person(raw: Any) -> Person | None:
    if not isinstance(raw, dict):
        return None
    given, family = raw.get("given-names"), raw.get("family-names")
    name = raw.get("name") or " ".join(str(p) for p in (given, family) if p)
    if not name:
        return None
    orcid = raw.get("orcid")
    return Person(
        name=str(name),
        given_names=str(given) if given else None,
        family_names=str(family) if family else None,
        email=str(raw["email"]) if raw.get("email") else None,
        orcid=str(orcid) if orcid else None,
        affiliation=str(raw["affiliation"]) if raw.get("affiliation") else None,
    )


def _license_from_files(ctx: AuditContext) -> str | None:
    project = _toml(ctx).get("project")
    value = project.get("license") if isinstance(project, dict) else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "COPYING"):
        text = ctx.text(name)
        if text:
            return next((spdx for hint, spdx in LICENSE_HINTS if hint in text[:2000]), None)
    return None


def _toml(ctx: AuditContext) -> Mapping[str, Any]:
    text = ctx.text("pyproject.toml")
    return _toml_data(text) if text else {}


@functools.lru_cache(maxsize=512)
def _toml_data(text: str) -> Mapping[str, Any]:
    """``pyproject.toml`` as data, parsed once per distinct text (a group sweep meets the
    scaffold's file in hundreds of projects); shared between them, so read-only."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    return data


def code_of(ctx: AuditContext, facts: Facts) -> Code:
    cff = _mapping(ctx, "CITATION.cff")
    authors = tuple(p for p in map(_person, cff.get("authors") or []) if p is not None)
    project = _toml(ctx).get("project")
    project = project if isinstance(project, dict) else {}
    license_ = cff.get("license")
    if isinstance(license_, list):
        license_ = " OR ".join(str(item) for item in license_)
    return Code(
        repository=facts.repository or _opt(cff.get("repository-code")),
        commit=facts.commit,
        commit_time=facts.commit_time,
        license=_opt(license_) or _license_from_files(ctx),
        title=_opt(cff.get("title")) or _opt(project.get("description")),
        version=_opt(cff.get("version")) or _opt(project.get("version")),
        doi=_opt(cff.get("doi")),
        authors=authors,
        citation="CITATION.cff" if ctx.exists("CITATION.cff") else None,
        keywords=_strings(cff.get("keywords")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else []
    return tuple(dict.fromkeys(s for s in map(_opt, items) if s))


def _opt(value: Any) -> str | None:
    return (
        str(value).strip() if isinstance(value, (str, int, float)) and str(value).strip() else None
    )


@functools.cache
def template_names() -> frozenset[str]:
    """Names of the shipped templates (``ci-templates/*.yml``), listed once per process."""
    from hepci.core.resources import ci_templates_dir

    return frozenset(p.stem for p in ci_templates_dir().glob("*.yml"))


def templates_of(ctx: AuditContext) -> tuple[Template, ...]:
    """hepci templates included by the CI file: ``project:`` + ``/ci-templates/<name>.yml``,
    or a CI/CD component ``<host>/<project>/<name>@<version>`` of a shipped template."""
    tree = ctx.ci.tree
    if tree is None:
        return ()
    known = template_names()
    found: list[Template] = []
    for loaded in tree.files:
        for inc in loaded.config.includes:
            if inc.kind == "project":
                for file in inc.files:
                    match = TEMPLATE_FILE.search(file)
                    if match and match.group(1) in known:
                        found.append(Template(match.group(1), inc.ref, inc.location))
            elif inc.kind == "component" and inc.component_name in known:
                found.append(Template(str(inc.component_name), inc.ref, inc.location))
            elif inc.kind == "local":
                match = TEMPLATE_FILE.search(inc.location)
                if match and match.group(1) in known:
                    found.append(Template(match.group(1), None, inc.location))
    return tuple(dict.fromkeys(found))


def _include_input(ctx: AuditContext, template: str, name: str) -> Any:
    tree = ctx.ci.tree
    for loaded in tree.files if tree is not None else []:
        for inc in loaded.config.includes:
            names = [inc.component_name] + [
                m.group(1) for m in map(TEMPLATE_FILE.search, inc.files) if m
            ]
            if template in names and name in inc.inputs:
                return inc.inputs[name]
    return None


def software_of(ctx: AuditContext, facts: Facts) -> Software:
    bases: list[Image] = []
    python = None
    cmssw: list[str] = []
    for dockerfile in ctx.dockerfiles:
        for line in dockerfile.froms:
            if line.is_stage_ref or line.image.lower() == "scratch":
                continue
            ref, _, digest = line.image.partition("@")
            bases.append(Image(ref, digest or None, f"{dockerfile.path}:{line.line}"))
            match = PYTHON_IMAGE.search(ref)
            python = python or (match.group(1) if match else None)
        for instruction in dockerfile.instructions:
            cmssw += CMSSW.findall(instruction.args)
    release = _include_input(ctx, "cmssw-build", "release")
    if isinstance(release, str):
        cmssw.insert(0, release)
    if ctx.reana is not None:
        cmssw += CMSSW.findall(ctx.text(ctx.reana_path or "") or "")
    image_ref = facts.image or _opt(_include_input(ctx, "image-build", "registry-image-path"))
    if image_ref is None and any(t.name == "image-build" for t in templates_of(ctx)):
        image_ref = "$CI_REGISTRY_IMAGE"  # the template's default push target
    image = None
    if image_ref or facts.image_digest:
        image = Image(image_ref or "(unknown)", facts.image_digest, "image-build")
    project = _toml(ctx).get("project")
    requirements = project.get("dependencies") if isinstance(project, dict) else None
    return Software(
        image=image,
        base_images=tuple(bases),
        python=python,
        cmssw=tuple(dict.fromkeys(cmssw)),
        packages=facts.packages,
        requirements=_strings(requirements),
    )


def _code_gaps(code: Code) -> list[str]:
    gaps: list[str] = []
    if not code.repository:
        gaps.append("code: no repository URL (git remote, CI_PROJECT_URL or repository-code)")
    if not code.commit:
        gaps.append("code: no commit (not a git checkout)")
    elif not code.commit_time:
        gaps.append("code: no commit date (the crate's datePublished comes from git)")
    if not code.license:
        gaps.append("code: no license (CITATION.cff `license` or LICENSE)")
    if not code.citation:
        gaps.append("citation: no CITATION.cff")
    elif not code.authors:
        gaps.append("citation: CITATION.cff names no authors")
    return gaps


def _software_gaps(soft: Software) -> list[str]:
    gaps: list[str] = []
    if soft.image is None:
        gaps.append("software: no analysis image (include the image-build template)")
    elif not soft.image.digest:
        gaps.append("software: no image digest (recorded by the metadata job after image-build)")
    gaps += [
        f"software: base image {b.ref} ({b.source}) not pinned by digest"
        for b in soft.base_images
        if not b.digest
    ]
    return gaps


def missing_of(record: Record) -> tuple[str, ...]:
    """What a complete preservation record would have and this one does not."""
    gaps = _code_gaps(record.code) + _software_gaps(record.software)
    if not record.data:
        gaps.append("data: no inputs declared (a `datasets:` list in config/config.yaml)")
    gaps += [
        f"data: {d.name} ({d.declared_in}) has no DOI or CERN Open Data record ID"
        for d in record.data
        if not d.persistent and d.kind != "file"
    ]
    if record.workflow is None:
        gaps.append("workflow: no Snakefile, reana.yaml, yadage or CWL description")
    elif not record.workflow.outputs:
        gaps.append(f"workflow: {record.workflow.main} declares no outputs")
    if not record.templates:
        gaps.append("ci: no hepci CI templates included")
    if record.run is not None and not record.run.outputs:
        gaps.append("run: the workflow job left no output files")
    return tuple(gaps)


def collect_record(
    ctx: AuditContext, facts: Facts | None = None, name: str | None = None
) -> Record:
    """The preservation record of the repository behind ``ctx``."""
    facts = facts or Facts()
    code = code_of(ctx, facts)
    data: list[DataInput] = wf.config_inputs(ctx)
    data += [d for d in wf.reana_inputs(ctx) if d.url not in {x.url for x in data}]
    flow: Workflow | None = wf.workflow(ctx)
    record = Record(
        name=name or code.title or ctx.repo.name,
        description=code.title,
        code=code,
        software=software_of(ctx, facts),
        data=tuple(data),
        workflow=flow,
        templates=templates_of(ctx),
        run=facts.run,
        readme=next((p for p in ("README.md", "README.rst", "README") if ctx.exists(p)), None),
    )
    missing = (*missing_of(record), *_cff_gaps(ctx), *facts.extra_missing)
    return replace(record, missing=missing)


def _cff_gaps(ctx: AuditContext) -> list[str]:
    """``CITATION.cff`` errors against the CFF 1.2.0 schema (jsonschema, loaded on use)."""
    from hepci.metadata.citation import CITATION, cff_problems

    return [
        f"citation: {CITATION}{f':{p.line}' if p.line else ''} is not valid CFF 1.2.0: {p}"
        for p in cff_problems(ctx)
    ]


__all__ = ["Facts", "collect_record"]
