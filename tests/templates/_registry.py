"""A real OCI registry (Debian's docker-registry) on 127.0.0.1 with htpasswd auth over TLS.

Buildah and skopeo trust its self-signed certificate through
``/etc/containers/certs.d/127.0.0.1:<port>/ca.crt`` (removed again on stop), so the
templates run unchanged: no ``--tls-verify=false`` anywhere.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CERTS_D = Path("/etc/containers/certs.d")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Registry:
    workdir: Path
    user: str = "ci-user"
    password: str = "s3cret-Pa55word"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "ca.crt"

    def start(self) -> Registry:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        key, crt = self.workdir / "registry.key", self.ca_file
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                str(key),
                "-out",
                str(crt),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )
        htpasswd = subprocess.run(
            ["htpasswd", "-Bbn", self.user, self.password], check=True, capture_output=True
        ).stdout
        (self.workdir / "htpasswd").write_bytes(htpasswd)
        config = {
            "version": 0.1,
            "log": {"level": "warn"},
            "storage": {
                "filesystem": {"rootdirectory": str(self.workdir / "data")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host, "tls": {"certificate": str(crt), "key": str(key)}},
            "auth": {"htpasswd": {"realm": "hepci-test", "path": str(self.workdir / "htpasswd")}},
        }
        (self.workdir / "config.yml").write_text(json.dumps(config))  # JSON is YAML
        certs = CERTS_D / self.host
        certs.mkdir(parents=True, exist_ok=True)
        shutil.copy(crt, certs / "ca.crt")
        log = (self.workdir / "registry.log").open("wb")
        self.process = subprocess.Popen(
            ["docker-registry", "serve", str(self.workdir / "config.yml")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._ssl = ssl.create_default_context(cafile=str(crt))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.get("/v2/")
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"registry did not start: {(self.workdir / 'registry.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(CERTS_D / self.host, ignore_errors=True)

    def get(self, path: str, accept: str | None = None) -> tuple[dict[str, str], bytes]:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request = urllib.request.Request(f"https://{self.host}{path}")
        request.add_header("Authorization", f"Basic {token}")
        if accept:
            request.add_header("Accept", accept)
        with urllib.request.urlopen(request, context=self._ssl, timeout=10) as response:
            return dict(response.headers), response.read()

    def tags(self, name: str) -> set[str]:
        try:
            _, body = self.get(f"/v2/{name}/tags/list")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return set()
            raise
        return set(json.loads(body).get("tags") or [])

    def manifest(self, name: str, tag: str) -> tuple[str, dict[str, object]]:
        accept = ",".join(
            [
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
            ]
        )
        headers, body = self.get(f"/v2/{name}/manifests/{tag}", accept=accept)
        return headers.get("Docker-Content-Digest", ""), json.loads(body)

    def config(self, name: str, tag: str) -> dict[str, object]:
        _, manifest = self.manifest(name, tag)
        digest = manifest["config"]["digest"]  # type: ignore[index]
        _, body = self.get(f"/v2/{name}/blobs/{digest}")
        return json.loads(body)

    def unauthenticated_status(self) -> int:
        try:
            urllib.request.urlopen(f"https://{self.host}/v2/", context=self._ssl, timeout=5)
        except urllib.error.HTTPError as exc:
            return exc.code
        return 200


def fresh_storage(tmp_path: Path) -> dict[str, str]:
    """A brand-new storage (like a fresh CI runner pod) for one pipeline run."""
    conf = tmp_path / "storage.conf"
    if not conf.exists():
        conf.write_text(
            f'[storage]\ndriver = "vfs"\nrunroot = "{tmp_path}/run"\ngraphroot = "{tmp_path}/graph"\n'
        )
    auth = tmp_path / "auth.json"
    if not auth.exists():
        auth.write_text("{}")
    return {"CONTAINERS_STORAGE_CONF": str(conf), "REGISTRY_AUTH_FILE": str(auth)}


@contextmanager
def running_registry(root: Path, tools: tuple[str, ...], root_reason: str) -> Iterator[Registry]:
    """A started registry under ``root``, stopped afterwards; the calling test is skipped when
    one of ``tools`` is missing or when not root (``root_reason`` says why root is needed)."""
    import pytest

    for tool in ("docker-registry", "htpasswd", "openssl", *tools):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make test installs it when run as root)")
    if os.geteuid() != 0:
        pytest.skip(root_reason)
    registry = Registry(root).start()
    try:
        yield registry
    finally:
        registry.stop()
