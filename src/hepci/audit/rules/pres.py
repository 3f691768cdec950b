"""PRES001–PRES003: what a preserved analysis needs to be found, re-run and cited years later:
inputs with persistent identifiers, the analysis image recorded by digest, a complete citation.

The rules read the preservation record that ``hepci metadata`` writes (:mod:`hepci.metadata`),
derived from the same files, so the audit and the crate never disagree.
"""

from __future__ import annotations

from typing import ClassVar

from hepci.audit.context import AuditContext
from hepci.audit.model import Finding, Severity
from hepci.audit.rule import Rule, Skip
from hepci.metadata.model import Record

CITATION = "CITATION.cff"


def record_of(ctx: AuditContext) -> Record:
    """The repository's record (from its files only), computed once per audit."""
    cached = ctx.__dict__.get("_preservation_record")
    if cached is None:
        from hepci.metadata.collect import Facts, collect_record

        meta = ctx.meta
        facts = Facts(repository=meta.web_url, commit=meta.head_sha) if meta else Facts()
        cached = collect_record(ctx, facts)
        ctx.__dict__["_preservation_record"] = cached
    assert isinstance(cached, Record)
    return cached


class PresRule(Rule):
    family = "PRES"


class PRES001(PresRule):
    """Inputs are declared with persistent identifiers

    Years later, "the 2016 dimuon sample on EOS" is not enough to find the data again. Declare
    every input of the workflow in the analysis configuration (a `datasets:` list in
    `config/config.yaml`, or `reana.yaml` `inputs`) with its CERN Open Data record ID (`recid`)
    and DOI (`doi`), or mark a sample the workflow makes itself `synthetic: true`. `hepci
    metadata` puts these into the RO-Crate; files and sizes with checksums make it better.
    """

    def check(self, ctx: AuditContext) -> list[Finding]:
        record = record_of(ctx)
        if record.workflow is None:
            raise Skip("no workflow description (WF001)")
        if not record.data:
            where = next(iter(_config_paths(ctx)), "config/config.yaml")
            return [Finding("no inputs declared: add a `datasets:` list", where)]
        return [
            Finding(f"input `{item.name}` has no DOI or CERN Open Data record ID", item.declared_in)
            for item in record.data
            if not item.persistent and item.kind in ("url", "open-data")
        ]


def _config_paths(ctx: AuditContext) -> list[str]:
    from hepci.metadata.inputs import config_paths

    return config_paths(ctx)


class PRES002(PresRule):
    """The image digest is recorded

    A tag such as `:latest` or `:0.1.0` can be pushed again; only the digest (`sha256:…`) names
    the exact image the results came from. Include the `metadata` template after
    `image-build`: the build job hands its pushed digest over in a dotenv report and the
    metadata job records it, with the workflow's outputs, in the pipeline's RO-Crate.
    """

    fix: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: AuditContext) -> list[Finding]:
        record = record_of(ctx)
        if not ctx.dockerfile_paths and record.software.image is None:
            raise Skip("no Dockerfile and no image build (IMG001)")
        names = {t.name for t in record.templates}
        if record.software.image is not None and record.software.image.digest:
            return []
        if "metadata" in names and "image-build" in names:
            return []
        if "metadata" in names:
            what = "the metadata template is included but no image-build: no digest to record"
        elif "image-build" in names:
            what = (
                "the image is built but its digest is never recorded: include the metadata template"
            )
        else:
            what = (
                "nothing builds the image and records its digest (image-build + metadata templates)"
            )
        return [Finding(what, ctx.ci.path)]


class PRES003(PresRule):
    """Citation is complete

    A citation people can use needs a `title`, `authors` with `family-names` and
    `given-names` (or a `name`), a `version`, a `license` and where to find the work
    (`repository-code`, `url` or a `doi`). ORCID iDs make authors unambiguous. Zenodo, GitLab
    and `hepci metadata` read `CITATION.cff`, so it must also be valid Citation File Format
    1.2.0: each error against the official schema is reported at its line (an ORCID without
    `https://orcid.org/`, a misspelt key, a date that is not `YYYY-MM-DD` …).
    """

    severity: ClassVar[Severity] = "info"
    requires: ClassVar[frozenset[str]] = frozenset({"REPO003"})

    def check(self, ctx: AuditContext) -> list[Finding]:
        from hepci.metadata.citation import cff_problems

        data = ctx.parse_yaml(CITATION).data
        if not isinstance(data, dict):
            raise Skip("no readable CITATION.cff")
        invalid = [
            Finding(f"not valid CFF 1.2.0: {problem}", CITATION, problem.line or 1)
            for problem in cff_problems(ctx)
        ]
        found = [
            Finding(f"CITATION.cff has no `{key}`", CITATION, 1)
            for key in ("title", "version", "license")
            if not data.get(key)
        ]
        if not any(data.get(key) for key in ("repository-code", "url", "doi")):
            found.append(
                Finding(
                    "CITATION.cff says nowhere where the work is (`repository-code`, `url` or `doi`)",
                    CITATION,
                    1,
                )
            )
        for number, author in enumerate(data.get("authors") or [], 1):
            if (
                isinstance(author, dict)
                and author.get("family-names")
                and not author.get("given-names")
            ):
                found.append(
                    Finding(f"author {number} has `family-names` but no `given-names`", CITATION, 1)
                )
        return found + invalid
