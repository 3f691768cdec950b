"""A stand-in for `python:3.11-slim-bookworm`, built here without pulling from Docker Hub.

Debian bookworm (minbase) from the apt mirror with python3, python3-venv and passwd, and a
virtualenv in /opt/python first on PATH: `python -m pip install` works as in the official
image (no Debian "externally managed" refusal), and `useradd`, `chgrp`, `chmod`, bash exist.
The root file system is made once with debootstrap and cached as a tarball under
``~/.cache/hepci-tools/`` so later runs only import it (`buildah from scratch` + `buildah add`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from scaffold.support import TOOLS_CACHE

SUITE = "bookworm"
PACKAGES = "python3,python3-venv,passwd"
ROOTFS_TAR = TOOLS_CACHE / f"standin-{SUITE}-python3" / "rootfs.tar"
VENV = "/opt/python"
# The CAs this host trusts (a TLS-inspecting proxy may sit between us and PyPI): added when the
# image is imported, never cached, like a site's base image carrying its own CA bundle.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PATH = f"{VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def apt_mirror() -> str:
    """The Debian mirror apt uses here (deb822 or one-line sources)."""
    listed = Path("/etc/apt/sources.list.d")
    sources = [
        Path("/etc/apt/sources.list"),
        *sorted(listed.glob("*.list")),
        *listed.glob("*.sources"),
    ]
    for source in sources:
        text = source.read_text(encoding="utf-8") if source.is_file() else ""
        for url in re.findall(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+)", text, re.M):
            if url.rstrip("/").endswith("/debian"):  # the main archive, not -security or others
                return url
    return "http://deb.debian.org/debian"


def rootfs_tar(workdir: Path) -> Path:
    """The cached root file system, made with debootstrap when missing."""
    if ROOTFS_TAR.is_file():
        return ROOTFS_TAR
    root = workdir / "rootfs"
    debootstrap = [
        "debootstrap", "--variant=minbase", f"--include={PACKAGES}", SUITE, str(root), apt_mirror()
    ]  # fmt: skip
    done = subprocess.run(debootstrap, capture_output=True, text=True, check=False, timeout=1200)
    if done.returncode != 0:
        raise RuntimeError(f"debootstrap failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    venv = subprocess.run(
        ["chroot", str(root), "python3", "-m", "venv", VENV],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if venv.returncode != 0:
        raise RuntimeError(f"python3 -m venv failed in the stand-in: {venv.stderr[-2000:]}")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        shutil.rmtree(root / junk, ignore_errors=True)
    ROOTFS_TAR.parent.mkdir(parents=True, exist_ok=True)
    partial = ROOTFS_TAR.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
    partial.replace(ROOTFS_TAR)  # atomic: an interrupted run never leaves a broken cache
    shutil.rmtree(root, ignore_errors=True)
    return ROOTFS_TAR


def push_standin(env: dict[str, str], workdir: Path, ref: str, user: str, password: str) -> None:
    """Import the cached root file system as an image and push it to ``ref`` (host/name:tag)."""
    tar = rootfs_tar(workdir)
    if not HOST_CA_BUNDLE.is_file():
        raise RuntimeError(f"{HOST_CA_BUNDLE} is missing: pip in the build could not verify PyPI")
    script = f"""
set -eu
c=$(buildah from scratch)
buildah add "$c" {tar} / >/dev/null
mnt=$(buildah mount "$c")
mkdir -p "$mnt/etc/ssl/certs"
cp {HOST_CA_BUNDLE} "$mnt/etc/ssl/certs/ca-certificates.crt"
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$mnt/etc/pip.conf"
buildah umount "$c" >/dev/null
buildah config --env PATH={PATH} --env LANG=C.UTF-8 \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --cmd bash "$c"
buildah commit -q --rm "$c" localhost/python-standin:latest >/dev/null
printf '%s' "$PW" | buildah login -u {user} --password-stdin {ref.partition("/")[0]} >/dev/null
buildah push -q localhost/python-standin:latest docker://{ref}
"""
    done = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, **env, "PW": password},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not push the stand-in base image: {done.stderr[-3000:]}")
