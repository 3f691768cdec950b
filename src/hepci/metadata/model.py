"""The preservation record of one analysis: plain frozen dataclasses, no heavy imports.

:func:`hepci.metadata.collect.collect_record` fills a :class:`Record` from the repository's
files (and, in CI, from the pipeline's variables and the workflow's outputs); the RO-Crate
writer (:mod:`hepci.metadata.crate`), the audit's PRES rules and the group catalogue all read
it. Anything the record cannot tell is listed in :attr:`Record.missing`, never guessed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Person:
    """An author from ``CITATION.cff``."""

    name: str
    given_names: str | None = None
    family_names: str | None = None
    email: str | None = None
    orcid: str | None = None
    affiliation: str | None = None


@dataclass(frozen=True)
class Code:
    """Where the code is and who wrote it."""

    repository: str | None = None
    commit: str | None = None
    commit_time: str | None = None  # ISO 8601, from git: the crate's only timestamp source
    license: str | None = None  # SPDX identifier
    title: str | None = None
    version: str | None = None
    doi: str | None = None
    authors: tuple[Person, ...] = ()
    citation: str | None = None  # path of CITATION.cff, when present
    keywords: tuple[str, ...] = ()  # CITATION.cff `keywords`


@dataclass(frozen=True)
class Image:
    """A container image: a reference and, when known, the digest it resolved to."""

    ref: str
    digest: str | None = None
    source: str = ""  # where it was declared (Dockerfile:3, .gitlab-ci.yml, image-build job)


@dataclass(frozen=True)
class Package:
    name: str
    version: str


@dataclass(frozen=True)
class Software:
    image: Image | None = None
    base_images: tuple[Image, ...] = ()
    python: str | None = None
    cmssw: tuple[str, ...] = ()
    packages: tuple[Package, ...] = ()  # installed in the image (only when run inside it)
    requirements: tuple[str, ...] = ()  # pyproject.toml `project.dependencies`, as declared


@dataclass(frozen=True)
class DataInput:
    """One declared input: a CERN Open Data record, a URL, a file, or a synthetic sample."""

    name: str
    kind: str  # open-data | url | file | synthetic
    declared_in: str
    recid: str | None = None
    doi: str | None = None
    url: str | None = None
    size: int | None = None  # bytes
    checksum: str | None = None  # "adler32:…", "sha256:…" as declared
    events: int | None = None
    description: str | None = None
    part_of: str | None = None  # for one of a dataset's ``files:``: the dataset's name

    @property
    def persistent(self) -> bool:
        """Has a persistent identifier (DOI or CERN Open Data record), or needs none."""
        return self.kind == "synthetic" or bool(self.doi or self.recid)


@dataclass(frozen=True)
class Workflow:
    engine: (
        str  # snakemake | reana-serial | reana-snakemake | reana-yadage | reana-cwl | yadage | cwl
    )
    main: str  # the main workflow file (Snakefile, reana.yaml)
    files: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()  # declared outputs (paths)


@dataclass(frozen=True)
class Template:
    """A hepci CI template the pipeline includes, and the version pinned."""

    name: str
    ref: str | None
    source: str  # project path or component address


@dataclass(frozen=True)
class OutputFile:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Run:
    """One execution of the workflow in a pipeline (the Workflow Run Crate's CreateAction)."""

    pipeline_id: str | None = None
    pipeline_url: str | None = None
    job_name: str | None = None
    job_url: str | None = None
    ended: str | None = None
    outputs: tuple[OutputFile, ...] = ()


@dataclass(frozen=True)
class Record:
    """Everything the preservation record says about one analysis, and what it lacks."""

    name: str
    description: str | None = None
    code: Code = field(default_factory=Code)
    software: Software = field(default_factory=Software)
    data: tuple[DataInput, ...] = ()
    workflow: Workflow | None = None
    templates: tuple[Template, ...] = ()
    run: Run | None = None
    readme: str | None = None
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json`` (stable keys, ``None`` for unknown)."""
        return asdict(self)

    def summary(self) -> str:
        """One line: image, datasets, engine, citation, and how much is missing."""
        image = self.software.image
        if image is None:
            shown = "no image"
        elif image.digest:
            shown = f"image {image.ref}@{image.digest[:19]}"
        else:
            shown = f"image {image.ref} (no digest)"
        pids = sum(1 for d in self.data if d.doi or d.recid)
        synthetic = sum(1 for d in self.data if d.kind == "synthetic")
        data = f"{len(self.data)} input(s)"
        if self.data:
            data += f" ({pids} with a PID, {synthetic} synthetic)"
        engine = self.workflow.engine if self.workflow else "no workflow"
        authors = len(self.code.authors)
        citation = f"{authors} author(s)" if self.code.citation else "no CITATION.cff"
        run = f", run: {len(self.run.outputs)} output file(s)" if self.run else ""
        gaps = f"{len(self.missing)} missing" if self.missing else "complete"
        return f"{self.name}: {shown}; {data}; {engine}; {citation}{run}; {gaps}"


__all__ = [
    "Code",
    "DataInput",
    "Image",
    "OutputFile",
    "Package",
    "Person",
    "Record",
    "Run",
    "Software",
    "Template",
    "Workflow",
]
