"""Resolve an image tag to its digest through the OCI distribution API (registry HTTP API v2).

``HEAD /v2/<repository>/manifests/<tag>`` with the ``Accept`` types of an OCI image index,
a Docker manifest list and the single-image manifests; the answer's ``Docker-Content-Digest``
is the digest ``docker pull``, Buildah and GitLab runners resolve the tag to (the index for a
multi-platform image). A registry that omits the header gets a ``GET`` and the digest is
computed from the bytes. Authentication follows the registry's ``WWW-Authenticate`` challenge:
``Bearer`` (Docker Hub, GitLab, Harbor: a pull token from the realm, anonymous or with
credentials) or ``Basic``. Credentials come from the auth files container tools write
(``$REGISTRY_AUTH_FILE``, ``containers/auth.json``, ``~/.docker/config.json``); they and the
tokens never appear in messages. A registry's own CA is taken from
``/etc/containers/certs.d/<host>/ca.crt`` (or ``/etc/docker/certs.d``), as Podman and Docker do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hepci.errors import HepciError

if TYPE_CHECKING:
    import requests

DOCKER_HUB = "registry-1.docker.io"
_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
CERT_DIRS = (Path("/etc/containers/certs.d"), Path("/etc/docker/certs.d"))
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(HepciError):
    """A tag could not be resolved (unknown tag, refused credentials, unreachable registry)."""


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]repository[:tag][@digest]`` as written, with where to ask about it."""

    registry: str  # as written; "" when the reference names no registry (Docker Hub)
    repository: str
    tag: str | None
    digest: str | None

    @property
    def host(self) -> str:
        return DOCKER_HUB if not self.registry or self.registry in _HUB_NAMES else self.registry

    @property
    def api_repository(self) -> str:
        """``library/python`` for Docker Hub's official ``python``."""
        if self.host == DOCKER_HUB and "/" not in self.repository:
            return f"library/{self.repository}"
        return self.repository

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def text(self, digest: str | None = None) -> str:
        """The reference as written, with ``digest`` in place of the old one (if given)."""
        out = self.name + (f":{self.tag}" if self.tag else "")
        digest = digest or self.digest
        return out + (f"@{digest}" if digest else "")


def parse_image(text: str) -> ImageRef | None:
    """Split an image reference; ``None`` when it is not one (empty, variables, spaces)."""
    text = text.strip()
    if not text or any(c in text for c in " $\t{}[]") or text.startswith(("/", ".")):
        return None
    name, _, digest = text.partition("@")
    first, _, rest = name.partition("/")
    registry = ""
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    tag = None
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    if not name or (digest and not _DIGEST.match(digest)):
        return None
    return ImageRef(registry, name, tag or None, digest or None)


def _auth_files() -> list[Path]:
    env = os.environ
    home = Path.home()
    files = [Path(env["REGISTRY_AUTH_FILE"])] if env.get("REGISTRY_AUTH_FILE") else []
    if env.get("XDG_RUNTIME_DIR"):
        files.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    files.append(home / ".config" / "containers" / "auth.json")
    files.append(Path(env.get("DOCKER_CONFIG") or home / ".docker") / "config.json")
    return files


def stored_credentials(host: str) -> tuple[str, str] | None:
    """(user, password) for ``host`` from the first auth file that has it."""
    keys = [host, f"https://{host}", f"https://{host}/v1/"]
    if host == DOCKER_HUB:
        keys += ["docker.io", "https://index.docker.io/v1/", "index.docker.io"]
    for path in _auth_files():
        try:
            auths = json.loads(path.read_text(encoding="utf-8")).get("auths") or {}
        except (OSError, ValueError, AttributeError):
            continue
        for key in keys:
            entry = auths.get(key) if isinstance(auths, dict) else None
            encoded = entry.get("auth") if isinstance(entry, dict) else None
            if isinstance(encoded, str):
                try:
                    user, _, password = base64.b64decode(encoded).decode().partition(":")
                except (ValueError, UnicodeDecodeError):
                    continue
                return user, password
    return None


def _ca_bundle(host: str) -> str | bool:
    for folder in CERT_DIRS:
        candidate = folder / host / "ca.crt"
        if candidate.is_file():
            return str(candidate)
    return True


