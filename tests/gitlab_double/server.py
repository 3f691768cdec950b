"""The threaded HTTP server on 127.0.0.1 and :class:`GitLabDouble`, its start/stop handle."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gitlab_double import ci_jobs, graphql_api, rest_mr, rest_projects, rest_repo
from gitlab_double.api import ApiError, Request, Response, Route, Router, authenticate
from gitlab_double.faults import DROP, HUGE, OK, REDIRECT, SLOW, Faults, RequestRecord, Stats
from gitlab_double.model import State

API_PREFIX = "/api/v4"
GRAPHQL_PATH = "/api/graphql"
GRAPHQL_ROUTE = Route("POST", GRAPHQL_PATH, None, graphql_api.handle, False, False)  # type: ignore[arg-type]
ROUTER = Router()
for _module in (rest_projects, rest_repo, rest_mr, ci_jobs):
    ROUTER.routes += _module.router.routes

FAULT_BODIES = {
    500: ("application/json", b'{"message":"500 Internal Server Error"}'),
    502: ("text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    503: ("text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    504: ("text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>"),
}


ENDPOINT_LIMITED = (
    b'{"message":"This endpoint has been requested too many times. Try again later."}'
)
HUGE_CHUNK = 1 << 20


def huge_response(size: int, *, chunked: bool) -> Response:
    """A JSON-looking body of ``size`` bytes, made while it is sent (never held in memory)."""
    head, tail = b'{"data":{"pad":"', b'"}}'
    filler = b"a" * HUGE_CHUNK

    def chunks() -> Iterator[bytes]:
        yield head
        left = max(size - len(head) - len(tail), 0)
        while left > 0:
            piece = filler if left >= HUGE_CHUNK else filler[:left]
            left -= len(piece)
            yield piece
        yield tail

    length = None if chunked else max(size, len(head) + len(tail))
    return Response(200, b"", {"Content-Type": "application/json"}, chunks, length)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: GitLabDouble

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()  # BlockingIOError: another worker took it
        conn.setblocking(True)
        return conn, address


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def version_string(self) -> str:
        return "nginx"

    def setup(self) -> None:
        super().setup()
        # one segment per response and no Nagle delay: keep-alive clients otherwise stall ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        kind = self.headers.get("Content-Type", "")
        if "json" in kind:
            try:
                data = json.loads(raw)
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        return {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}

    def _serve(self, method: str) -> None:
        double = self.server.double
        started = time.monotonic()
        url = urlsplit(self.path)
        body = self._body()
        request = Request(
            method=method,
            path=url.path[len(API_PREFIX) :] if url.path.startswith(API_PREFIX) else url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
            base_url=f"http://{self.headers.get('Host') or double.host_port}",
            state=double.state,
            faults=double.faults,
        )
        route, args = self._route(method, url.path)
        name = route.name if route else f"{method} (unmatched)"
        key = request.headers.get("private-token") or request.headers.get("authorization") or ""
        decision = double.faults.decide(name, key or self.client_address[0], time.time(), url.path)
        if decision.delay > 0:
            double.stopping.wait(decision.delay)
        outcome = decision.outcome
        if outcome == DROP:
            double.stats.record(
                RequestRecord(method, name, url.path, 0, DROP, started, time.monotonic() - started)
            )
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if outcome == SLOW:
            double.stopping.wait(double.faults.slow_seconds)
        if outcome == "429":
            response = Response(429, b"Retry later\n", {"Content-Type": "text/plain"})
        elif outcome == "429-endpoint":
            response = Response(429, ENDPOINT_LIMITED, {"Content-Type": "application/json"})
        elif outcome == REDIRECT:
            target = str(double.faults.redirect_to).rstrip("/") + self.path
            response = Response(double.faults.redirect_status, b"", {"Location": target})
        elif outcome == HUGE:
            response = huge_response(double.faults.huge_body, chunked=double.faults.huge_chunked)
        elif outcome not in (OK, SLOW):
            kind, text = FAULT_BODIES.get(int(outcome), ("text/plain", outcome.encode()))
            response = Response(int(outcome), text, {"Content-Type": kind})
        else:
            response = self._dispatch(request, route, args)
        response.headers.update(decision.headers)
        # recorded before writing, so a client that got its answer always finds it in the log
        double.stats.record(
            RequestRecord(
                method,
                name,
                url.path,
                response.status,
                outcome,
                started,
                time.monotonic() - started,
            )
        )
        self._write(method, response)

    def _route(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        if path == GRAPHQL_PATH and method == "POST":
            return GRAPHQL_ROUTE, {}
        if not path.startswith(API_PREFIX + "/"):
            return None, {}
        found = ROUTER.match(method, path[len(API_PREFIX) :])
        if found is None and method == "HEAD":
            found = ROUTER.match("GET", path[len(API_PREFIX) :])
        return found if found else (None, {})

    def _dispatch(self, request: Request, route: Route | None, args: dict[str, str]) -> Response:
        request.args = args
        try:
            if route is GRAPHQL_ROUTE:
                try:
                    authenticate(request, route)
                except ApiError as exc:
                    if exc.status == 401:
                        return Response(
                            401, b'{"errors":[{"message":"Invalid token"}]}',
                            {"Content-Type": "application/json"},
                        )  # fmt: skip
                    raise
            else:
                authenticate(request, route)
            if route is None:
                raise ApiError(404, {"error": "404 Not Found"})
            with request.state.lock:
                return route.handler(request)
        except ApiError as exc:
            return Response(
                exc.status, json.dumps(exc.payload).encode(), {"Content-Type": "application/json"}
            )

    def _write(self, method: str, response: Response) -> None:
        try:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if response.chunks is not None:
                self._write_stream(method, response)
                return
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()  # flushes headers
            if method != "HEAD" and response.body:
                self.wfile.write(response.body)
        except OSError:
            self.close_connection = True

    def _write_stream(self, method: str, response: Response) -> None:
        """A body generated while it is sent; stops as soon as the client goes away."""
        assert response.chunks is not None
        chunked = response.length is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(response.length))
        self.end_headers()
        if method == "HEAD":
            return
        stopping = self.server.double.stopping
        for chunk in response.chunks():
            if stopping.is_set():
                break
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class GitLabDouble:
    """A fake GitLab on ``http://127.0.0.1:<ephemeral port>``; use as a context manager."""

    def __init__(self, state: State | None = None, faults: Faults | None = None) -> None:
        self.state = state or State()
        self.faults = faults or Faults()
        self.stats = Stats()
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.worker_index = 0

    @property
    def host_port(self) -> str:
        if self._server is None:
            raise RuntimeError("the GitLab double is not running")
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"

    def start(self, port: int = 0, *, workers: int = 1) -> GitLabDouble:
        """Serve on ``port`` (0: any free one) from a thread of this process.

        ``workers > 1`` forks that many processes that share the listening socket, as GitLab
        runs several Puma workers: a real GitLab's CPU is not one Python process's. Each
        process serves its own copy of the state, so this is for read-only benchmarks (a write
        seen by one worker is not seen by the others); call it before any thread is started.
        ``worker_index`` tells each process which one it is (0: the one that called).
        """
        server = _Server(("127.0.0.1", port), _Handler)
        server.double = self
        self._server = server
        self.worker_index = 0
        if workers > 1:  # the processes race for each connection: the losers must not block
            server.socket.setblocking(False)
        for index in range(1, workers):
            if os.fork() == 0:
                self.worker_index = index
                break
        self.stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> GitLabDouble:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def running(state: State | None = None, faults: Faults | None = None) -> Iterator[GitLabDouble]:
    """Start a double on an ephemeral port for the ``with`` block."""
    double = GitLabDouble(state, faults)
    with double:
        yield double
