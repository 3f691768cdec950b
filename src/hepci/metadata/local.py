"""Facts about a local checkout: git (commit, its time, the remote), GitLab CI's variables
(the image-build job's dotenv: image and digest; the pipeline and job), the workflow's output
files (sizes, sha256) and the packages installed in the image (``pip list --format=json``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from hepci.errors import InputFileError, UsageError
from hepci.metadata.collect import Facts
from hepci.metadata.model import OutputFile, Package, Run

SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+?)(?:\.git)?/?$")
MAX_OUTPUT_FILES = 10_000


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "-c", "core.fsmonitor=false", *args],  # no hostile hook
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def web_url(remote: str | None) -> str | None:
    """``git@host:group/x.git`` or ``https://user:token@host/group/x.git`` → ``https://host/group/x``
    (credentials are never kept)."""
    if not remote:
        return None
    remote = remote.strip()
    match = SCP_REMOTE.match(remote)
    if match and "://" not in remote:
        return f"https://{match.group(1)}/{match.group(2)}"
    scheme, sep, rest = remote.partition("://")
    if not sep:
        return None
    host_path = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
    host_path = host_path.removesuffix("/").removesuffix(".git")
    scheme = "https" if scheme in ("ssh", "git") else scheme
    return f"{scheme}://{host_path}"


def git_facts(root: Path, env: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(repository URL, commit, commit time): GitLab's variables first, then git."""
    repo = env.get("CI_PROJECT_URL") or web_url(_git(root, "config", "--get", "remote.origin.url"))
    commit = env.get("CI_COMMIT_SHA") or _git(root, "rev-parse", "HEAD")
    when = env.get("CI_COMMIT_TIMESTAMP") or (
        _git(root, "show", "-s", "--format=%cI", commit) if commit else None
    )
    return repo or None, commit, when


def output_files(root: Path, paths: Sequence[str]) -> tuple[OutputFile, ...]:
    """Every file under ``paths`` (files or directories, relative to ``root``), with its size
    and sha256, sorted by path; a missing path is skipped (the record says none were left)."""
    found: dict[str, OutputFile] = {}
    base = root.resolve()
    for rel in paths:
        start = (root / rel).resolve()
        if not start.is_relative_to(base):
            raise UsageError(f"output path {rel!r} is outside the repository", path=root)
        files = [start] if start.is_file() else sorted(p for p in start.rglob("*") if p.is_file())
        for path in files:
            if path.is_symlink() or not path.resolve().is_relative_to(base):
                continue
            name = path.relative_to(base).as_posix()
            found[name] = OutputFile(name, path.stat().st_size, _sha256(path))
            if len(found) > MAX_OUTPUT_FILES:
                raise UsageError(f"more than {MAX_OUTPUT_FILES} output files under {rel!r}")
    return tuple(found[key] for key in sorted(found))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_packages(path: Path) -> tuple[Package, ...]:
    """``pip list --format=json`` output (or ``pip freeze``'s ``name==version`` lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read the package list: {exc.strerror}", path=path) from exc
    found: list[Package] = []
    try:
        data = json.loads(text)
    except ValueError:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, version = line.partition("==")
            if not sep:
                raise InputFileError("expected NAME==VERSION", path=path, line=number) from None
            found.append(Package(name.strip(), version.strip()))
    else:
        if not isinstance(data, list):
            raise InputFileError("expected a JSON list (pip list --format=json)", path=path)
        for item in data:
            if isinstance(item, dict) and item.get("name") and item.get("version"):
                found.append(Package(str(item["name"]), str(item["version"])))
    return tuple(sorted(set(found), key=lambda p: (p.name.lower(), p.version)))


def ci_run(env: Mapping[str, str], outputs: tuple[OutputFile, ...]) -> Run:
    """The pipeline run described by GitLab's predefined variables."""
    return Run(
        pipeline_id=env.get("CI_PIPELINE_ID") or None,
        pipeline_url=env.get("CI_PIPELINE_URL") or None,
        job_name=env.get("CI_JOB_NAME") or None,
        job_url=env.get("CI_JOB_URL") or None,
        ended=env.get("HEPCI_WORKFLOW_ENDED") or env.get("CI_JOB_STARTED_AT") or None,
        outputs=outputs,
    )


def local_facts(
    root: Path,
    *,
    env: Mapping[str, str] | None = None,
    image: str | None = None,
    image_digest: str | None = None,
    outputs: Sequence[str] | None = None,
    packages: Path | None = None,
) -> Facts:
    """Facts for ``hepci metadata DIR``: options win over the image-build job's dotenv
    variables (``IMAGE_BUILD_IMAGE``, ``IMAGE_BUILD_DIGEST``), which win over nothing."""
    env = dict(os.environ if env is None else env)
    repo, commit, when = git_facts(root, env)
    digest = image_digest or env.get("IMAGE_BUILD_DIGEST") or None
    if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise UsageError(f"image digest {digest!r} is not sha256:<64 hex digits>")
    run = ci_run(env, output_files(root, outputs)) if outputs is not None else None
    return Facts(
        repository=repo,
        commit=commit,
        commit_time=when,
        image=image or env.get("IMAGE_BUILD_IMAGE") or None,
        image_digest=digest,
        packages=read_packages(packages) if packages is not None else (),
        run=run,
    )


__all__ = ["git_facts", "local_facts", "output_files", "read_packages", "web_url"]
