"""One analysis's preservation record, reduced to what a group catalogue shows.

:func:`catalogue_entry` turns a :class:`~hepci.metadata.model.Record` (derived from the files)
and the HEAD pipeline's facts (from the group sweep's GraphQL batch,
:mod:`hepci.gitlab.artifacts`) into plain JSON data; where the pipeline's metadata job left a
crate, its summary line (:func:`log_summary`, the last line of that job's log) gives the image
digest and the datasets, the files give the rest. It travels with the audit report of the
project (``RepoReport.preservation``: the report spool, the findings cache and the JSON report
carry it), so the catalogue is rendered one project at a time.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hepci.metadata.model import Record

CRATE_JOB = "metadata"
CRATE_FILE = "ro-crate-metadata.json"
# The last line `hepci metadata --log-summary` prints: the crate's essentials, machine-readable,
# so that a group sweep reads them from the job log's tail inside its GraphQL batch
# (hepci.gitlab.artifacts) instead of downloading each crate. Version 1 of the format.
LOG_PREFIX = "hepci-preservation/1 "
MAX_LOG_LINE = 1500  # characters: one log line, far below GitLab's 16 KiB tail
MAX_LOG_DATASETS = 20
DIGEST_GAP = "software: no image digest"  # the record's gap the crate's digest fills
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def _dataset_ids(record: Record) -> list[str]:
    ids = []
    for item in record.data:
        if item.part_of is not None:  # the files of a dataset: the dataset names them
            continue
        if item.doi:
            ids.append(f"doi:{item.doi}")
        elif item.recid:
            ids.append(f"recid:{item.recid}")
        else:
            ids.append("synthetic" if item.kind == "synthetic" else "none")
    return ids


def log_summary(record: Record, crate_sha256: str) -> str:
    """The one-line summary (``LOG_PREFIX`` + compact JSON, ASCII, without ``<``, ``>`` and
    ``&`` so that GitLab's HTML rendering of the log leaves it intact)."""
    image = record.software.image
    ids = _dataset_ids(record)
    payload: dict[str, Any] = {
        "crate": f"sha256:{crate_sha256}",
        "commit": record.code.commit,
        "image": image.ref if image else None,
        "digest": image.digest if image else None,
        "engine": record.workflow.engine if record.workflow else None,
        "inputs": len(ids),
        "datasets": ids[:MAX_LOG_DATASETS],
        "missing": len(record.missing),
    }
    while True:
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        if len(text) + len(LOG_PREFIX) <= MAX_LOG_LINE or not payload["datasets"]:
            return LOG_PREFIX + text
        payload["datasets"] = payload["datasets"][:-1]  # "inputs" still counts them all


def parse_log_summary(text: str) -> dict[str, Any] | None:
    """The summary in the text of a job log (its last one), checked field by field;
    ``None`` when there is none or it is not well-formed."""
    at = text.rfind(LOG_PREFIX)
    if at < 0:
        return None
    line = text[at + len(LOG_PREFIX) :].split("\n", 1)[0].strip()
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None

    def text_of(key: str, pattern: re.Pattern[str] | None = None) -> str | None:
        value = data.get(key)
        if not isinstance(value, str) or len(value) > 400:
            return None
        return value if pattern is None or pattern.fullmatch(value) else None

    datasets = data.get("datasets")
    datasets = datasets if isinstance(datasets, list) else []
    counts = {k: data.get(k) for k in ("inputs", "missing")}
    return {
        "crate_sha256": text_of("crate", SHA256),
        "commit": text_of("commit", re.compile(r"[0-9a-f]{7,64}")),
        "image": text_of("image"),
        "digest": text_of("digest", SHA256),
        "engine": text_of("engine", re.compile(r"[a-z0-9-]{1,40}")),
        "datasets": [d for d in datasets if isinstance(d, str) and len(d) < 300][:MAX_LOG_DATASETS],
        **{
            k: v if isinstance(v, int) and not isinstance(v, bool) else None
            for k, v in counts.items()
        },
    }


def _crate(pipeline: dict[str, Any] | None) -> dict[str, Any] | None:
    """The crate artifact of the HEAD pipeline's metadata job, when it kept one."""
    if not pipeline or pipeline.get("crate_job") != "success":
        return None
    archive = next((a for a in pipeline.get("artifacts") or [] if a.get("type") == "archive"), None)
    return (
        None if archive is None else {"archive": archive.get("name"), "size": archive.get("size")}
    )


def catalogue_entry(
    record: Record, pipeline: dict[str, Any] | None = None, *, web_url: str | None = None,
    project_id: int | None = None, default_branch: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What the catalogue shows for one analysis (see the module docstring)."""
    image = record.software.image
    crate = _crate(pipeline)
    missing = list(record.missing)
    if crate is None and any(t.name == "metadata" for t in record.templates):
        missing.append("run: the latest default-branch pipeline left no crate")
    entry: dict[str, Any] = {
        "image": image.ref if image else None,
        "image_digest": image.digest if image else None,
        "digest_source": "files" if image and image.digest else None,
        "base_images": [
            b.ref + (f"@{b.digest}" if b.digest else "") for b in record.software.base_images
        ],
        "datasets": [
            {"name": d.name, "kind": d.kind, "recid": d.recid, "doi": d.doi}
            for d in record.data
            if d.part_of is None
        ],
        "engine": record.workflow.engine if record.workflow else None,
        "workflow": record.workflow.main if record.workflow else None,
        "citation": {
            "file": record.code.citation,
            "title": record.code.title,
            "authors": len(record.code.authors),
            "doi": record.code.doi,
            "license": record.code.license,
        },
        "templates": sorted({f"{t.name}@{t.ref or '-'}" for t in record.templates}),
        "pipeline": None,
        "crate": None,
        "missing": missing,
    }
    if pipeline:
        path = pipeline.get("path")
        host = web_url.split("/", 3)[:3] if web_url else None
        entry["pipeline"] = {
            "id": pipeline.get("id"),
            "status": pipeline.get("status"),
            "created_at": pipeline.get("created_at"),
            "url": "/".join(host) + path if host and path else None,
        }
    if crate is not None and pipeline is not None:
        crate["url"] = crate_api_url(web_url, project_id, default_branch)
        entry["crate"] = crate
        _from_crate(entry, parse_log_summary(str(pipeline.get("summary") or "")), record)
    return entry


def _from_crate(entry: dict[str, Any], summary: dict[str, Any] | None, record: Record) -> None:
    """What the crate says (its job's summary line) over what the files say: the image and
    its digest exist only in the pipeline. A summary of another commit is not used."""
    commit = record.code.commit
    if summary is None or (summary.get("commit") and commit and summary["commit"] != commit):
        return
    crate = entry["crate"]
    crate.update(sha256=summary.get("crate_sha256"), missing=summary.get("missing"))
    crate.update(datasets=summary.get("datasets"), inputs=summary.get("inputs"))
    if summary.get("digest"):
        entry["image"] = summary.get("image") or entry.get("image")
        entry["image_digest"] = summary["digest"]
        entry["digest_source"] = "crate"
        entry["missing"] = [g for g in entry["missing"] if not g.startswith(DIGEST_GAP)]
    entry["engine"] = entry.get("engine") or summary.get("engine")
    if not entry["datasets"]:  # the crate's identifiers, when the files (now) declare none
        entry["datasets"] = [_dataset_of(ident) for ident in summary.get("datasets") or []]


def _dataset_of(ident: str) -> dict[str, Any]:
    kind, _, value = ident.partition(":")
    return {
        "name": ident,
        "kind": "open-data" if kind in ("doi", "recid") else kind,
        "recid": value if kind == "recid" else None,
        "doi": value if kind == "doi" else None,
    }


def crate_api_url(web_url: str | None, project_id: int | None, ref: str | None) -> str | None:
    """``GET /projects/:id/jobs/artifacts/:ref/raw/ro-crate-metadata.json?job=metadata``: the
    crate of the latest successful default-branch pipeline (a browser signed in to GitLab can
    open it; the API accepts the session)."""
    if not web_url or project_id is None or not ref:
        return None
    from urllib.parse import quote

    base = "/".join(web_url.split("/", 3)[:3])
    return (
        f"{base}/api/v4/projects/{project_id}/jobs/artifacts/{quote(ref, safe='')}/raw/"
        f"{CRATE_FILE}?job={CRATE_JOB}"
    )


__all__ = [
    "LOG_PREFIX",
    "catalogue_entry",
    "crate_api_url",
    "log_summary",
    "parse_log_summary",
]
