"""CI jobs and their artifacts, as GitLab serves them (GraphQL and REST).

A :class:`Job` belongs to one pipeline of the double's :class:`~gitlab_double.model.State`
(kept in ``state.jobs``, created on first use) and holds the files its ``artifacts:paths``
kept. Served the way GitLab documents it:

* GraphQL ``Pipeline.job(id:, name:)`` (``Resolvers::Ci::PipelineJobResolver``: the job of that
  name in the pipeline; with several, the latest), ``Pipeline.path``
  (``/<project>/-/pipelines/<id>``), ``CiJob.artifacts`` (a connection: one ``ARCHIVE`` entry,
  ``artifacts.zip`` or ``<artifacts:name>.zip``, plus the ``METADATA`` entry GitLab keeps for
  browsing it, ``metadata.gz``), ``CiJob.status`` (``CiJobStatus``: upper case),
  ``CiJob.trace`` (``null`` for a job without a log, ``JobType#trace``: ``object.trace if
  object.has_trace?``) and ``CiJobTrace.htmlSummary(lastLines:)`` (:mod:`gitlab_double.job_logs`);
* REST ``GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME``
  (``doc/api/job_artifacts.md``, "Download a single artifact file from specific tag or
  branch"): the file from the latest *successful* pipeline of that ref whose job ``NAME``
  succeeded; 404 when there is none or the file is not in the archive; code access needed.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from gitlab_double import job_logs
from gitlab_double.api import Request, Response, Router, not_found
from gitlab_double.model import Pipeline, Project, State

router = Router()


@dataclass
class Job:
    id: int
    pipeline_id: int
    project_id: int
    name: str
    status: str = "success"
    files: dict[str, bytes] = field(default_factory=dict)
    archive_name: str = "artifacts"  # artifacts:name (".zip" is added)
    log: bytes = b""  # the raw job log (the runner's trace, ANSI escapes and all)

    def archive(self) -> bytes:
        """The artifacts archive, as the runner uploads it (a zip of the kept paths)."""
        key = tuple(sorted((path, len(data), hash(data)) for path, data in self.files.items()))
        cached = self.__dict__.get("_archive")
        if cached is not None and cached[0] == key:
            return bytes(cached[1])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(self.files):
                info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
                archive.writestr(info, self.files[path])
        self.__dict__["_archive"] = (key, buffer.getvalue())
        return buffer.getvalue()


def jobs(state: State) -> dict[int, Job]:
    """The jobs of ``state`` by id (the double's state has none until a test adds some)."""
    found: dict[int, Job] = state.__dict__.setdefault("jobs", {})
    return found


def add_job(state: State, pipeline: Pipeline, name: str, **attrs: Any) -> Job:
    job = Job(state.new_id(), pipeline.id, pipeline.project_id, name, **attrs)
    jobs(state)[job.id] = job
    state.__dict__.setdefault("jobs_by_pipeline", {}).setdefault(pipeline.id, []).append(job)
    return job


def pipeline_jobs(state: State, pipeline_id: int | None) -> list[Job]:
    """The jobs of one pipeline (an index kept by :func:`add_job`)."""
    index: dict[int, list[Job]] = state.__dict__.get("jobs_by_pipeline", {})
    return list(index.get(pipeline_id, ())) if pipeline_id is not None else []


def _pipeline_id(node: dict[str, Any]) -> int | None:
    gid = str(node.get("id") or "")
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def resolve_pipeline_path(parent: dict[str, Any], info: Any) -> str | None:
    state: State = info.context.state
    pid = _pipeline_id(parent)
    pipeline = state.pipelines.get(pid) if pid is not None else None
    project = state.projects.get(pipeline.project_id) if pipeline else None
    return f"/{project.full_path}/-/pipelines/{pipeline.id}" if project and pipeline else None


def resolve_pipeline_job(
    parent: dict[str, Any], info: Any, id: str | None = None, name: str | None = None
) -> dict[str, Any] | None:
    state: State = info.context.state
    pid = _pipeline_id(parent)
    found = pipeline_jobs(state, pid)
    if id is not None:
        found = [j for j in found if f"gid://gitlab/Ci::Build/{j.id}" == id]
    if name is not None:
        found = [j for j in found if j.name == name]
    if not found:
        return None
    job = max(found, key=lambda j: j.id)
    project = state.projects[job.project_id]
    return {
        "id": f"gid://gitlab/Ci::Build/{job.id}",
        "name": job.name,
        "status": job.status.upper(),
        "webPath": f"/{project.full_path}/-/jobs/{job.id}",
        "_job": job,
    }


def resolve_job_artifacts(parent: dict[str, Any], info: Any, **_: Any) -> dict[str, Any]:
    job: Job = parent["_job"]
    nodes = []
    if job.files:
        archive = job.archive()
        nodes = [
            {"id": f"gid://gitlab/Ci::JobArtifact/{job.id * 10 + 1}", "fileType": "ARCHIVE",
             "name": f"{job.archive_name}.zip", "size": str(len(archive))},
            {"id": f"gid://gitlab/Ci::JobArtifact/{job.id * 10 + 2}", "fileType": "METADATA",
             "name": "metadata.gz", "size": str(64 + 32 * len(job.files))},
        ]  # fmt: skip
    page = {"endCursor": None, "startCursor": None, "hasNextPage": False, "hasPreviousPage": False}
    return {"nodes": nodes, "pageInfo": page}


def resolve_job_trace(parent: dict[str, Any], info: Any) -> dict[str, Any] | None:
    job: Job = parent["_job"]
    return {"_job": job} if job.log else None


def resolve_html_summary(parent: dict[str, Any], info: Any, lastLines: int = 10) -> str:
    job: Job = parent["_job"]
    return job_logs.html_summary(job.log, lastLines)


RESOLVERS = {
    ("Pipeline", "job"): resolve_pipeline_job,
    ("Pipeline", "path"): resolve_pipeline_path,
    ("CiJob", "artifacts"): resolve_job_artifacts,
    ("CiJob", "trace"): resolve_job_trace,
    ("CiJobTrace", "htmlSummary"): resolve_html_summary,
}


def latest_successful(state: State, project: Project, ref: str, name: str) -> Job | None:
    """The job ``name`` of the latest successful pipeline of ``ref`` where that job succeeded."""
    pipelines = sorted(
        (p for p in state.project_pipelines(project.id) if p.ref == ref and p.status == "success"),
        key=lambda p: -p.id,
    )
    for pipeline in pipelines:
        found = [
            j for j in pipeline_jobs(state, pipeline.id) if j.name == name and j.status == "success"
        ]
        if found:
            return max(found, key=lambda j: j.id)
    return None


@router.add("GET", "/projects/:id/jobs/artifacts/:ref_name/raw/(?P<artifact_path>.+)")
def raw_artifact(request: Request) -> Response:
    project = request.project(code=True)
    name = request.require("job")
    job = latest_successful(request.state, project, request.args["ref_name"], name)
    if job is None:
        raise not_found("Build")
    data = job.files.get(unquote(request.args["artifact_path"]))
    if data is None:
        raise not_found("File")
    kind = "application/json" if request.args["artifact_path"].endswith(".json") else "text/plain"
    return Response(200, data, {"Content-Type": kind})
