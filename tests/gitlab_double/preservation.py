"""Metadata jobs for a generated world: some analyses' latest pipelines ran ci-templates/
metadata.yml and kept an RO-Crate, some failed, most never had one (as in a real group).

A successful job keeps the crate and a job log like a GitLab runner writes it (sections,
colours, the artifact upload after the script); the script's last line is the summary
``hepci metadata --log-summary`` prints (written here by hand, as documented in
``hepci.metadata.summary``: the double does not import hepci). Some logs carry the runner's
per-line timestamps (``FF_TIMESTAMPS``), and some successful jobs predate the summary line
(their crate is only linked). :func:`add_metadata_jobs` is seeded and returns the ground
truth, so catalogue tests can check what they show without hard-coding it.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field

from gitlab_double.ci_jobs import add_job
from gitlab_double.model import Pipeline
from gitlab_double.populate import World

CRATE = "ro-crate-metadata.json"
CODEMETA = "codemeta.json"
SUMMARY_PREFIX = "hepci-preservation/1 "
OPEN_DATA = ("doi:10.7483/OPENDATA.CMS.0UTR.A7KQ", "recid:30560")


@dataclass
class CrateTruth:
    with_crate: dict[str, str] = field(default_factory=dict)  # full path -> image digest
    with_summary: dict[str, str] = field(default_factory=dict)  # ... whose log has the line
    failed: set[str] = field(default_factory=set)


def crate_json(full_path: str, digest: str) -> bytes:
    """A small Workflow Run Crate like the metadata job writes."""
    graph = [
        {"@id": "./", "@type": "Dataset", "name": full_path, "mainEntity": {"@id": "Snakefile"}},
        {"@id": "#image-1", "@type": "ContainerImage", "sha256": digest.removeprefix("sha256:")},
    ]
    return json.dumps(
        {"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}
    ).encode()


def summary_line(pipeline: Pipeline, full_path: str, digest: str, crate: bytes) -> str:
    payload = {
        "commit": pipeline.sha,
        "crate": "sha256:" + hashlib.sha256(crate).hexdigest(),
        "datasets": list(OPEN_DATA[:1]),
        "digest": digest,
        "engine": "snakemake",
        "image": f"registry.example.org/{full_path}",
        "inputs": 1,
        "missing": 0,
    }
    return SUMMARY_PREFIX + json.dumps(payload, separators=(",", ":"), sort_keys=True)


def runner_log(script_output: list[str], *, timestamps: bool, stamp: int = 1764669600) -> bytes:
    """A successful job's log as gitlab-runner 17 writes it around ``script_output``."""

    def sec(action: str, name: str) -> str:
        return f"section_{action}:{stamp}:{name}\r\x1b[0K"

    cyan, green, reset = "\x1b[36;1m", "\x1b[32;1m", "\x1b[0;m"
    lines = [
        f"{cyan}Running with gitlab-runner 17.5.0 (4bc2ba2d){reset}",
        f'{sec("start", "prepare_executor")}\x1b[0K{cyan}Preparing the "docker" executor{reset}',
        f"{sec('end', 'prepare_executor')}",
        f'{sec("start", "step_script")}\x1b[0K{cyan}Executing "step_script" stage of the job '
        f"script{reset}{reset}",
        f"{green}$ set -eu # collapsed multi-line command{reset}",
        *script_output,
        f"{sec('end', 'step_script')}{sec('start', 'upload_artifacts_on_success')}\x1b[0K"
        f"{cyan}Uploading artifacts for successful job{reset}{reset}",
        f"{green}Uploading artifacts...{reset}",
        f"{CRATE}: found 1 matching artifact files and directories{reset} ",
        f"{CODEMETA}: found 1 matching artifact files and directories{reset} ",
        f'{green}Uploading artifacts as "archive" to coordinator... 201 Created{reset}  id=1 '
        "responseStatus=201 Created token=glcbt-64_redacted",
        f"{sec('end', 'upload_artifacts_on_success')}{sec('start', 'cleanup_file_variables')}"
        f"\x1b[0K{cyan}Cleaning up project directory and file based variables{reset}{reset}",
        f"{sec('end', 'cleanup_file_variables')}",
        f"{green}Job succeeded{reset}",
    ]
    if timestamps:  # FF_TIMESTAMPS: "<RFC 3339 with µs>Z <stream><E|O><+| > " before each line
        lines = [
            f"2026-12-02T10:00:{n % 60:02d}.{n:06d}Z 01O {line}" for n, line in enumerate(lines)
        ]
    return ("\n".join(lines) + "\n").encode()


def add_metadata_jobs(
    world: World, *, share: float = 0.4, failed: float = 0.1, seed: int = 5
) -> CrateTruth:
    """A ``metadata`` job on the latest pipeline of about ``share`` of the projects with
    pipelines (successful, with a crate and, nine times in ten, the summary line in its log),
    and a failed one on about ``failed`` more."""
    rng = random.Random(seed)
    truth = CrateTruth()
    state = world.state
    for spec in world.projects:
        pipelines = state.project_pipelines(spec.id)
        if not pipelines:
            continue
        latest = max(pipelines, key=lambda p: p.id)
        roll = rng.random()
        if roll < share:
            latest.status = "success"
            digest = "sha256:" + "".join(rng.choice("0123456789abcdef") for _ in range(64))
            crate = crate_json(spec.full_path, digest)
            output = [f"image: registry.example.org/{spec.full_path}:abc123 {digest}",
                      f"{spec.full_path}: image …; 1 input(s); snakemake; complete"]  # fmt: skip
            if rng.random() < 0.9:
                output.append(summary_line(latest, spec.full_path, digest, crate))
                truth.with_summary[spec.full_path] = digest
            log = runner_log(output, timestamps=rng.random() < 0.3)
            add_job(state, latest, "metadata", files={CRATE: crate}, log=log)
            truth.with_crate[spec.full_path] = digest
        elif roll < share + failed:
            add_job(state, latest, "metadata", status="failed", log=b"ERROR: Job failed\n")
            truth.failed.add(spec.full_path)
    return truth
