"""Tag → digest against a real registry (Debian's docker-registry on 127.0.0.1, TLS), never the
internet: an OCI image index made here is pushed with skopeo, then looked up

- with htpasswd (Basic) auth, credentials from a containers auth file, as GitLab's registry
  is used from a laptop;
- with token auth, anonymously, as Docker Hub serves public images: the registry answers 401
  with a ``Bearer realm=…`` challenge and a token server made here (JWT signed with openssl)
  hands out a pull token.

And ``hepci upgrade --refresh-digests --write`` pins a repository's CI image and Dockerfile
base, then refreshes both after the tag is pushed again.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from templates._registry import Registry, free_port, fresh_storage, running_registry

from hepci.audit.engine import audit_repo
from hepci.cli import main
from hepci.core.repo import LocalRepo
from hepci.upgrade.registry import RegistryClient, RegistryError

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _blob(layout: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_index(layout: Path, tag: str, salt: str) -> str:
    """An OCI layout holding a two-platform image index at ``tag``; returns the index digest."""
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    manifests = []
    for arch in ("amd64", "arm64"):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            data = f"{salt} {arch}\n".encode()
            info = tarfile.TarInfo("hello.txt")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        layer = _blob(layout, gzip.compress(raw.getvalue(), mtime=0))
        diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
        config = {"architecture": arch, "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [diff_id]}}  # fmt: skip
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       **_blob(layout, json.dumps(config).encode())},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
        }  # fmt: skip
        descriptor = _blob(layout, json.dumps(manifest).encode())
        manifests.append({"mediaType": MANIFEST, **descriptor,
                          "platform": {"architecture": arch, "os": "linux"}})  # fmt: skip
    index_bytes = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests})
    index = _blob(layout, index_bytes.encode())
    ref = {"org.opencontainers.image.ref.name": tag}
    top = {"schemaVersion": 2, "manifests": [{"mediaType": INDEX, **index, "annotations": ref}]}
    (layout / "index.json").write_text(json.dumps(top))
    return str(index["digest"])


def push(registry: Registry, tmp: Path, image: str, salt: str) -> str:
    """Push a fresh index to ``image`` (``repo:tag``); returns its digest."""
    layout = tmp / f"layout-{salt}"
    shutil.rmtree(layout, ignore_errors=True)
    digest = oci_index(layout, "t", salt)
    auth = tmp / "skopeo-auth.json"
    auth.write_text("{}")
    done = subprocess.run(
        ["skopeo", "copy", "--all", "--preserve-digests", "--authfile", str(auth),
         "--dest-creds", f"{registry.user}:{registry.password}",
         f"oci:{layout}:t", f"docker://{registry.host}/{image}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return digest


def auth_file(tmp: Path, registry: Registry) -> Path:
    token = base64.b64encode(f"{registry.user}:{registry.password}".encode()).decode()
    path = tmp / "auth.json"
    path.write_text(json.dumps({"auths": {registry.host: {"auth": token}}}))
    return path


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(
        tmp_path_factory.mktemp("registry"), ("skopeo",),
        "the registry's CA goes to /etc/containers/certs.d (root only)",
    ) as reg:  # fmt: skip
        yield reg


@pytest.fixture
def no_stored_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No auth file of this machine is read: an empty one, and HOME elsewhere."""
    empty = tmp_path / "empty-auth.json"
    empty.write_text("{}")
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    return empty


def test_basic_auth_digest_is_the_index_digest(
    registry: Registry, tmp_path: Path, no_stored_auth: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = push(registry, tmp_path, "team/base:1.0", "one")
    with pytest.raises(RegistryError, match="refused the pull") as refused:
        RegistryClient().digest(f"{registry.host}/team/base:1.0")
    assert registry.password not in str(refused.value)

    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file(tmp_path, registry)))
    client = RegistryClient()
    assert client.digest(f"{registry.host}/team/base:1.0") == digest
    headers, body = registry.get("/v2/team/base/manifests/1.0", accept=INDEX)
    assert (
        headers["Docker-Content-Digest"] == digest == "sha256:" + hashlib.sha256(body).hexdigest()
    )
    with pytest.raises(RegistryError, match="no such tag"):
        client.digest(f"{registry.host}/team/base:9.9")


CI = """\
variables:
  BASE: {host}/team/base:1.0  # the analysis base
job:
  image: $BASE
  script: [python -V]
"""


def test_upgrade_refresh_digests_pins_then_refreshes(
    registry: Registry, tmp_path: Path, no_stored_auth: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file(tmp_path, registry)))
    first = push(registry, tmp_path, "team/analysis-base:2.1", "first")
    repo = tmp_path / "analysis"
    repo.mkdir()
    image = f"{registry.host}/team/analysis-base:2.1"
    (repo / ".gitlab-ci.yml").write_text(
        CI.format(host=registry.host).replace("team/base:1.0", "team/analysis-base:2.1")
    )
    (repo / "Dockerfile").write_text(f"FROM {image}\nUSER 1000:0\n")
    assert main(["upgrade", str(repo), "--check"]) == 0  # not without asking for it
    assert main(["upgrade", str(repo), "--refresh-digests", "--write"]) == 0
    assert (repo / "Dockerfile").read_text() == f"FROM {image}@{first}\nUSER 1000:0\n"
    assert (
        f"  BASE: {image}@{first}  # the analysis base\n" in (repo / ".gitlab-ci.yml").read_text()
    )
    report = {r.id: r.status for r in audit_repo(LocalRepo(repo)).results}
    assert report["PIN004"] == report["PIN005"] == "pass"

    second = push(registry, tmp_path, "team/analysis-base:2.1", "second")  # the tag moved
    assert second != first
    assert main(["upgrade", str(repo), "--select", "pin-digests", "--check"]) == 1
    assert main(["upgrade", str(repo), "--select", "pin-digests", "--write"]) == 0
    assert (repo / "Dockerfile").read_text() == f"FROM {image}@{second}\nUSER 1000:0\n"
    assert f"{image}@{second}" in (repo / ".gitlab-ci.yml").read_text()


