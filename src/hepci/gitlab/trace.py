"""Record (``--trace FILE``) and replay hepci's HTTP exchanges with GitLab, without tokens.

A trace is JSON lines, one per HTTP exchange, in the order the answers arrived::

    {"trace": "hepci", "version": 1, "hepci": "0.x"}                       # the first line
    {"seq": 1, "request": {"method": "GET", "url": "...", "headers": {...}, "body": null},
     "response": {"status": 200, "headers": {...}, "body": "...", "encoding": "text"}}

Recording hooks every session :func:`~hepci.gitlab.client.make_rest` creates (requests'
``response`` hook, so every attempt and redirect is written). Before anything is written, the
token is removed everywhere it can appear: credential headers (``PRIVATE-TOKEN``,
``JOB-TOKEN``, ``Authorization``, cookies) are replaced by ``[REDACTED]``, so are token query
parameters, the token's literal value, anything shaped like a GitLab token (``glpat-…``,
``gloas-…``, ``glcbt-…`` …) in URLs and bodies, and the values of JSON fields that hold a
secret without a prefix (``runners_token`` of a project or group read by an Owner). File contents that hepci read stay in the trace:
review it before sending it anywhere.

:class:`ReplayAdapter` serves a trace back to the real client code (tests, and anyone
reproducing a report): requests are matched by method, path and query (tokens ignored), and for
POSTs by body when the trace recorded one; answers for the same request are served in order.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

REDACTED = "[REDACTED]"
CREDENTIAL_HEADERS = frozenset(
    {"private-token", "job-token", "authorization", "cookie", "set-cookie", "x-gitlab-token"}
)
TOKEN_PARAMS = frozenset({"private_token", "access_token", "job_token", "token"})
# GitLab's token prefixes (docs.gitlab.com/security/tokens/: personal, OAuth, deploy, runner,
# CI/CD job, pipeline trigger, feed, incoming mail, agent, SCIM, feature flags client …)
TOKEN_PREFIXES = (
    "glpat", "gloas", "gldt", "glrt", "glrtr", "glcbt", "glptt", "glft", "glimt", "glagent",
    "glsoat", "glffct", "gltst", "glwt", "glsa",
)  # fmt: skip
TOKEN_SHAPE = re.compile(rf"\b(?:{'|'.join(TOKEN_PREFIXES)})-[A-Za-z0-9_\-]{{8,}}")
# JSON fields GitLab fills with a secret that has no prefix: ``runners_token`` (GET
# /projects/:id and /groups/:id, for Owners and administrators), webhook and deploy tokens
SECRET_FIELDS = ("runners_token", "runners_registration_token", "token", "secret_token", "password")
_FIELDS = "|".join(SECRET_FIELDS)
SECRET_FIELD = re.compile(rf'("(?:{_FIELDS})"\s*:\s*)"(?:[^"\\]|\\.)*"')
KEPT_HEADERS = frozenset(
    {
        "content-type", "link", "location", "retry-after", "ratelimit-limit",
        "ratelimit-remaining", "ratelimit-reset", "ratelimit-resettime", "x-page", "x-per-page",
        "x-next-page", "x-prev-page", "x-total", "x-total-pages", "x-gitlab-blob-id",
        "x-gitlab-commit-id", "x-gitlab-last-commit-id", "x-gitlab-size", "x-gitlab-ref",
        "x-gitlab-file-path", "x-gitlab-file-name", "x-gitlab-content-sha256",
        "x-gitlab-encoding", "x-gitlab-execute-filemode", "user-agent", "accept",
    }
)  # fmt: skip
FORMAT = {"trace": "hepci", "version": 1}


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the ``secrets`` and without anything shaped like a GitLab token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = SECRET_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    return TOKEN_SHAPE.sub(REDACTED, text)


def scrub_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    parts = urlsplit(url)
    query = [
        (k, REDACTED if k.lower() in TOKEN_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host
    return scrub(urlunsplit(parts._replace(netloc=netloc, query=urlencode(query))), secrets)


def _headers(headers: Mapping[str, str], secrets: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low in CREDENTIAL_HEADERS:
            out[name] = REDACTED
        elif low in KEPT_HEADERS:
            out[name] = scrub(str(value), secrets)
    return out


def _body(data: bytes | str | None, secrets: tuple[str, ...]) -> tuple[str | None, str]:
    """(text, encoding): UTF-8 text scrubbed, or base64 for binary content."""
    if data is None or data in (b"", ""):
        return None, "text"
    raw = data.encode() if isinstance(data, str) else data
    try:
        return scrub(raw.decode("utf-8"), secrets), "text"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), "base64"


class Recorder:
    """Writes one JSON line per exchange to ``path`` (mode 0600), thread safe."""

    def __init__(self, path: Path, version: str = "") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq = 0
        self.secrets: set[str] = set()
        from hepci.core.safefs import open_private

        # a trace holds what private projects' files say: 0600, and never through a link
        self._file = os.fdopen(open_private(path, truncate=True), "w", encoding="utf-8")
        self._write({**FORMAT, "hepci": version})

    def _write(self, obj: Mapping[str, Any]) -> None:
        self._file.write(json.dumps(obj, sort_keys=True) + "\n")
        self._file.flush()

    def record(self, response: requests.Response) -> None:
        request = response.request
        secrets = tuple(sorted(self.secrets))
        body, body_encoding = _body(request.body, secrets)
        content, encoding = _body(response.content, secrets)
        with self._lock:
            self._seq += 1
            self._write(
                {
                    "seq": self._seq,
                    "request": {
                        "method": request.method,
                        "url": scrub_url(request.url or "", secrets),
                        "headers": _headers(request.headers, secrets),
                        "body": body,
                        "body_encoding": body_encoding,
                    },
                    "response": {
                        "status": response.status_code,
                        "headers": _headers(response.headers, secrets),
                        "body": content,
                        "encoding": encoding,
                    },
                }
            )

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.record(response)
        return response

    def close(self) -> None:
        with self._lock:
            self._file.close()


_active: list[Recorder] = []  # the recording in progress (at most one)
_active_lock = threading.Lock()


@contextlib.contextmanager
def recording(path: str | Path | None) -> Iterator[Recorder | None]:
    """Record every GitLab exchange of the block to ``path`` (nothing when ``path`` is None)."""
    if path is None:
        yield None
        return
    from hepci import __version__

    recorder = Recorder(Path(path), __version__)
    with _active_lock:
        _active[:] = [recorder]
    try:
        yield recorder
    finally:
        with _active_lock:
            _active.clear()
        recorder.close()


def attach(session: requests.Session, secret: str = "") -> None:
    """Hook ``session`` into the active recording, if any (``client.make_rest`` calls this)."""
    with _active_lock:
        recorder = _active[0] if _active else None
    if recorder is None:
        return
    if secret:
        recorder.secrets.add(secret)
    session.hooks["response"].append(recorder.hook)


# -- replay ---------------------------------------------------------------------------------
def _key(method: str, url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TOKEN_PARAMS
    )
    return method.upper(), f"{parts.path}?{urlencode(query)}"


def _digest(body: Any) -> str:
    if body in (None, "", b""):
        return ""
    text = body.decode() if isinstance(body, bytes) else str(body)
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load(path: str | Path) -> list[dict[str, Any]]:
    """The exchanges of a trace file (the header line is checked and dropped)."""
    lines = [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    if not lines or lines[0].get("trace") != "hepci":
        raise ValueError(f"{path}: not a hepci trace")
    return lines[1:]


class ReplayAdapter(HTTPAdapter):
    """An adapter that answers from a trace instead of the network (mount it, or mix it under
    hepci's own adapter: ``class X(GuardedAdapter, ReplayAdapter)``)."""

    entries: ClassVar[list[dict[str, Any]]] = []  # a subclass may set the trace here

    def __init__(
        self, *args: Any, entries: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._by_body: dict[tuple[str, str, str], deque[dict[str, Any]]] = defaultdict(deque)
        self._by_url: dict[tuple[str, str], deque[dict[str, Any]]] = defaultdict(deque)
        self.unmatched: list[str] = []
        for entry in entries if entries is not None else self.entries:
            request = entry["request"]
            key = _key(request["method"], request["url"])
            self._by_url[key].append(entry)
            if request.get("body") is not None:
                self._by_body[(key[0], key[1], _digest(request["body"]))].append(entry)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        key = _key(request.method or "GET", request.url or "")
        with self._lock:
            found = None
            exact = self._by_body.get((key[0], key[1], _digest(request.body)))
            while exact and found is None:
                candidate = exact.popleft()
                if candidate in self._by_url[key]:
                    self._by_url[key].remove(candidate)
                    found = candidate
            if found is None and self._by_url.get(key):
                found = self._by_url[key].popleft()
        if found is None:
            self.unmatched.append(f"{key[0]} {key[1]}")
            raise requests.exceptions.ConnectionError(f"not in the trace: {key[0]} {key[1]}")
        return self._response(request, found["response"])

    @staticmethod
    def _response(
        request: requests.PreparedRequest, recorded: Mapping[str, Any]
    ) -> requests.Response:
        body = recorded.get("body")
        raw = (
            b""
            if body is None
            else (
                base64.b64decode(body)
                if recorded.get("encoding") == "base64"
                else str(body).encode()
            )
        )
        response = requests.Response()
        response.status_code = int(recorded["status"])
        response.headers = CaseInsensitiveDict(recorded.get("headers") or {})
        response.headers["Content-Length"] = str(len(raw))
        response.raw = io.BytesIO(raw)
        response.url = request.url or ""
        response.request = request
        response.reason = "OK" if response.status_code < 400 else "Error"
        response.encoding = "utf-8"
        return response
