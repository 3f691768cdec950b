"""A REANA server test double on 127.0.0.1: the REST endpoints reana-client 0.9 calls.

reana-client builds its requests from the OpenAPI spec shipped in reana-commons
(``reana_server.json``) and validates the JSON it gets back against it, so the responses
here follow that spec: ``GET /api/you`` (ping), ``POST /api/workflows`` (create),
``GET .../specification``, ``POST .../workspace`` (upload), ``POST .../start``,
``GET .../status``, ``GET .../workspace`` (ls), ``GET .../workspace/<file>`` (download),
``GET .../logs``, ``PUT .../status?status=stop`` (stop).

``outcome`` decides what a started workflow does: after ``running_polls`` status calls in
``running`` it becomes ``finished`` (outputs appear), ``failed``, or stays ``running``.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Workflow:
    id: str
    name: str
    spec: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    status: str = "created"
    polls: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReanaDouble:
    token: str
    outcome: str = "finished"
    running_polls: int = 1
    workflows: dict[str, Workflow] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> ReanaDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                double.handle(self, "GET")

            def do_POST(self) -> None:
                double.handle(self, "POST")

            def do_PUT(self) -> None:
                double.handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- helpers ----------------------------------------------------------------------

    def find(self, key: str) -> Workflow | None:
        if key in self.workflows:
            return self.workflows[key]
        runs = [w for w in self.workflows.values() if w.name == key or w.name.startswith(key + ".")]
        return runs[-1] if runs else None

    def _advance(self, wf: Workflow) -> None:
        if wf.status not in {"queued", "running"}:
            return
        wf.status = "running"
        wf.polls += 1
        if wf.polls > self.running_polls and self.outcome != "running":
            wf.status = self.outcome
            if self.outcome == "finished":
                for out in wf.spec.get("outputs", {}).get("files", []):
                    wf.files[out] = f"{wf.name}: {out} from {sorted(wf.files)}\n".encode()

    # --- request handling ---------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        self.calls.append((method, url.path))
        token = query.get("access_token") or req.headers.get("Authorization", "").removeprefix(
            "Bearer "
        )
        if token != self.token:
            return self._send(req, 403, {"message": "Token is not valid."})
        if parts == ["api", "you"]:
            return self._send(
                req, 200, {"email": "physicist@example.org", "reana_server_version": "0.9.4"}
            )
        if parts == ["api", "info"]:  # server capabilities, checked by `create`/`run`
            return self._send(req, 200, {
                "compute_backends": {"title": "Compute backends", "value": ["kubernetes"]},
                "default_workspace": {"title": "Default workspace", "value": "/var/reana"},
                "workspaces_available": {"title": "Workspaces", "value": ["/var/reana"]},
            })  # fmt: skip
        if parts == ["api", "workflows"] and method == "POST":
            return self._create(req, query, body)
        if len(parts) < 3 or parts[:2] != ["api", "workflows"]:
            return self._send(req, 404, {"message": "Not found."})
        wf = self.find(parts[2])
        if wf is None:
            return self._send(req, 404, {"message": f"Workflow {parts[2]} does not exist."})
        return self._workflow(req, method, wf, parts[3:], query, body)

    def _create(self, req: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        name = query["workflow_name"]
        run = 1 + sum(1 for w in self.workflows.values() if w.name.rsplit(".", 1)[0] == name)
        wf = Workflow(id=str(uuid.uuid4()), name=f"{name}.{run}", spec=json.loads(body))
        self.workflows[wf.id] = wf
        self._send(
            req,
            201,
            {"message": "Workflow created.", "workflow_id": wf.id, "workflow_name": wf.name},
        )

    def _workflow(
        self, req: BaseHTTPRequestHandler, method: str, wf: Workflow, rest: list[str],
        query: dict[str, str], body: bytes,
    ) -> None:  # fmt: skip
        ident = {
            "workflow_id": wf.id,
            "workflow_name": wf.name,
            "user": "00000000-0000-0000-0000-000000000000",
        }
        if rest == ["specification"]:
            return self._send(req, 200, {"specification": wf.spec, "parameters": wf.parameters})
        if rest == ["parameters"]:
            params = wf.spec.get("inputs", {}).get("parameters", {})
            return self._send(
                req, 200, {"id": wf.id, "name": wf.name, "type": "serial", "parameters": params}
            )
        if rest == ["workspace"] and method == "POST":
            wf.files[query["file_name"].lstrip("/")] = body
            return self._send(req, 200, {"message": "File uploaded."})
        if rest == ["workspace"]:
            items = [{"name": n, "size": {"raw": len(c), "human_readable": f"{len(c)} B"},
                      "last-modified": "2026-01-01T00:00:00"} for n, c in wf.files.items()]  # fmt: skip
            return self._send(req, 200, {"items": items, "total": len(items)})
        if rest and rest[0] == "workspace" and method == "GET":
            name = "/".join(rest[1:])
            if name not in wf.files:
                return self._send(req, 404, {"message": f"{name} does not exist."})
            return self._send_bytes(req, wf.files[name])
        if rest == ["start"]:
            wf.parameters = json.loads(body or b"{}").get("input_parameters", {})
            wf.status = "queued"
            return self._send(
                req, 200, {**ident, "message": "Workflow submitted.", "status": "queued"}
            )
        if rest == ["status"] and method == "GET":
            self._advance(wf)
            return self._send(req, 200, {"id": wf.id, "name": wf.name, "status": wf.status,
                                         "created": "2026-01-01T00:00:00", "user": ident["user"],
                                         "progress": {}, "logs": ""})  # fmt: skip
        if rest == ["status"] and method == "PUT":
            if query.get("status") == "stop":
                wf.status = "stopped"
            return self._send(
                req, 200, {**ident, "message": "Workflow stopped.", "status": wf.status}
            )
        if rest == ["logs"]:
            logs = {
                "workflow_logs": f"{wf.name} is {wf.status}",
                "job_logs": {},
                "engine_specific": None,
            }
            return self._send(req, 200, {**ident, "logs": json.dumps(logs)})
        return self._send(req, 404, {"message": "Not found."})

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        req.send_response(code)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    @staticmethod
    def _send_bytes(req: BaseHTTPRequestHandler, data: bytes) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
