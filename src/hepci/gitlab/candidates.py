"""Which files a remote audit reads, and the local includes a ``.gitlab-ci.yml`` pulls in.

:data:`CANDIDATE_FILES` is the fixed list fetched for every project (missing ones cost
nothing in a GraphQL ``blobs(paths:)`` query). Audit rules that need another file add it
with :func:`register_candidates` at import time.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import posixpath
from typing import Any

from hepci.errors import HepciError

CANDIDATE_FILES: list[str] = [
    ".gitlab-ci.yml",
    "Dockerfile",
    ".dockerignore",
    "README.md",
    "README.rst",
    "README",
    "LICENSE",
    "LICENSE.md",
    "LICENSE.txt",
    "COPYING",
    "CITATION.cff",
    ".gitignore",
    "Snakefile",
    "workflow/Snakefile",
    "reana.yaml",
    "workflow.yaml",
    "pyproject.toml",
    ".hepci.toml",
    "setup.py",
    "tests/__init__.py",
    "tests/conftest.py",
    ".pre-commit-config.yaml",
    "requirements.txt",
    "environment.yml",
]
CI_FILE = ".gitlab-ci.yml"
MAX_INCLUDE_DEPTH = 3  # rounds of local includes followed (includes of includes)
MAX_INCLUDES = 50  # local includes followed per project


def register_candidates(*paths: str) -> None:
    """Add repository-relative ``paths`` to :data:`CANDIDATE_FILES` (idempotent)."""
    for path in paths:
        clean = normalize(path)
        if clean and clean not in CANDIDATE_FILES:
            CANDIDATE_FILES.append(clean)


def candidates_digest(paths: list[str] | None = None) -> str:
    """A short digest of the candidate list: cached snapshots with another list are stale."""
    text = "\n".join(sorted(paths if paths is not None else CANDIDATE_FILES))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalize(path: str) -> str | None:
    """A clean repository-relative POSIX path, or ``None`` for ``..``/empty/absolute escapes."""
    clean = posixpath.normpath("/" + path.strip()).lstrip("/")
    if not clean or clean == "." or clean.startswith(".."):
        return None
    return clean


def _local_entries(include: Any) -> list[str]:
    items = include if isinstance(include, list) else [include]
    found: list[str] = []
    for item in items:
        if isinstance(item, str):
            if "://" not in item:
                found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("local"), str):
            found.append(item["local"])
    return found


def local_includes(content: bytes, path: str = CI_FILE) -> list[str]:
    """Local files included by a CI file (wildcards and ``$VARIABLES`` left out).

    Unparsable YAML gives ``[]``: the audit reports the syntax error itself. A UTF-16 file
    (with its BOM, which GitLab accepts) is read as the text it is.
    """
    return list(_local_includes(_as_utf8(content), path))


def _as_utf8(content: bytes) -> bytes:
    """UTF-16 content (with a BOM) as UTF-8, for the byte-level scans; anything else as is."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if content.startswith(bom):
            try:
                return content[len(bom) :].decode(codec).encode()
            except UnicodeDecodeError:
                return content
    return content


@functools.lru_cache(maxsize=512)
def _local_includes(content: bytes, path: str) -> tuple[str, ...]:
    if b"include" not in content:  # no need to parse
        return ()
    block = _include_block(content)
    if block is None:  # no top-level ``include:`` line
        return ()
    data = _load(block, path) if block else None  # fast: only the include block
    if not isinstance(data, dict) or "include" not in data:
        data = _load(content, path)
    if not isinstance(data, dict) or "include" not in data:
        return ()
    out: list[str] = []
    for entry in _local_entries(data["include"]):
        if any(ch in entry for ch in "*?[$"):
            continue
        clean = normalize(entry)
        if clean and clean not in out:
            out.append(clean)
    return tuple(out[:MAX_INCLUDES])


def _include_block(content: bytes) -> bytes | None:
    """The top-level ``include:`` block's lines; ``b""``: parse the whole file; ``None``: none."""
    lines = content.splitlines()
    for start, line in enumerate(lines):
        if line.startswith(b"include:"):
            block = [line]
            for following in lines[start + 1 :]:
                if following[:1] not in (b"", b" ", b"\t", b"#", b"-"):
                    break
                block.append(following)
            text = b"\n".join(block) + b"\n"
            return b"" if b"*" in text or b"<<" in text else text  # aliases: parse it all
    if content.lstrip().startswith(b"{"):  # a flow-style document: parse it all
        return b""
    return None


def _load(content: bytes, path: str) -> Any:
    from hepci.core.yamledit import parse_bytes

    try:
        body = parse_bytes(content, path).body
        return body.data if body is not None else None
    except HepciError:
        return None
