"""Declared inputs and the workflow, read from the analysis configuration, reana.yaml and the
Snakefile (files only: the same code serves a local directory and a project in a group sweep).

Inputs are what the analysis *declares*: a ``datasets:`` list in ``config/config.yaml``
(``recid``/``doi`` of CERN Open Data records, URLs, files with ``size`` and ``checksum``, or
``synthetic: true`` for a sample the workflow makes itself), its ``input_files:`` URLs, and
``reana.yaml``'s ``inputs``. Nothing is fetched or guessed.
"""

from __future__ import annotations

import re
from typing import Any

from hepci.audit.context import AuditContext
from hepci.metadata.model import DataInput, Workflow

CONFIG_FILES = ("config/config.yaml", "config/config.yml", "config.yaml", "config.yml")
OPEN_DATA_RECORD = re.compile(r"opendata\.cern\.ch/record/(\d+)")
DOI = re.compile(r"(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)
RULE = re.compile(r"^(?:rule|checkpoint)\s+([A-Za-z_]\w*)\s*:", re.MULTILINE)
CONFIGFILE = re.compile(r"^configfile\s*:\s*[\"']([^\"']+)[\"']", re.MULTILINE)
QUOTED = re.compile(r"[\"']([^\"'{}]+)[\"']")


def config_paths(ctx: AuditContext) -> list[str]:
    """The analysis configuration files: the Snakefile's ``configfile:`` first, then the usual."""
    found: list[str] = []
    for snakefile in ctx.snakefiles:
        text = ctx.text(snakefile) or ""
        found += [m.group(1) for m in CONFIGFILE.finditer(text)]
    found += [p for p in CONFIG_FILES if p not in found]
    return [p for p in dict.fromkeys(found) if ctx.exists(p)]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


def _doi(value: str | None) -> str | None:
    match = DOI.search(value or "")
    return match.group(1).rstrip(".,;") if match else None


def _recid(value: str | None) -> str | None:
    match = OPEN_DATA_RECORD.search(value or "")
    return match.group(1) if match else None


def _dataset(entry: dict[str, Any], path: str, index: int) -> list[DataInput]:
    """One ``datasets:`` entry; its ``files:`` become inputs of their own (with sizes)."""
    name = _str(entry.get("name")) or f"dataset {index}"
    url = _str(entry.get("url"))
    recid = _str(entry.get("recid")) or _recid(url)
    doi = _doi(_str(entry.get("doi"))) or _doi(url)
    kind = "synthetic" if entry.get("synthetic") is True else "open-data" if recid else "url"
    if kind == "url" and not url and not doi:
        kind = "file"
    main = DataInput(
        name=name, kind=kind, declared_in=path, recid=recid, doi=doi, url=url,
        size=_int(entry.get("size")), checksum=_str(entry.get("checksum")),
        events=_int(entry.get("events")), description=_str(entry.get("description")),
    )  # fmt: skip
    found = [main]
    files = entry.get("files")
    for number, raw in enumerate(files if isinstance(files, list) else [], 1):
        item = {"url": raw} if isinstance(raw, str) else raw
        if not isinstance(item, dict):
            continue
        location = _str(item.get("url")) or _str(item.get("path"))
        found.append(
            DataInput(
                name=f"{name} file {number}", kind="file" if kind != "open-data" else kind,
                declared_in=path, recid=recid, doi=doi, url=location,
                size=_int(item.get("size")), checksum=_str(item.get("checksum")), part_of=name,
            )
        )  # fmt: skip
    return found


def config_inputs(ctx: AuditContext) -> list[DataInput]:
    """``datasets:`` and ``input_files:`` of the analysis configuration files."""
    found: list[DataInput] = []
    for path in config_paths(ctx):
        data = ctx.parse_yaml(path).data
        if not isinstance(data, dict):
            continue
        datasets = data.get("datasets")
        for index, entry in enumerate(datasets if isinstance(datasets, list) else [], 1):
            if isinstance(entry, dict):
                found += _dataset(entry, path, index)
        files = data.get("input_files")
        for url in files if isinstance(files, list) else []:
            text = _str(url)
            if text and not any(d.url == text for d in found):
                recid, doi = _recid(text), _doi(text)
                kind = "open-data" if recid else "url" if "://" in text else "file"
                found.append(DataInput(text.rsplit("/", 1)[-1], kind, path, recid, doi, text))
    return found


def reana_inputs(ctx: AuditContext) -> list[DataInput]:
    """``inputs.files``/``directories`` of reana.yaml, and parameters holding URLs or DOIs."""
    if ctx.reana is None or not isinstance(ctx.reana.data, dict) or ctx.reana_path is None:
        return []
    inputs = ctx.reana.data.get("inputs")
    if not isinstance(inputs, dict):
        return []
    found: list[DataInput] = []
    for key in ("files", "directories"):
        values = inputs.get(key)
        for value in values if isinstance(values, list) else []:
            text = _str(value)
            if text:
                kind = "url" if "://" in text else "file"
                found.append(DataInput(text, kind, ctx.reana_path, _recid(text), _doi(text), text))
    params = inputs.get("parameters")
    for key, value in (params if isinstance(params, dict) else {}).items():
        text = _str(value)
        if text and ("://" in text or _doi(text)):
            found.append(DataInput(str(key), "url", ctx.reana_path, _recid(text), _doi(text), text))
    return found


def _rule_all_outputs(text: str) -> list[str]:
    """Quoted paths in ``rule all:``'s ``input:`` (the workflow's declared final outputs)."""
    match = re.search(r"^rule\s+all\s*:\s*$(.*?)(?=^\S)", text + "\n#", re.MULTILINE | re.DOTALL)
    if not match:
        return []
    block = match.group(1).split("input:", 1)
    return QUOTED.findall(block[1]) if len(block) == 2 else []


def _snakemake(ctx: AuditContext, path: str) -> tuple[list[str], list[str]]:
    text = ctx.text(path) or ""
    steps = [name for name in RULE.findall(text) if name != "all"]
    return steps, _rule_all_outputs(text)


def _reana(ctx: AuditContext) -> Workflow | None:
    data = ctx.reana.data if ctx.reana is not None else None
    if ctx.reana_path is None or not isinstance(data, dict):
        return None
    raw_spec = data.get("workflow")
    spec: dict[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
    kind = str(spec.get("type") or "serial")
    raw_outputs = data.get("outputs")
    outputs: dict[str, Any] = raw_outputs if isinstance(raw_outputs, dict) else {}
    declared = [str(p) for key in ("files", "directories") for p in outputs.get(key) or []]
    files = [ctx.reana_path]
    steps: list[str] = []
    if isinstance(spec.get("file"), str):
        files.append(spec["file"])
        if kind == "snakemake" and ctx.exists(spec["file"]):
            steps, _ = _snakemake(ctx, spec["file"])
    raw_body = spec.get("specification")
    body: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
    for step in body.get("steps") or []:
        if isinstance(step, dict) and isinstance(step.get("name"), str):
            steps.append(step["name"])
    return Workflow(f"reana-{kind}", ctx.reana_path, tuple(files), tuple(steps), tuple(declared))


def workflow(ctx: AuditContext) -> Workflow | None:
    """The main workflow: reana.yaml when there is one (it names the engine), else the
    Snakefile, else a yadage or CWL description."""
    found = _reana(ctx)
    if found is not None:
        return found
    if ctx.snakefiles:
        main = ctx.snakefiles[0]
        steps, outputs = _snakemake(ctx, main)
        return Workflow("snakemake", main, tuple(ctx.snakefiles), tuple(steps), tuple(outputs))
    for engine in ("yadage", "cwl"):
        files = ctx.workflow_files.get(engine)
        if files:
            return Workflow(engine, files[0], tuple(files))
    return None


__all__ = ["config_inputs", "config_paths", "reana_inputs", "workflow"]
