"""The record as an RO-Crate, built with ro-crate-py (``rocrate``), imported only here.

RO-Crate 1.1 with the Workflow RO-Crate 1.0 profile (the workflow file is the crate's
``mainEntity``); when the record holds a run, also the Process and Workflow Run Crate 0.5
profiles: a ``CreateAction`` whose ``instrument`` is the workflow, ``object`` the inputs,
``result`` the output files (size, sha256) and ``containerImage`` the analysis image by digest.
Terms of the Workflow Run vocabulary are declared in the crate's ``@context``. The crate holds
no timestamp but the commit's (``datePublished``) and the run's end, so an unchanged
repository gives the same bytes.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from hepci import __version__
from hepci.errors import UsageError
from hepci.metadata.model import DataInput, Image, Record

if TYPE_CHECKING:
    from rocrate.rocrate import ROCrate

INSTALL_HINT = "`hepci metadata` needs the metadata extra: pip install 'hepci[metadata]'"
RO_CRATE_VERSION = "1.1"
WRROC = "https://w3id.org/ro/wfrun"
WFRUN_TERMS = "https://w3id.org/ro/terms/workflow-run#"
EXTRA_TERMS = {
    name: WFRUN_TERMS + name
    for name in ("ContainerImage", "containerImage", "registry", "tag", "sha256")
}
BIOSCHEMAS_WORKFLOW = "https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"
ENGINES = {  # engine -> (rocrate language key or None, name, url)
    "snakemake": ("snakemake", "Snakemake", "https://snakemake.readthedocs.io"),
    "reana-snakemake": ("snakemake", "Snakemake", "https://snakemake.readthedocs.io"),
    "reana-cwl": ("cwl", "Common Workflow Language", "https://www.commonwl.org/"),
    "cwl": ("cwl", "Common Workflow Language", "https://www.commonwl.org/"),
    "reana-serial": (None, "REANA serial workflow", "https://docs.reana.io/"),
    "reana-yadage": (None, "Yadage", "https://yadage.readthedocs.io/"),
    "yadage": (None, "Yadage", "https://yadage.readthedocs.io/"),
}


def _rocrate() -> Any:
    try:
        import rocrate.rocrate
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return rocrate


def _license(crate: ROCrate, spdx: str) -> Any:
    from rocrate.model.contextentity import ContextEntity

    if not re.fullmatch(r"[A-Za-z0-9.+-]+", spdx):  # an expression ("MIT OR Apache-2.0")
        return spdx
    url = f"https://spdx.org/licenses/{spdx}"
    return crate.add(
        ContextEntity(crate, url, {"@type": "CreativeWork", "name": spdx, "identifier": spdx})
    )


def _authors(crate: ROCrate, record: Record) -> list[Any]:
    from rocrate.model.person import Person

    found = []
    for number, author in enumerate(record.code.authors, 1):
        props: dict[str, Any] = {"name": author.name}
        for key, value in (
            ("givenName", author.given_names), ("familyName", author.family_names),
            ("email", author.email), ("affiliation", author.affiliation),
        ):  # fmt: skip
            if value:
                props[key] = value
        found.append(crate.add(Person(crate, author.orcid or f"#author-{number}", props)))
    return found


def _workflow(crate: ROCrate, record: Record) -> Any:
    from rocrate.model.computerlanguage import ComputerLanguage
    from rocrate.model.contextentity import ContextEntity

    flow = record.workflow
    if flow is None:
        return None
    key, name, url = ENGINES.get(flow.engine, (None, flow.engine, None))
    lang: Any = key
    if key is None:
        props = {"name": name, **({"url": {"@id": url}} if url else {})}
        lang = crate.add(ComputerLanguage(crate, f"#{flow.engine}", props))
    props = {
        "name": flow.main,
        "encodingFormat": _format(flow.main),
        "conformsTo": {"@id": BIOSCHEMAS_WORKFLOW},
    }
    entity = crate.add_workflow(dest_path=flow.main, main=True, lang=lang, properties=props)
    if record.code.version:
        entity["version"] = record.code.version
    for position, step in enumerate(flow.steps, 1):
        step_props = {"@type": "HowToStep", "name": step, "position": str(position)}
        entity.append_to("step", crate.add(ContextEntity(crate, f"#step-{step}", step_props)))
    for path in flow.outputs:
        param = crate.add_formal_parameter(
            name=path, additionalType="File", identifier=f"#output-{path}"
        )
        entity.append_to("output", param)
    for extra in flow.files[1:]:
        crate.add_file(
            dest_path=extra, properties={"name": extra, "encodingFormat": _format(extra)}
        )
    return entity


def _format(path: str) -> str:
    if path.endswith((".yaml", ".yml")):
        return "application/yaml"
    if path.endswith(".json"):
        return "application/json"
    if path.endswith(".md"):
        return "text/markdown"
    if path.endswith(".png"):
        return "image/png"
    if path.endswith(".root"):
        return "application/x-root"
    return "text/plain"


def _input(crate: ROCrate, item: DataInput, number: int) -> Any:
    from rocrate.model.contextentity import ContextEntity

    props: dict[str, Any] = {"name": item.name}
    if item.description:
        props["description"] = item.description
    if item.size is not None:
        props["contentSize"] = str(item.size)
    if item.events is not None:
        props["description"] = f"{props.get('description', item.name)} ({item.events} events)"
    if item.recid:
        props["identifier"] = f"https://opendata.cern.ch/record/{item.recid}"
    if item.checksum:
        props["sha256" if item.checksum.startswith("sha256:") else "identifier"] = item.checksum
    if item.kind == "synthetic":
        props.update({"@type": "CreativeWork", "additionalType": "synthetic sample"})
        return crate.add(ContextEntity(crate, f"#input-{number}", props))
    ident = f"https://doi.org/{item.doi}" if item.doi and not item.url else item.url
    if ident and "://" in ident:
        props["url"] = item.url or ident
        if item.doi:
            props["citation"] = {"@id": f"https://doi.org/{item.doi}"}
        return crate.add_file(source=ident, properties=props)
    return crate.add_file(dest_path=item.url or item.name, properties=props)


def _image_entity(crate: ROCrate, image: Image, number: int) -> Any:
    from rocrate.model.contextentity import ContextEntity

    repo, _, tag = (
        image.ref.rpartition(":") if ":" in image.ref.rsplit("/", 1)[-1] else (image.ref, "", "")
    )
    props: dict[str, Any] = {
        "@type": "ContainerImage",
        "additionalType": {"@id": WFRUN_TERMS + "DockerImage"},
        "name": repo,
        "registry": repo.split("/", 1)[0] if "." in repo.split("/", 1)[0] else "docker.io",
    }
    if tag:
        props["tag"] = tag
    if image.digest:
        props["sha256"] = image.digest.removeprefix("sha256:")
    return crate.add(ContextEntity(crate, f"#image-{number}", props))


def _software(crate: ROCrate, record: Record) -> list[Any]:
    from rocrate.model.softwareapplication import SoftwareApplication

    soft = record.software
    apps = [
        crate.add(SoftwareApplication(crate, "#hepci", {"name": "hepci", "version": __version__}))
    ]
    if soft.python:
        props = {"name": "Python", "version": soft.python, "url": "https://www.python.org/"}
        apps.append(crate.add(SoftwareApplication(crate, "#python", props)))
    for release in soft.cmssw:
        props = {"name": "CMSSW", "version": release, "url": "https://cms-sw.github.io/"}
        apps.append(crate.add(SoftwareApplication(crate, f"#{release}", props)))
    for package in soft.packages:
        props = {"name": package.name, "version": package.version}
        ident = f"#package-{package.name.lower()}"
        apps.append(crate.add(SoftwareApplication(crate, ident, props)))
    return apps


def _root(crate: ROCrate, record: Record) -> None:
    """Name, description, date (the commit's), license, authors, repository, DOI."""
    from rocrate.model.contextentity import ContextEntity

    root = crate.root_dataset
    root["name"] = record.name
    root["description"] = record.description or record.name
    if record.code.commit_time:
        root["datePublished"] = record.code.commit_time
    else:
        del root["datePublished"]  # not invented: reported as missing instead
    if record.code.license:
        root["license"] = _license(crate, record.code.license)
    authors = _authors(crate, record)
    if authors:
        root["author"] = authors[0] if len(authors) == 1 else authors
    if record.readme:
        about = {"about": root, "encodingFormat": "text/markdown", "name": record.readme}
        crate.add_file(dest_path=record.readme, properties=about)
    if record.code.repository:
        props = {"@type": "SoftwareSourceCode", "name": record.name,
                 "codeRepository": record.code.repository}  # fmt: skip
        if record.code.commit:
            props["version"] = record.code.commit
        root["isBasedOn"] = crate.add(ContextEntity(crate, record.code.repository, props))
    if record.code.doi:
        root["identifier"] = f"https://doi.org/{record.code.doi}"


def build_crate(record: Record) -> ROCrate:
    """The RO-Crate of ``record`` (nothing is read from disk, no file is copied)."""
    rocrate = _rocrate()
    from rocrate.model.contextentity import ContextEntity

    crate = rocrate.rocrate.ROCrate(version=RO_CRATE_VERSION)
    _root(crate, record)
    root = crate.root_dataset
    workflow = _workflow(crate, record)
    inputs = [_input(crate, item, n) for n, item in enumerate(record.data, 1)]
    for number, entity in enumerate(inputs if workflow is not None else [], 1):
        kind = "File" if "File" in entity.type else "CreativeWork"
        param = crate.add_formal_parameter(
            name=entity.get("name") or entity.id,
            additionalType=kind,
            identifier=f"#param-input-{number}",
        )
        workflow.append_to("input", param)
        entity["exampleOfWork"] = param  # the value this run (or any run) gives that input
    images = []
    if record.software.image is not None:
        images.append(_image_entity(crate, record.software.image, 1))
    images += [_image_entity(crate, b, n) for n, b in enumerate(record.software.base_images, 2)]
    software = _software(crate, record)
    if workflow is not None and software:
        workflow["softwareRequirements"] = software
    if record.run is None:
        for image in images:
            root.append_to("mentions", image)
    for number, template in enumerate(record.templates, 1):
        props = {"@type": "SoftwareSourceCode", "name": f"hepci CI template {template.name}",
                 "codeRepository": template.source}  # fmt: skip
        if template.ref:
            props["version"] = template.ref
        root.append_to("mentions", crate.add(ContextEntity(crate, f"#ci-{number}", props)))
    if record.run is not None and workflow is not None:
        _run(crate, record, workflow=workflow, inputs=inputs, images=images)
    crate.metadata.extra_terms.update(EXTRA_TERMS)
    return crate


def _run(
    crate: ROCrate, record: Record, *, workflow: Any, inputs: list[Any], images: list[Any]
) -> None:
    from rocrate.model.contextentity import ContextEntity

    run = record.run
    assert run is not None
    results = []
    for output in run.outputs:
        about = {"name": output.path, "contentSize": str(output.size), "sha256": output.sha256,
                 "encodingFormat": _format(output.path)}  # fmt: skip
        entity = crate.add_file(dest_path=output.path, properties=about)
        declared = next(
            (
                p
                for p in _list(workflow.get("output"))
                if output.path.startswith(str(p["name"]).rstrip("/"))
            ),
            None,
        )
        if declared is not None:
            entity["exampleOfWork"] = declared
        results.append(entity)
    props: dict[str, Any] = {
        "@type": "CreateAction",
        "description": "The workflow run of a CI pipeline; its outputs with their sizes and sha256",
        "name": f"Run of {record.workflow.main if record.workflow else 'the workflow'}"
        + (f" in pipeline {run.pipeline_id}" if run.pipeline_id else ""),
    }
    if run.ended:
        props["endTime"] = run.ended
    url = run.job_url or run.pipeline_url
    if url:
        props["url"] = url
    ident = f"#run-{run.pipeline_id}" if run.pipeline_id else "#run"
    action = crate.add_action(workflow, identifier=ident, object=inputs, result=results,
                              properties=props)  # fmt: skip
    if images and record.software.image is not None:
        action["containerImage"] = images[0]
    root = crate.root_dataset
    root.append_to("mentions", action)
    profiles = (
        (f"{WRROC}/process/0.5", "Process Run Crate", "0.5"),
        (f"{WRROC}/workflow/0.5", "Workflow Run Crate", "0.5"),
        ("https://w3id.org/workflowhub/workflow-ro-crate/1.0", "Workflow RO-Crate", "1.0"),
    )
    for ident, name, version in profiles:
        props = {"@type": "CreativeWork", "name": name, "version": version}
        root.append_to("conformsTo", crate.add(ContextEntity(crate, ident, props)))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def crate_json(record: Record) -> str:
    """``ro-crate-metadata.json`` of ``record``: ro-crate-py's JSON-LD, keys sorted."""
    metadata = build_crate(record).metadata.generate()
    return json.dumps(metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["INSTALL_HINT", "build_crate", "crate_json"]
