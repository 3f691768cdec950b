"""CI003's schema validation: GitLab's CI JSON schema via :mod:`hepci.lint.schema`, cached.

jsonschema-rs tells a valid file in ~0.2 ms but costs ~0.14 s to import with the schema; the
messages of an invalid file need jsonschema (~0.35 s to import, more than the whole local audit).
So results are cached on disk by the file's content hash (plus hepci version and schema file
identity): re-auditing an unchanged CI file imports neither. The cache lives
in ``$HEPCI_CACHE_DIR`` (else ``$XDG_CACHE_HOME/hepci``, else ``~/.cache/hepci``) under
``ci-schema/``; an unwritable cache is silently skipped. Within one process results are also
kept in memory (a group sweep meets the same CI file in many projects).
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

from hepci import __version__
from hepci.core.cilocal import LoadedFile

Problem = tuple[int, str]


def cache_dir() -> Path:
    env = os.environ
    if env.get("HEPCI_CACHE_DIR"):
        return Path(env["HEPCI_CACHE_DIR"]).expanduser() / "ci-schema"
    base = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "hepci" / "ci-schema"


@cache
def validator_available() -> bool:
    """Whether jsonschema can be imported (checked once, without importing it)."""
    from importlib.util import find_spec

    return find_spec("jsonschema") is not None


@cache
def _schema_identity() -> str:
    """Which schema file and which validation code: a change to either invalidates the cache."""
    from importlib.util import find_spec

    code = Path(__file__).resolve().parent.parent / "lint" / "schema.py"
    try:
        code_stat = code.stat()
        code_id = f"{code_stat.st_size}:{code_stat.st_mtime_ns}"
    except OSError:
        code_id = "?"

    spec = find_spec("check_jsonschema")
    for location in list(spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "builtin_schemas" / "vendor" / "gitlab-ci.json"
        if candidate.is_file():
            stat = candidate.stat()
            return f"{stat.st_size}:{stat.st_mtime_ns}:{code_id}"
    return f"none:{code_id}"


def _validate(loaded: LoadedFile) -> list[Problem]:
    from hepci.lint import schema

    body = loaded.file.body
    if body is None or not isinstance(body.data, dict):
        return []  # CI002 reports a body that is not a mapping
    data = {k: v for k, v in body.data.items() if k != "spec"}
    problems = []
    for node, message in schema.check(schema.body_validator(), schema.to_json(data), body):
        problems.append((node.start.lineno if node is not None else 1, message))
    return problems


def schema_problems(loaded: LoadedFile) -> list[Problem]:
    """(line, message) for each schema error of one CI file, from the cache when possible."""
    digest = hashlib.sha256(
        f"{__version__}\0{_schema_identity()}\0{loaded.file.text}".encode()
    ).hexdigest()
    known = _SEEN.get(digest)  # a group sweep meets the same CI file in many projects
    if known is not None:
        return list(known)
    path = cache_dir() / f"{digest}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        problems = [(int(line), str(message)) for line, message in cached]
    except (OSError, ValueError, TypeError):
        problems = _validate(loaded)
        _store(path, problems)
    _remember(digest, problems)
    return problems


_SEEN: dict[str, tuple[Problem, ...]] = {}
MAX_SEEN = 4096


def _remember(digest: str, problems: list[Problem]) -> None:
    if len(_SEEN) >= MAX_SEEN:
        _SEEN.pop(next(iter(_SEEN)))  # the oldest
    _SEEN[digest] = tuple(problems)


def _store(path: Path, problems: list[Problem]) -> None:
    """Atomically (a temp file with an unpredictable name, ``O_EXCL``, then a rename), 0600,
    and without ``fsync``: a cache lost in a crash only costs time, and two fsyncs per CI file
    were 2 s of a 1,000-project sweep."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp: mode 0600
                handle.write(json.dumps(problems))
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache: not writing it only costs time next run
