"""Run roc-validator (rocrate-validator) on a crate without the internet, in its own venv.

    python _offline_validate.py CRATE_DIR PROFILE CONTEXT_FILE

The validator parses the crate as JSON-LD, which makes rdflib (urllib) and the validator
(requests) fetch the RO-Crate context from w3id.org. No test may use the internet, so both are
answered here from CONTEXT_FILE, the RO-Crate context that ro-crate-py ships
(``rocrate/data/ro-crate.jsonld``, version 1.3). For the 1.1 URL the same document is served
with the four Bioschemas terms whose IRIs changed after 1.1 put back to their 1.1 IRIs, the
ones the validator's own Workflow RO-Crate shapes use (``bioschemas:`` and ``bioschemas-cw:``
in its ``prefixes.ttl``); every other term keeps its IRI. Any other URL fails as offline.
Prints ``{"passed": bool, "issues": [{severity, check, message}], "offline_misses": [...]}``.
"""

from __future__ import annotations

import io
import json
import sys
import urllib.error
import urllib.request
import urllib.response
from email.message import Message
from pathlib import Path

CONTEXT_URLS = ("https://w3id.org/ro/crate/1.1/context", "https://w3id.org/ro/crate/1.3/context")
BIOSCHEMAS_1_1 = {
    "ComputationalWorkflow": "https://bioschemas.org/ComputationalWorkflow",
    "FormalParameter": "https://bioschemas.org/FormalParameter",
    "input": "https://bioschemas.org/ComputationalWorkflow#input",
    "output": "https://bioschemas.org/ComputationalWorkflow#output",
}


def context_1_1(document: bytes) -> bytes:
    data = json.loads(document)
    data["@context"].update(BIOSCHEMAS_1_1)
    data["@id"] = CONTEXT_URLS[0]
    return json.dumps(data).encode()


def main() -> int:
    crate, profile, context_file = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    body = context_file.read_bytes()
    bodies = {CONTEXT_URLS[0]: context_1_1(body), CONTEXT_URLS[1]: body}
    fetched: list[str] = []

    def local(url: str) -> bytes | None:
        fetched.append(url)
        return bodies.get(url.rstrip("/"))

    class Offline(urllib.request.BaseHandler):
        def https_open(self, req: urllib.request.Request) -> urllib.response.addinfourl:
            found = local(req.full_url)
            if found is None:
                raise urllib.error.URLError(f"offline: {req.full_url}")
            headers = Message()
            headers["Content-Type"] = "application/ld+json"
            return urllib.response.addinfourl(io.BytesIO(found), headers, req.full_url, 200)

        http_open = https_open

    urllib.request.install_opener(urllib.request.build_opener(Offline))

    import requests
    import requests.adapters

    class Adapter(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            response = requests.Response()
            response.url, response.request = request.url, request
            found = local(request.url)
            response.status_code = 404 if found is None else 200
            response._content = found or b""
            response.headers["Content-Type"] = "application/ld+json"
            return response

        def close(self) -> None:
            return None

    original = requests.Session.__init__

    def session_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        self.mount("https://", Adapter())
        self.mount("http://", Adapter())

    requests.Session.__init__ = session_init  # type: ignore[method-assign]

    from rocrate_validator import models, services

    settings = models.ValidationSettings(
        rocrate_uri=crate,
        profile_identifier=profile,
        requirement_severity=models.Severity.RECOMMENDED,
        no_cache=True,
    )
    result = services.validate(settings)
    issues = [
        {"severity": i.severity.name, "check": i.check.identifier, "message": i.message}
        for i in result.get_issues()
    ]
    unexpected = sorted({u for u in fetched if u.rstrip("/") not in CONTEXT_URLS})
    print(json.dumps({"passed": result.passed(), "issues": issues, "offline_misses": unexpected}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
