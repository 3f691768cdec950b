"""python-gitlab clients with hepci's defaults, one per worker thread, and error mapping.

Every request has one deadline (``--timeout``, default 30 s) that covers all its attempts and
the back-off between them; hepci retries (not python-gitlab) 5xx, 429, dropped connections and
timeouts, at most ``max_retries`` times and only while time is left, so a hanging server costs
one deadline, and the message says how long and how many attempts. A pause GitLab asks for
(429 ``Retry-After``) is waited for in the shared budget (bounded by ``max_wait``) and does not
count as "no answer". When the very first answer never comes, the pool's later requests fail
at once instead of waiting again. Transport rules (one origin, size cap): see
:mod:`hepci.gitlab.transport`. GraphQL is POSTed through the same client (same session,
retries and budget): ``gitlab.GraphQL`` does not retry connection errors and hides partial
results behind an exception.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import gitlab
import requests

from hepci.errors import RemoteError
from hepci.gitlab import trace
from hepci.gitlab.budget import RateBudget
from hepci.gitlab.settings import RemoteSettings
from hepci.gitlab.transport import (
    Deadline,
    DeadlineExceeded,
    Health,
    TransportError,
    deadline_scope,
    make_session,
)

REASONS = {
    401: "authentication failed: the token is missing, invalid or expired",
    403: "access forbidden",
    404: "not found, or no access",
    429: "rate limited",
}
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504, *range(520, 531)})
BACKOFF_FIRST = 0.25  # seconds before the first retry, doubling each time
BACKOFF_MAX = 8.0
NO_ANSWER = (requests.exceptions.Timeout, DeadlineExceeded)
TRANSIENT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.Timeout,
    DeadlineExceeded,
)


def _transient_status(exc: gitlab.exceptions.GitlabHttpError) -> bool:
    status = exc.response_code
    if status == 409:  # "Resource lock" is retried, other conflicts are answers
        return "Resource lock" in str(exc.error_message)
    return status in TRANSIENT_STATUSES


class HepciGitlab(gitlab.Gitlab):
    """``gitlab.Gitlab`` whose every request has one deadline for all its attempts."""

    max_retries = 6
    deadline_seconds = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.health = Health()  # make_rest gives it the pool's, shared by every thread

    def http_request(self, verb: str, path: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        for name in ("max_retries", "retry_transient_errors", "obey_rate_limit"):
            kwargs.pop(name, None)
        started = time.monotonic()
        deadline = Deadline(started + self.deadline_seconds)
        attempts = 0
        while True:
            if self.health.unreachable is not None:
                raise DeadlineExceeded(self.health.unreachable)
            attempts += 1
            try:
                with deadline_scope(deadline):
                    return super().http_request(
                        verb, path, max_retries=0, retry_transient_errors=False, **kwargs
                    )
            except gitlab.exceptions.GitlabHttpError as exc:
                if not _transient_status(exc):
                    raise
                last: Exception = exc
            except TransportError as exc:
                if not isinstance(exc, DeadlineExceeded):
                    raise
                last = exc
            except TRANSIENT_ERRORS as exc:
                last = exc
            wait = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
            if attempts > self.max_retries or deadline.remaining() <= wait:
                raise self._give_up(last, attempts, time.monotonic() - started) from None
            time.sleep(wait)

    def _give_up(self, last: Exception, attempts: int, elapsed: float) -> Exception:
        """``last`` with how it ended, for :func:`remote_error` (and the breaker)."""
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if isinstance(last, NO_ANSWER):
            waited = self.deadline_seconds if elapsed >= 0.95 * self.deadline_seconds else elapsed
            message = f"no answer within {waited:.3g} s after {tries}"
            if not self.health.answered:
                self.health.unreachable = f"{message} (an earlier request; not asked again)"
            return DeadlineExceeded(message)
        last.hepci_attempts = attempts  # type: ignore[attr-defined]
        if isinstance(last, requests.exceptions.RequestException) and not self.health.answered:
            self.health.unreachable = (
                f"connection failed after {tries} ({type(last).__name__}; an earlier request; "
                "not asked again)"
            )
        return last


def make_rest(settings: RemoteSettings, budget: RateBudget, health: Health) -> gitlab.Gitlab:
    """A ``gitlab.Gitlab`` with the deadline, retries, guarded session and right auth header."""
    session = make_session(
        settings.url, budget, health, max_bytes=settings.max_response_bytes,
        attempt_timeout=settings.attempt_timeout or settings.timeout,
    )  # fmt: skip
    token = settings.token.reveal() or None
    trace.attach(session, token or "")  # --trace FILE: record this session's exchanges
    auth: dict[str, str | None] = {
        "private_token": token if settings.token_kind == "private" else None,
        "oauth_token": token if settings.token_kind == "oauth" else None,
        "job_token": token if settings.token_kind == "job" else None,
    }
    client = HepciGitlab(
        settings.url,
        timeout=settings.timeout,
        per_page=100,
        user_agent=settings.user_agent,
        ssl_verify=settings.ssl_verify,
        session=session,
        keep_base_url=True,
        **auth,
    )
    client.max_retries = settings.max_retries
    client.deadline_seconds = settings.timeout
    client.health = health
    return client


class ClientPool:
    """One ``gitlab.Gitlab`` per thread, all sharing one :class:`RateBudget` and one health."""

    def __init__(self, settings: RemoteSettings, budget: RateBudget | None = None) -> None:
        self.settings = settings
        self.budget = budget or RateBudget(
            settings.rate, settings.burst, max_wait=settings.max_wait,
            in_flight=settings.concurrency,
        )  # fmt: skip
        self.health = Health()
        self._local = threading.local()
        self._all: list[gitlab.Gitlab] = []
        self._lock = threading.Lock()
        self._user: dict[str, Any] | None = None
        self._user_read = False

    def rest(self) -> gitlab.Gitlab:
        client: gitlab.Gitlab | None = getattr(self._local, "client", None)
        if client is None:
            client = make_rest(self.settings, self.budget, self.health)
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def current_user(self) -> dict[str, Any] | None:
        """``GET /user``, once per pool: who the token is; ``None`` when GitLab does not say
        (a CI job token, an error)."""
        with self._lock:
            if self._user_read:
                return self._user
        try:
            found = self.rest().http_get("/user")
        except Exception:
            found = None
        with self._lock:
            self._user = found if isinstance(found, dict) else None
            self._user_read = True
            return self._user

    @property
    def graphql_available(self) -> bool:
        """CI job tokens cannot use the GraphQL API."""
        return self.settings.token_kind != "job"

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """POST a GraphQL query; return the whole body (``data`` and maybe ``errors``)."""
        url = f"{self.settings.url}/api/graphql"
        body = {"query": query, "variables": dict(variables or {})}
        result = self.rest().http_post(url, post_data=body)
        if not isinstance(result, dict):
            raise RemoteError("GraphQL answered something that is not JSON", status=None)
        return result

    def close(self) -> None:
        with self._lock:
            for client in self._all:
                client.session.close()
            self._all.clear()


def scrub(text: str, settings: RemoteSettings) -> str:
    """``text`` with the token replaced by ``***`` (defence in depth)."""
    token = settings.token.reveal()
    return text.replace(token, "***") if token else text


def remote_error(exc: Exception, target: str | None, settings: RemoteSettings) -> RemoteError:
    """A one-line :class:`RemoteError` for a python-gitlab/requests failure on ``target``."""
    if isinstance(exc, RemoteError):
        return exc
    status: int | None = getattr(exc, "response_code", None)
    attempts: int | None = getattr(exc, "hepci_attempts", None)
    after = f" after {attempts} attempts" if attempts and attempts > 1 else ""
    if isinstance(exc, gitlab.exceptions.GitlabError):
        detail = str(exc.error_message or "").strip().splitlines()
        reason = REASONS.get(status or 0) or (detail[0][:200] if detail else "request failed")
        message = f"GitLab: {reason}" + (f" (HTTP {status}{after})" if status else after)
    elif isinstance(exc, TransportError):
        message = f"GitLab: {exc.message}"
    elif isinstance(exc, requests.exceptions.Timeout):
        message = f"GitLab: no answer within {settings.timeout:g} s{after}"
    elif isinstance(exc, requests.exceptions.RequestException):
        message = f"GitLab: connection failed{after or ' (after retries)'}: {type(exc).__name__}"
    else:
        message = f"GitLab: {type(exc).__name__}: {exc}"
    return RemoteError(scrub(message, settings), target=target, status=status)
