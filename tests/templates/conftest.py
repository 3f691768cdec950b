"""Fixtures for the template tests: one real registry per session, a tiny base image,
isolated container storage, and the Snakemake / reana-client tool environments."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from templates._registry import Registry, fresh_storage, running_registry
from templates._tools import tool_bin

BASE_IMAGE = "base/busybox"
BASE_TAG = "1.35"


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(
        tmp_path_factory.mktemp("registry"), ("buildah", "skopeo"),
        "the registry's CA goes to /etc/containers/certs.d: needs root",
    ) as reg:  # fmt: skip
        yield reg


@pytest.fixture(scope="session")
def base_image(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A busybox-static image made from scratch and pushed to the registry (no internet)."""
    busybox = "/bin/busybox"
    linked = subprocess.run(["ldd", busybox], capture_output=True, text=True, check=False)
    if not Path(busybox).is_file() or "not a dynamic" not in linked.stdout + linked.stderr:
        pytest.skip("a static /bin/busybox is needed (apt package busybox-static)")
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


def _tool(name: str) -> Path:
    try:
        return tool_bin(name)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def snakemake_bin() -> Path:
    return _tool("snakemake")


@pytest.fixture(scope="session")
def reana_bin() -> Path:
    return _tool("reana")


@pytest.fixture(scope="session")
def hadolint_bin() -> Path:
    return _tool("hadolint")


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    """The bin directory of the interpreter running the tests (pytest, pytest-cov, yamllint)."""
    return Path(sys.executable).parent