class RegistryClient:
    """Tag → digest lookups, memoized for one run (``digest(image)``)."""

    def __init__(self, timeout: float = 15.0, session: requests.Session | None = None) -> None:
        import requests

        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "hepci (registry digest lookup)"
        self._known: dict[tuple[str, str, str], str] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._down: dict[str, str] = {}  # host → why: one unreachable registry costs one timeout
        self.requests = 0

    def digest(self, image: str | ImageRef) -> str:
        """The digest ``image``'s tag points to now; :class:`RegistryError` otherwise."""
        ref = parse_image(image) if isinstance(image, str) else image
        if ref is None or ref.tag is None:
            raise RegistryError(f"`{image}` is not an image reference with a tag")
        key = (ref.host, ref.api_repository, ref.tag)
        if key not in self._known:
            self._known[key] = self._lookup(ref)
        return self._known[key]

    def _lookup(self, ref: ImageRef) -> str:
        import requests

        shown = ref.text()
        if ref.host in self._down:
            raise RegistryError(f"{shown}: {ref.host} unreachable ({self._down[ref.host]})")
        url = f"https://{ref.host}/v2/{ref.api_repository}/manifests/{ref.tag}"
        try:
            response = self._request("HEAD", url, ref)
            if response.status_code == 405 or (
                response.ok and "Docker-Content-Digest" not in response.headers
            ):
                response = self._request("GET", url, ref)
        except requests.RequestException as exc:
            self._down[ref.host] = type(exc).__name__
            raise RegistryError(f"{shown}: {ref.host} unreachable ({type(exc).__name__})") from None
        if response.status_code == 404:
            raise RegistryError(f"{shown}: no such tag in {ref.host}")
        if response.status_code in (401, 403):
            raise RegistryError(f"{shown}: {ref.host} refused the pull (credentials?)")
        if not response.ok:
            raise RegistryError(f"{shown}: {ref.host} answered HTTP {response.status_code}")
        return _digest_of(response, shown)

    def _request(self, method: str, url: str, ref: ImageRef) -> requests.Response:
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        scope = (ref.host, ref.api_repository)
        if scope in self._tokens:
            headers["Authorization"] = self._tokens[scope]
        verify = _ca_bundle(ref.host)
        self.requests += 1
        response = self.session.request(
            method, url, headers=headers, timeout=self.timeout, verify=verify
        )
        if response.status_code != 401 or "Authorization" in headers:
            return response
        authorization = self._authorize(response.headers.get("WWW-Authenticate", ""), ref)
        if authorization is None:
            return response
        self._tokens[scope] = headers["Authorization"] = authorization
        self.requests += 1
        return self.session.request(
            method, url, headers=headers, timeout=self.timeout, verify=verify
        )

    def _authorize(self, challenge: str, ref: ImageRef) -> str | None:
        """The ``Authorization`` header answering a 401 challenge, ``None`` if we have none."""
        scheme, _, params_text = challenge.partition(" ")
        params = dict(_CHALLENGE.findall(params_text))
        credentials = stored_credentials(ref.host)
        if scheme.lower() == "basic":
            if credentials is None:
                return None
            return "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        if scheme.lower() != "bearer" or "realm" not in params:
            return None
        query = {"scope": params.get("scope") or f"repository:{ref.api_repository}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        self.requests += 1
        answer = self.session.get(
            params["realm"], params=query, auth=credentials, timeout=self.timeout,
            verify=_ca_bundle(urlsplit(params["realm"]).netloc),
        )  # fmt: skip
        if not answer.ok:
            return None
        try:
            body: Any = answer.json()
        except ValueError:
            return None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        return f"Bearer {token}" if isinstance(token, str) and token else None


def _digest_of(response: requests.Response, shown: str) -> str:
    header = response.headers.get("Docker-Content-Digest", "").strip()
    if response.request.method == "GET":
        computed = "sha256:" + hashlib.sha256(response.content).hexdigest()
        if header and header != computed:
            raise RegistryError(f"{shown}: the manifest does not match its digest {header}")
        header = header or computed
    if not _DIGEST.match(header):
        raise RegistryError(f"{shown}: the registry gave no sha256 digest")
    return header
