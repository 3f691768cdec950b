"""What GitLab does with a `release:` keyword, played against a recording Releases API.

gitlab-ci-local runs a job's `script` only (4.72.0 ignores `release:`). On GitLab, the
server turns the keyword into a script that the runner executes after the job's script
(`Gitlab::Ci::Build::Releaser`): `glab release create …` when the image has glab >= 1.58,
else `release-cli create --name "…" --description "…" --tag-name "…" --assets-link '<json>'`.
Neither binary is packaged for Debian, PyPI or npm, so this module provides:

* :func:`release_cli_command` -- the `release-cli create` line GitLab generates for a
  `release:` mapping (flags in GitLab's order, values double-quoted for the shell, assets
  links as JSON inside a JSON string), run by a real bash with the job's variables;
* `release-cli` -- :data:`RELEASE_CLI`, a stand-in for its `create` command: the description
  is read from the file it names when that file exists in the project directory (as
  release-cli does), and one `POST $CI_API_V4_URL/projects/$CI_PROJECT_ID/releases` with the
  `JOB-TOKEN` header is sent;
* :func:`releases_api` -- a server on 127.0.0.1 recording those calls and answering as
  GitLab's Releases API does (201 with the release, 409 for a tag that has one already).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_SINGLE_FLAGS = ("name", "description", "tag_name", "tag_message", "ref", "released_at")

RELEASE_CLI = '''#!/usr/bin/env python3
"""Stand-in for `release-cli create` (tests/release/_standins.py)."""
import argparse, json, os, sys, urllib.request

parser = argparse.ArgumentParser(prog="release-cli")
sub = parser.add_subparsers(dest="command", required=True)
create = sub.add_parser("create")
for flag in ("name", "description", "tag-name", "tag-message", "ref", "released-at"):
    create.add_argument("--" + flag)
create.add_argument("--milestone", action="append", default=[])
create.add_argument("--assets-link", action="append", default=[])
args = parser.parse_args()
description = args.description or ""
path = os.path.join(os.environ.get("CI_PROJECT_DIR", "."), description)
if description and os.path.isfile(path):
    with open(path, encoding="utf-8") as handle:
        description = handle.read()
body = {"name": args.name, "tag_name": args.tag_name or os.environ["CI_COMMIT_TAG"],
        "description": description, "ref": args.ref or os.environ.get("CI_COMMIT_SHA"),
        "milestones": args.milestone,
        "assets": {"links": [json.loads(link) for link in args.assets_link]}}
url = f"{os.environ['CI_API_V4_URL']}/projects/{os.environ['CI_PROJECT_ID']}/releases"
request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
    headers={"JOB-TOKEN": os.environ["CI_JOB_TOKEN"], "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as answer:
        print(answer.read().decode())
except urllib.error.HTTPError as exc:
    print(f"release-cli: {exc.code} {exc.read().decode()}", file=sys.stderr)
    sys.exit(1)
'''


def _quoted(value: object) -> str:
    """Ruby's ``"#{v}"`` in GitLab's generated script: double quotes, nothing escaped."""
    return f'"{value}"'


def release_cli_command(release: dict[str, Any]) -> str:
    """The `release-cli create …` line GitLab's Releaser generates for ``release``."""
    command = "release-cli create"
    for key in _SINGLE_FLAGS:
        if key in release:
            command += f" --{key.replace('_', '-')} {_quoted(release[key])}"
    for milestone in release.get("milestones", []):
        command += f" --milestone {_quoted(milestone)}"
    for link in (release.get("assets") or {}).get("links", []):
        command += f" --assets-link {json.dumps(json.dumps(link))}"
    return command


@dataclass
class ReleasesApi:
    port: int
    calls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v4"


@contextmanager
def releases_api() -> Iterator[ReleasesApi]:
    """A Releases API stand-in on an ephemeral 127.0.0.1 port."""
    api = ReleasesApi(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            parts = self.path.strip("/").split("/")
            ok = len(parts) == 5 and parts[:2] == ["api", "v4"] and parts[4] == "releases"
            token = self.headers.get("JOB-TOKEN")
            api.calls.append({"path": self.path, "job_token": token, "body": body})
            if not ok:
                return self._answer(404, {"message": "404 Not Found"})
            if not token:
                return self._answer(401, {"message": "401 Unauthorized"})
            tags = [c["body"].get("tag_name") for c in api.calls[:-1] if c["path"] == self.path]
            if body.get("tag_name") in tags:
                return self._answer(409, {"message": "Release already exists"})
            return self._answer(201, {**body, "_links": {"self": f"/releases/{body['tag_name']}"}})

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def install_release_cli(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / "release-cli"
    exe.write_text(RELEASE_CLI, encoding="utf-8")
    exe.chmod(0o755)
    return exe


UNRELEASED_CHANGE = "### Added\n- The change released in the test.\n"


def add_unreleased_change(changelog: Path) -> None:
    """Give a copied CHANGELOG something to release: its ``[Unreleased]`` section becomes
    :data:`UNRELEASED_CHANGE` alone (empty after every release, or holding this checkout's own
    changes since the last one: the test releases a known text either way)."""
    text = changelog.read_text(encoding="utf-8")
    head, marker, rest = text.partition("## [Unreleased]\n")
    assert marker, "CHANGELOG.md has no [Unreleased] section"
    following = rest.find("\n## [")
    tail = rest[following + 1 :] if following >= 0 else ""
    changelog.write_text(f"{head}{marker}\n{UNRELEASED_CHANGE}\n{tail}", encoding="utf-8")
