"""The metadata job's summary line: written by `hepci metadata --log-summary`, served by the
GitLab double as GitLab renders a job log's tail (`CiJobTrace.htmlSummary`), read back by the
group sweep, and shown by the catalogue; dropped alone when an instance lacks the field."""

from __future__ import annotations

import json

import pytest
import requests
from gitlab_double import GitLabDouble, build_world, graphql_api
from gitlab_double import schema as published
from gitlab_double.job_logs import html_summary
from gitlab_double.preservation import add_metadata_jobs, runner_log

from hepci.gitlab.artifacts import SUMMARY_MARKER, log_text, pipeline_facts, summary_line
from hepci.metadata.model import Code, DataInput, Image, Record, Software, Workflow
from hepci.metadata.summary import (
    LOG_PREFIX,
    MAX_LOG_LINE,
    catalogue_entry,
    log_summary,
    parse_log_summary,
)

DIGEST = "sha256:" + "c" * 64
COMMIT = "a" * 40


def record(**extra: object) -> Record:
    data = (
        DataInput("MuOnia", "open-data", "config/config.yaml", recid="30560",
                  doi="10.7483/OPENDATA.CMS.0UTR.A7KQ"),
        DataInput("toy", "synthetic", "config/config.yaml"),
        DataInput("odd", "url", "config/config.yaml", doi="10.1000/a<b>&c"),
    )  # fmt: skip
    fields: dict[str, object] = {
        "name": "ana", "code": Code(commit=COMMIT),
        "software": Software(image=Image("registry.example.org/hep/ana:abc", DIGEST)),
        "data": data, "workflow": Workflow("snakemake", "Snakefile"),
    }  # fmt: skip
    return Record(**{**fields, **extra})  # type: ignore[arg-type]


def test_the_line_survives_gitlabs_html_rendering_of_the_log() -> None:
    assert LOG_PREFIX.startswith(SUMMARY_MARKER)
    line = log_summary(record(), "d" * 64)
    assert line.startswith(LOG_PREFIX) and not set("<>&") & set(line)  # Ansi2html leaves it be
    for stamps in (False, True):  # with the runner's per-line timestamps too
        raw = runner_log(["x < y && z", line, "   "], timestamps=stamps)
        html = html_summary(raw, 25)
        assert "x &lt; y && z" in html  # only `<` is escaped, as GitLab does
        assert summary_line(html) == line
    parsed = parse_log_summary(line)
    assert parsed == {
        "crate_sha256": "sha256:" + "d" * 64, "commit": COMMIT,
        "image": "registry.example.org/hep/ana:abc", "digest": DIGEST, "engine": "snakemake",
        "datasets": ["doi:10.7483/OPENDATA.CMS.0UTR.A7KQ", "synthetic", "doi:10.1000/a<b>&c"],
        "inputs": 3, "missing": 0,
    }  # fmt: skip


def test_long_lists_are_cut_and_bad_lines_ignored() -> None:
    many = tuple(DataInput(f"d{n}", "open-data", "c.yaml", recid=str(n)) for n in range(500))
    line = log_summary(record(data=many), "d" * 64)
    parsed = parse_log_summary(line)
    assert len(line) <= MAX_LOG_LINE and parsed is not None
    assert parsed["inputs"] == 500 and 0 < len(parsed["datasets"]) <= 20
    assert parse_log_summary("no summary here") is None
    assert parse_log_summary(LOG_PREFIX + "{not json") is None
    forged = LOG_PREFIX + json.dumps({"digest": "sha256:short", "engine": "<script>"})
    assert parse_log_summary(forged)["digest"] is None  # type: ignore[index]
    assert parse_log_summary(forged)["engine"] is None  # type: ignore[index]
    two = f"{LOG_PREFIX}{{}}\n{line}\n"
    assert parse_log_summary(two) == parsed  # the last one is the job's own


def entry_for(summary: str | None, rec: Record | None = None) -> dict[str, object]:
    pipeline = {
        "id": "7", "status": "success", "path": "/hep/ana/-/pipelines/7", "crate_job": "success",
        "artifacts": [{"type": "archive", "name": "artifacts.zip", "size": 900}],
        "summary": summary,
    }  # fmt: skip
    bare = Record(name="ana", code=Code(commit=COMMIT))
    return catalogue_entry(rec or bare, pipeline, web_url="https://gitlab.example.org/hep/ana",
                           project_id=3, default_branch="main")  # fmt: skip


