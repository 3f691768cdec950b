"""The HEAD pipeline's preservation facts, read inside the group sweep's GraphQL batch.

For each project the batch already asks for the default branch's HEAD commit and its latest
pipeline; this module adds, in the same selection and so at no extra request, the pipeline's
id, ``iid``, creation time and web path, and its ``metadata`` job (``Pipeline.job(name:)``:
the job of ``ci-templates/metadata.yml``) with the files that job kept (``CiJob.artifacts``:
an ``ARCHIVE`` holding ``ro-crate-metadata.json``, and the job's ``METADATA`` listing).

The crate's contents come from the same job's log: the template runs ``hepci metadata
--log-summary``, whose last line is a one-line, machine-readable summary of the crate it
wrote (image digest, dataset identifiers, engine, the crate's sha256; format in
:mod:`hepci.metadata.summary`). ``CiJob.trace { htmlSummary(lastLines:) }`` returns the tail
of the log as GitLab renders it (``Gitlab::Ci::Ansi2html``: ``<span>`` per colour, ``<br/>``
per line, ``<`` escaped); :func:`log_text` turns it back into text and the summary line is
kept. ``htmlSummary`` is marked "Experiment" in GitLab's reference (since 15.11, still in 19.0):
it is its own optional part of the batch ("summary"), dropped alone when an instance does not
know it, and the catalogue then links the crate instead. Reading each crate file instead
would cost one download per project (``GET /projects/:id/jobs/artifacts/:ref/raw/…``).

The facts travel as plain JSON-able data (:class:`~hepci.gitlab.model.Details` ``.pipeline``,
cached with the snapshot).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

CRATE_JOB = "metadata"  # the job name ci-templates/metadata.yml uses by default
# Lines of the job log's tail GitLab renders (it allows 1-100 and at most 16 KiB): the summary
# is the script's last line, followed by about a dozen runner lines (artifact upload and
# cleanup sections, "Job succeeded"); 25 leaves room for a short after_script.
LOG_TAIL_LINES = 25
# The summary line starts with this (hepci.metadata.summary.LOG_PREFIX adds the version).
SUMMARY_MARKER = "hepci-preservation/"
MAX_SUMMARY_CHARS = 4000
# Fields of the latest pipeline's node (``Commit.pipelines``), after ``status``.
SUMMARY_FIELDS = f" trace {{ htmlSummary(lastLines: {LOG_TAIL_LINES}) }}"
MARKERS = {
    "job": "crate",
    "artifacts": "crate",
    "fileType": "crate",
    "iid": "crate",
    "trace": "summary",
    "htmlSummary": "summary",
}


def pipeline_fields(*, summary: bool) -> str:
    """The pipeline's selection after ``status``; with the job log's tail when ``summary``."""
    trace = SUMMARY_FIELDS if summary else ""
    return (
        f' id iid createdAt path job(name: "{CRATE_JOB}")'
        f" {{ status{trace} artifacts {{ nodes {{ fileType name size }} }} }}"
    )


class _LogText(HTMLParser):
    """Text of GitLab's HTML rendering of a log: data kept, ``<br>`` as a line break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def log_text(html: str) -> str:
    """The plain text of an ``htmlSummary``."""
    parser = _LogText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def summary_line(html: Any) -> str | None:
    """The last line of the log tail that holds a hepci summary (raw; parsed by the caller)."""
    if not isinstance(html, str) or SUMMARY_MARKER not in html:
        return None
    lines = [line for line in log_text(html).splitlines() if SUMMARY_MARKER in line]
    if not lines:
        return None
    line = lines[-1]
    line = line[line.index(SUMMARY_MARKER) :]  # after a runner's timestamp prefix, if any
    return line[:MAX_SUMMARY_CHARS].rstrip()


def _artifacts(job: dict[str, Any] | None) -> list[dict[str, Any]]:
    found = []
    listed = ((job or {}).get("artifacts") or {}).get("nodes") or []
    for item in listed:
        if isinstance(item, dict) and item.get("fileType"):
            size = str(item.get("size"))
            found.append(
                {
                    "type": str(item["fileType"]).lower(),
                    "name": item.get("name"),
                    "size": int(size) if size.isdigit() else None,
                }
            )
    return found


def pipeline_facts(node: Any) -> dict[str, Any] | None:
    """The facts of one ``Pipeline`` node, or ``None`` when it carries none of them."""
    if not isinstance(node, dict) or "id" not in node:
        return None
    job = node.get("job") if isinstance(node.get("job"), dict) else None
    trace = (job or {}).get("trace")
    gid = str(node.get("id") or "")
    return {
        "id": gid.rsplit("/", 1)[-1] or None,
        "iid": node.get("iid"),
        "status": str(node.get("status") or "").lower() or None,
        "created_at": node.get("createdAt"),
        "path": node.get("path"),
        "crate_job": None if job is None else str(job.get("status") or "").lower() or None,
        "artifacts": _artifacts(job),
        "summary": summary_line(trace.get("htmlSummary")) if isinstance(trace, dict) else None,
    }


__all__ = [
    "CRATE_JOB",
    "LOG_TAIL_LINES",
    "SUMMARY_MARKER",
    "log_text",
    "pipeline_facts",
    "pipeline_fields",
    "summary_line",
]
