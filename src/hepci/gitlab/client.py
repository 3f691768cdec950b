"""python-gitlab clients with hepci's defaults, one per worker thread, and error mapping.

Every client has a timeout, ``retry_transient_errors=True`` (5xx, dropped connections,
timeouts), pg's 429 handling, and an HTTP adapter that takes a token from the shared
:class:`~hepci.gitlab.budget.RateBudget` before each request. GraphQL is POSTed through the
same REST client (same session, retries and budget): ``gitlab.GraphQL`` does not retry
connection errors and hides partial results behind an exception.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import gitlab
import requests
from requests.adapters import HTTPAdapter

from hepci.errors import RemoteError
from hepci.gitlab.budget import RateBudget
from hepci.gitlab.settings import RemoteSettings

REASONS = {
    401: "authentication failed: the token is missing, invalid or expired",
    403: "access forbidden",
    404: "not found, or no access",
    429: "rate limited",
}


class BudgetAdapter(HTTPAdapter):
    """Takes a budget token before sending; reports status and rate headers after."""

    def __init__(self, budget: RateBudget, pool: int) -> None:
        super().__init__(pool_connections=pool, pool_maxsize=pool)
        self.budget = budget

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kind = "graphql" if (request.url or "").endswith("/api/graphql") else "rest"
        self.budget.acquire(kind)
        with self.budget.slot():
            response = super().send(request, *args, **kwargs)
        self.budget.observe(response.status_code, response.headers)
        return response


class HepciGitlab(gitlab.Gitlab):
    """``gitlab.Gitlab`` whose every request retries at most ``max_retries`` times."""

    max_retries = 10

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("max_retries", self.max_retries)
        return super().http_request(*args, **kwargs)


def make_rest(settings: RemoteSettings, budget: RateBudget) -> gitlab.Gitlab:
    """A ``gitlab.Gitlab`` with timeout, retries, budget adapter and the right auth header."""
    session = requests.Session()
    adapter = BudgetAdapter(budget, pool=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    token = settings.token.reveal() or None
    auth: dict[str, str | None] = {
        "private_token": token if settings.token_kind == "private" else None,
        "oauth_token": token if settings.token_kind == "oauth" else None,
        "job_token": token if settings.token_kind == "job" else None,
    }
    client = HepciGitlab(
        settings.url,
        timeout=settings.timeout,
        retry_transient_errors=True,
        per_page=100,
        user_agent=settings.user_agent,
        ssl_verify=settings.ssl_verify,
        session=session,
        keep_base_url=True,
        **auth,  # type: ignore[arg-type]
    )
    client.max_retries = settings.max_retries
    return client


class ClientPool:
    """One ``gitlab.Gitlab`` per thread, all sharing one :class:`RateBudget`."""

    def __init__(self, settings: RemoteSettings, budget: RateBudget | None = None) -> None:
        self.settings = settings
        self.budget = budget or RateBudget(
            settings.rate, settings.burst, max_wait=settings.max_wait,
            in_flight=settings.concurrency,
        )  # fmt: skip
        self._local = threading.local()
        self._all: list[gitlab.Gitlab] = []
        self._lock = threading.Lock()

    def rest(self) -> gitlab.Gitlab:
        client: gitlab.Gitlab | None = getattr(self._local, "client", None)
        if client is None:
            client = make_rest(self.settings, self.budget)
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

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
    if isinstance(exc, gitlab.exceptions.GitlabError):
        detail = str(exc.error_message or "").strip().splitlines()
        reason = REASONS.get(status or 0) or (detail[0][:200] if detail else "request failed")
        message = f"GitLab: {reason}" + (f" (HTTP {status})" if status else "")
    elif isinstance(exc, requests.exceptions.Timeout):
        message = f"GitLab: no answer within {settings.timeout:g} s (after retries)"
    elif isinstance(exc, requests.exceptions.RequestException):
        message = f"GitLab: connection failed (after retries): {type(exc).__name__}"
    else:
        message = f"GitLab: {type(exc).__name__}: {exc}"
    return RemoteError(scrub(message, settings), target=target, status=status)