def test_catalogue_entry_takes_the_digest_from_the_crate_of_this_commit() -> None:
    line = log_summary(record(), "d" * 64)
    entry = entry_for(line)
    assert entry["image_digest"] == DIGEST and entry["digest_source"] == "crate"
    assert entry["crate"]["sha256"] == "sha256:" + "d" * 64  # type: ignore[index]
    assert [d["name"] for d in entry["datasets"]][:1] == ["doi:10.7483/OPENDATA.CMS.0UTR.A7KQ"]  # type: ignore[index]
    assert not any("no image digest" in g for g in entry["missing"])  # type: ignore[union-attr]
    other = log_summary(record(code=Code(commit="b" * 40)), "d" * 64)
    stale = entry_for(other)  # the crate of another commit says nothing about this one
    assert stale["image_digest"] is None and stale["digest_source"] is None
    assert entry_for(None)["image_digest"] is None


QUERY = """query($p: ID!) { project(fullPath: $p) { repository { tree { lastCommit {
  pipelines(first: 1) { nodes { job(name: "metadata") { status trace { htmlSummary(lastLines: %s) } } } }
} } } } }"""


def post(double: GitLabDouble, token: str, path: str, lines: int) -> dict[str, object]:
    body = requests.post(
        f"{double.url}/api/graphql", json={"query": QUERY % lines, "variables": {"p": path}},
        headers={"PRIVATE-TOKEN": token}, timeout=10,
    ).json()  # fmt: skip
    assert "errors" not in body, body
    repo = body["data"]["project"]["repository"]
    (node,) = repo["tree"]["lastCommit"]["pipelines"]["nodes"]
    return node["job"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def world():
    world = build_world(n_projects=30, seed=4)
    truth = add_metadata_jobs(world, share=0.6, failed=0.3, seed=4)
    return world, truth


def test_the_double_serves_the_log_tail_as_gitlab_does(world) -> None:
    world, truth = world
    path = sorted(truth.with_summary)[0]
    with GitLabDouble(world.state) as double:
        job = post(double, world.tokens.owner, path, 3)
        text = log_text(job["trace"]["htmlSummary"])  # type: ignore[index]
        assert text.splitlines()[-1] == "Job succeeded" and len(text.splitlines()) == 3
        wide = log_text(post(double, world.tokens.owner, path, 500)["trace"]["htmlSummary"])  # type: ignore[index]
        assert len(wide.splitlines()) <= 100 and SUMMARY_MARKER in wide  # clamped to 100 lines
        facts = pipeline_facts(
            {"id": "gid://gitlab/Ci::Pipeline/1", "job": post(double, world.tokens.owner, path, 25)}
        )
        assert parse_log_summary(facts["summary"])["digest"] == truth.with_summary[path]  # type: ignore[index, arg-type]


def test_an_instance_without_the_field_drops_only_the_summary(world, tmp_path, monkeypatch):
    from hepci.cli import main

    world, _ = world
    sdl = published.sdl("19.0")
    assert "  trace: CiJobTrace\n" in sdl
    monkeypatch.setattr(
        graphql_api, "SCHEMA", graphql_api.build(sdl.replace("  trace: CiJobTrace\n", ""))
    )
    monkeypatch.setenv("GITLAB_TOKEN", world.tokens.owner)
    out = tmp_path / "catalogue.html"
    with GitLabDouble(world.state) as double:
        code = main(["audit", "gitlab:hep", "--gitlab-url", double.url, "--no-progress",
                     "--no-cache", "-f", f"catalogue={out}", "--fail-on", "never"])  # fmt: skip
    html = out.read_text()
    assert code in (0, 3)
    assert "/jobs/artifacts/" in html  # the crates are still linked
    assert "from the pipeline's crate" not in html  # but no digest is read


def test_a_dataset_named_like_a_file_is_kept_and_a_datasets_files_are_not() -> None:
    """The files of a dataset are not datasets of their own; that is known when they are
    read (``part_of``), not guessed from a name: "Muon profile sample" once vanished."""
    data = (
        DataInput("Muon profile sample", "open-data", "config/config.yaml", recid="123"),
        DataInput("Muon profile sample file 1", "open-data", "config/config.yaml",
                  recid="123", part_of="Muon profile sample"),
    )  # fmt: skip
    parsed = parse_log_summary(log_summary(record(data=data), "d" * 64))
    assert parsed is not None and parsed["datasets"] == ["recid:123"]
    entry = catalogue_entry(record(data=data), None)
    assert [d["name"] for d in entry["datasets"]] == ["Muon profile sample"]
