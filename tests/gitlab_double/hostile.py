"""Small hostile servers on 127.0.0.1 for the transport tests, next to the double's own faults.

:class:`RecordingServer` answers everything and records what it was sent (to prove a token never
reaches it); :class:`HangingServer` accepts connections and never answers. Both are bounded:
threads are daemons, sockets close on exit, a hanging connection is held at most ``hold``
seconds.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

CREDENTIALS = ("private-token", "job-token", "authorization")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names

    @property
    def credentials(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k in CREDENTIALS}


@dataclass
class _Log:
    requests: list[Seen] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Recording(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    log: _Log
    redirects: dict[str, tuple[int, str]]

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with self.log.lock:
            self.log.connections += 1
        return conn, address


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Recording

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        with self.server.log.lock:
            self.server.log.requests.append(seen)
        prefix = next((p for p in self.server.redirects if self.path.startswith(p)), None)
        if prefix is not None:
            status, location = self.server.redirects[prefix]
            self.send_response(status)
            self.send_header("Location", location + self.path[len(prefix) :])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"id": 1, "seen": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_PUT = _answer


class RecordingServer:
    """Records every request; ``redirects`` maps a path prefix to (status, location prefix)."""

    def __init__(self, redirects: dict[str, tuple[int, str]] | None = None) -> None:
        self._server = _Recording(("127.0.0.1", 0), _RecordingHandler)
        self._server.log = _Log()
        self._server.redirects = dict(redirects or {})
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[Seen]:
        with self._server.log.lock:
            return list(self._server.log.requests)

    @property
    def connections(self) -> int:
        with self._server.log.lock:
            return self._server.log.connections

    def redirect(self, prefix: str, status: int, location: str) -> None:
        self._server.redirects[prefix] = (status, location)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class HangingServer:
    """Accepts every connection and never answers (each held for at most ``hold`` seconds).

    ``first_at`` is when the first connection came, ``given_up`` when each one was closed by
    the client (``time.monotonic()``): how long the client really waited."""

    def __init__(self, hold: float = 60.0) -> None:
        self.hold = hold
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self.connections = 0
        self.first_at: float | None = None  # time.monotonic() of the first connection
        self.given_up: list[float] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.first_at is None:
                self.first_at = time.monotonic()
            self._held.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        """Read (and ignore) what the client sends until it closes the connection."""
        conn.settimeout(self.hold)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            return
        self.given_up.append(time.monotonic())
        conn.close()

    def __enter__(self) -> HangingServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()
