"""Git over smart HTTP on 127.0.0.1: `git http-backend` behind a tiny HTTP server.

gitlab-ci-local fetches `include: component` and `include: project` files with
`git clone --depth=1 --filter=tree:0 --branch <ref>` from the host of the repository's
`origin` remote, as it would from GitLab. This server answers those clones from bare
repositories under a root folder (`<root>/<group>/<project>.git`), and records every request
so a test can show that a file really was fetched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

GIT_CORE = subprocess.run(
    ["git", "--exec-path"], capture_output=True, text=True, check=True
).stdout.strip()


@dataclass
class GitServer:
    root: Path
    port: int
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, project: str) -> str:
        return f"{self.base}/{project}.git"

    def publish(self, project: str, source: Path, tags: tuple[str, ...] = ()) -> Path:
        """A bare copy of the git repository ``source`` served as ``project``."""
        bare = self.root / f"{project}.git"
        if bare.exists():
            shutil.rmtree(bare)
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(source), str(bare)], check=True)
        for option in ("uploadpack.allowFilter", "uploadpack.allowAnySHA1InWant"):
            subprocess.run(["git", "-C", str(bare), "config", option, "true"], check=True)
        for tag in tags:
            assert tag in subprocess.run(
                ["git", "-C", str(bare), "tag", "--list", tag],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
        return bare

    def fetched(self, project: str) -> bool:
        """Whether a client ran `git-upload-pack` (a clone or fetch) on ``project``."""
        return any(r.startswith(f"POST /{project}.git/git-upload-pack") for r in self.requests)


def _handler(server: GitServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self._cgi()

        def do_POST(self) -> None:
            self._cgi()

        def _cgi(self) -> None:
            server.requests.append(f"{self.command} {self.path}")
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": os.environ.get("PATH", ""),
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": "127.0.0.1",
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            done = subprocess.run(
                [f"{GIT_CORE}/git-http-backend"], input=body, env=env,
                capture_output=True, timeout=120, check=False,
            )  # fmt: skip
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def git_http_server(root: Path) -> Iterator[GitServer]:
    """Serve the bare repositories under ``root`` on an ephemeral 127.0.0.1 port."""
    root.mkdir(parents=True, exist_ok=True)
    holder = GitServer(root=root, port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    holder.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