def test_buildah_builds_a_digest_pinned_from(
    registry: Registry, tmp_path: Path, no_stored_auth: Path
) -> None:
    """What the scaffold's `FROM python:3.12-slim-bookworm@sha256:…` does in the image-build job:
    the digest wins over the tag (the tag has moved on since), a wrong digest fails the build."""
    if shutil.which("buildah") is None:
        pytest.skip("buildah is not installed (make test installs it when run as root)")
    old = push(registry, tmp_path, "team/pinned:1.0", "old")
    push(registry, tmp_path, "team/pinned:1.0", "new")  # the tag moves; `old` stays pullable
    context = tmp_path / "context"
    context.mkdir()
    (tmp_path / "storage").mkdir()
    (context / "note.txt").write_text("analysis\n")
    env = {
        **os.environ,
        **fresh_storage(tmp_path / "storage"),
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
        "REGISTRY_AUTH_FILE": str(auth_file(tmp_path, registry)),
    }

    def build(digest: str) -> subprocess.CompletedProcess[str]:
        (context / "Dockerfile").write_text(
            f"FROM {registry.host}/team/pinned:1.0@{digest}\nCOPY note.txt /note.txt\n"
        )
        return subprocess.run(
            ["buildah", "build", "--pull", "-q", "-t", "localhost/pinned-test", str(context)],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    built = build(old)
    assert built.returncode == 0, built.stderr
    inspect = subprocess.run(
        ["buildah", "inspect", "--type", "image", "localhost/pinned-test"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    layers = json.loads(inspect.stdout)["OCIv1"]["rootfs"]["diff_ids"]
    assert len(layers) == 2  # the pinned base's layer and the COPY
    wrong = build("sha256:" + "0" * 64)
    assert wrong.returncode != 0 and "manifest unknown" in wrong.stderr.lower(), wrong.stderr


# ------------------------------------------------------------------- token (Bearer) auth


class TokenServer:
    """A registry token service: anonymous pull tokens, push tokens for the test user."""

    def __init__(self, workdir: Path, registry: Registry) -> None:
        self.key, self.cert = workdir / "token.key", workdir / "token.crt"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(self.key), "-out", str(self.cert), "-subj", "/CN=hepci-token"],
            check=True, capture_output=True,
        )  # fmt: skip
        der = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
        self.x5c = base64.b64encode(der).decode()
        self.basic = (
            "Basic " + base64.b64encode(f"{registry.user}:{registry.password}".encode()).decode()
        )
        self.seen: list[tuple[bool, str, str]] = []  # (with credentials, service, scope)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name
                server.answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/token"

    def jwt(self, scope: str, actions: list[str]) -> str:
        def part(value: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        _, name, _ = [*scope.split(":"), "", "", ""][:3]
        now = int(time.time())
        claims = {"iss": "hepci-test-issuer", "sub": "", "aud": "hepci-registry",
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now),
                  "access": [{"type": "repository", "name": name, "actions": actions}]}  # fmt: skip
        signing = part({"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}) + "." + part(claims)
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing.encode(), check=True, capture_output=True,
        ).stdout  # fmt: skip
        return signing + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.path).query)
        scope = (query.get("scope") or [""])[0]
        with_creds = request.headers.get("Authorization") == self.basic
        self.seen.append((with_creds, (query.get("service") or [""])[0], scope))
        wanted = scope.rsplit(":", 1)[-1].split(",") if scope else []
        actions = [a for a in wanted if a == "pull" or with_creds]
        body = json.dumps({"token": self.jwt(scope, actions)}).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[tuple[Registry, TokenServer]]:
    """The registry restarted with token auth (its TLS certificate and port kept)."""
    with running_registry(
        tmp_path / "registry", ("skopeo",),
        "the registry's CA goes to /etc/containers/certs.d (root only)",
    ) as reg:  # fmt: skip
        tokens = TokenServer(tmp_path, reg)
        assert reg.process is not None
        reg.process.terminate()
        reg.process.wait(timeout=10)
        config = json.loads((reg.workdir / "config.yml").read_text())
        config["auth"] = {"token": {"realm": tokens.realm, "service": "hepci-registry",
                                    "issuer": "hepci-test-issuer",
                                    "rootcertbundle": str(tokens.cert)}}  # fmt: skip
        (reg.workdir / "config.yml").write_text(json.dumps(config))
        log = (reg.workdir / "registry-token.log").open("wb")
        reg.process = subprocess.Popen(
            ["docker-registry", "serve", str(reg.workdir / "config.yml")],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if reg.unauthenticated_status() == 401:
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        try:
            yield reg, tokens
        finally:
            tokens.stop()


def test_bearer_token_flow_anonymous_pull(
    token_registry: tuple[Registry, TokenServer], tmp_path: Path, no_stored_auth: Path
) -> None:
    registry, tokens = token_registry
    digest = push(registry, tmp_path, "library/python:3.12-slim", "hub")
    assert any(creds and "push" in scope for creds, _, scope in tokens.seen)  # skopeo's push
    tokens.seen.clear()
    client = RegistryClient()
    assert client.digest(f"{registry.host}/library/python:3.12-slim") == digest
    assert tokens.seen == [(False, "hepci-registry", "repository:library/python:pull")]
    assert client.digest(f"{registry.host}/library/python:3.12-slim") == digest  # memoized
    assert client.requests == 3  # challenge, token, authorized HEAD
