"""What every HTTP request to GitLab goes through, below python-gitlab: one origin, a size cap,
a deadline, the shared budget.

* **One origin.** Requests go only to the configured GitLab's scheme, host and port. A redirect
  (301/302/303/307/308) to the same origin is followed, as GitLab answers a moved project's old
  path (GET only; other methods get 405); one to another origin, or a pagination link that
  points elsewhere, is refused before anything is sent, so no credential (``PRIVATE-TOKEN``,
  ``JOB-TOKEN``, ``Authorization: Bearer``) ever leaves the instance. ``requests`` itself only
  strips ``Authorization`` on a host change and keeps custom headers.
* **A size cap.** Every body is streamed and counted (after decompression): an answer larger
  than ``max_response_bytes`` is abandoned at the cap (or at once, from ``Content-Length``).
* **A deadline.** :func:`deadline_scope` sets the time by which the current request, retries
  included, must be done; each attempt (connect, headers, body) gets only what is left.
* **The budget.** A token from :class:`~hepci.gitlab.budget.RateBudget` before each attempt and
  one of the ``--concurrency`` slots while it is on the wire (body included); every answer's
  status and rate headers are fed back.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from hepci.gitlab.budget import RateBudget

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}
CREDENTIAL_HEADERS = ("PRIVATE-TOKEN", "JOB-TOKEN", "Authorization")


class TransportError(requests.exceptions.RequestException):
    """A request hepci refused to complete; ``message`` is the one line for the user.

    Not a ``ConnectionError``/``Timeout``: neither python-gitlab nor hepci retries these.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CrossOriginError(TransportError):
    """A redirect or a link to another scheme, host or port: not followed."""


class ResponseTooLarge(TransportError):
    """An answer over ``max_response_bytes``: abandoned at the cap."""


class DeadlineExceeded(TransportError):
    """No time left for this request (its deadline, retries included, has passed)."""


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``, the port made explicit; hosts compared lower-case."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme, 0)


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


# -- the deadline of the request on this thread --------------------------------------------------
@dataclass
class Deadline:
    at: float  # time.monotonic() value

    def remaining(self) -> float:
        return self.at - time.monotonic()


_CURRENT = threading.local()


@contextlib.contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[None]:
    """Requests sent by this thread inside the block must be done by ``deadline``."""
    previous = getattr(_CURRENT, "deadline", None)
    _CURRENT.deadline = deadline
    try:
        yield
    finally:
        _CURRENT.deadline = previous


def current_deadline() -> Deadline | None:
    found: Deadline | None = getattr(_CURRENT, "deadline", None)
    return found


class Health:
    """Shared by a pool's clients: has the server answered anything, and if it never did, why
    the first request gave up (later requests then fail at once instead of waiting again)."""

    def __init__(self) -> None:
        self.answered = False
        self.unreachable: str | None = None


# -- the session and its adapter -----------------------------------------------------------------
class GuardedSession(requests.Session):
    """A session that never sends credentials to another origin, even on a redirect."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.allowed = origin(base_url)
        self.max_redirects = MAX_REDIRECTS

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: Any) -> None:
        target = prepared_request.url or ""
        if origin(target) != self.allowed:
            for name in CREDENTIAL_HEADERS:  # defence in depth: the adapter refuses it anyway
                prepared_request.headers.pop(name, None)
            raise CrossOriginError(_cross_origin_message(target, redirect=True))
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


def _cross_origin_message(url: str, *, redirect: bool) -> str:
    what = "redirected to" if redirect else "pointed to"
    return (
        f"GitLab {what} another origin ({origin_text(url)}): not followed, the token is never "
        "sent there; if that is the right server, use it as --gitlab-url"
    )


class GuardedAdapter(HTTPAdapter):
    """Origin check, budget token and slot, per-attempt timeout, capped streamed body."""

    def __init__(
        self,
        budget: RateBudget,
        *,
        base_url: str,
        max_bytes: int,
        attempt_timeout: float,
        health: Health,
        pool: int,
    ) -> None:
        super().__init__(pool_connections=pool, pool_maxsize=pool)
        self.budget = budget
        self.allowed = origin(base_url)
        self.max_bytes = max_bytes
        self.attempt_timeout = attempt_timeout
        self.health = health

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if origin(url) != self.allowed:
            raise CrossOriginError(_cross_origin_message(url, redirect=False))
        kind = "graphql" if url.split("?", 1)[0].endswith("/api/graphql") else "rest"
        deadline = current_deadline()
        waited = self.budget.acquire(kind)
        if deadline is not None:
            deadline.at += waited  # a pause GitLab asked for is not "no answer"
        kwargs["timeout"] = self._timeout(deadline)
        with self.budget.slot():
            response: requests.Response = super().send(request, stream=True, **kwargs)
            self.health.answered = True
            self.budget.observe(response.status_code, response.headers)
            try:
                read_capped(response, self.max_bytes, deadline)
            except BaseException:
                response.close()
                raise
        return response

    def _timeout(self, deadline: Deadline | None) -> tuple[float, float]:
        limit = self.attempt_timeout
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise DeadlineExceeded("no time left for this request")
            limit = min(limit, left)
        return limit, limit


def read_capped(response: requests.Response, max_bytes: int, deadline: Deadline | None) -> None:
    """Read ``response``'s whole body into it, refusing more than ``max_bytes`` (decoded) and
    anything past ``deadline``; the socket waits at most the time left for each read."""
    if response.request is not None and response.request.method == "HEAD":
        response._content = b""  # no body, whatever Content-Length announces
        response._content_consumed = True  # type: ignore[attr-defined]
        return
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(_too_large(max_bytes, int(declared)))
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ResponseTooLarge(_too_large(max_bytes, None))
        chunks.append(chunk)
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise DeadlineExceeded("the answer did not arrive in time")
            _socket_timeout(response, left)
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]


def _too_large(limit: int, declared: int | None) -> str:
    size = f" ({declared / 2**20:.0f} MiB announced)" if declared else ""
    return f"answer larger than {limit / 2**20:g} MiB{size}: abandoned (--max-response-mb)"


def _socket_timeout(response: requests.Response, seconds: float) -> None:
    """Let the next read of ``response``'s socket wait at most ``seconds``."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.001))


def make_session(
    base_url: str,
    budget: RateBudget,
    health: Health,
    *,
    max_bytes: int,
    attempt_timeout: float,
    pool: int = 4,
) -> GuardedSession:
    """A session for ``base_url`` whose every request goes through one :class:`GuardedAdapter`."""
    session = GuardedSession(base_url)
    adapter = GuardedAdapter(
        budget, base_url=base_url, max_bytes=max_bytes, attempt_timeout=attempt_timeout,
        health=health, pool=pool,
    )  # fmt: skip
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
