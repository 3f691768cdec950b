"""``--trace FILE`` records a run's GitLab exchanges without any token; a trace replays
through hepci's real client code (``ReplayAdapter`` under hepci's own transport)."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble
from remote.helpers import make_settings

from hepci.cli import main
from hepci.gitlab import transport
from hepci.gitlab.sources import remote_snapshots
from hepci.gitlab.trace import (
    REDACTED,
    SECRET_FIELD,
    TOKEN_SHAPE,
    ReplayAdapter,
    load,
    recording,
    scrub,
    scrub_url,
)

TRACES = Path(__file__).with_name("traces")


def tokens(world: World) -> list[str]:
    return [v for k, v in vars(world.tokens).items() if not k.startswith("_")]


def record(double: GitLabDouble, world: World, tmp_path: Path, *args: str) -> Path:
    path = tmp_path / "trace.jsonl"
    code = main(
        ["audit", "gitlab:hep", "--gitlab-url", double.url, "--token", world.tokens.owner,
         "--no-cache", "--concurrency", "1", "--format", "json", "--output",
         str(tmp_path / "report.json"), "--trace", str(path), *args]
    )  # fmt: skip
    assert code in (0, 1), code
    return path


def test_trace_records_every_exchange_without_tokens(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path
) -> None:
    path = record(fresh_double, fresh_world, tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # file contents are in it
    text = path.read_text()
    for secret in tokens(fresh_world):
        assert secret not in text
    assert not [m for m in TOKEN_SHAPE.findall(text) if m != REDACTED]
    entries = load(path)
    served = fresh_double.stats.total
    assert len(entries) == served  # every answer the server gave is in the trace
    routes = {(e["request"]["method"], e["request"]["url"].split("?")[0]) for e in entries}
    assert ("GET", f"{fresh_double.url}/api/v4/groups/hep/projects") in routes
    assert ("POST", f"{fresh_double.url}/api/graphql") in routes
    for entry in entries:
        headers = {k.lower(): v for k, v in entry["request"]["headers"].items()}
        assert headers.get("private-token", REDACTED) == REDACTED


def test_scrub_removes_tokens_in_urls_bodies_and_shapes() -> None:
    secret = "s3cr3t-value-without-prefix"
    assert scrub(f"a {secret} b", (secret,)) == f"a {REDACTED} b"
    assert REDACTED in scrub("Bearer glpat-abcdefghijklmnop1234")
    url = scrub_url("https://u:p@gitlab.example/api/v4/x?private_token=abc&page=2")
    assert "abc" not in url and "u:p" not in url and "page=2" in url


def test_scrub_removes_secret_json_fields_without_a_prefix() -> None:
    """GET /projects/:id shows an Owner the project's ``runners_token`` (projects.md example:
    ``"runners_token": "b8bc4a7a29eb76ea83cf79e4908c2b"``): no prefix, still a secret."""
    example = json.loads((TRACES / "docs" / "project-get-example.json").read_text())
    body = json.dumps(example)
    assert example["runners_token"] in body
    scrubbed = json.loads(scrub(body))
    assert scrubbed["runners_token"] == REDACTED
    assert {k: v for k, v in scrubbed.items() if k != "runners_token"} == {
        k: v for k, v in example.items() if k != "runners_token"
    }
    # a file's text inside a JSON string (GraphQL rawTextBlob) is not a field: left alone
    blob = json.dumps({"rawTextBlob": '{"token": "not-a-field-here"}'})
    assert scrub(blob) == blob


def replay(monkeypatch: pytest.MonkeyPatch, entries: list[dict[str, Any]]) -> type[ReplayAdapter]:
    """hepci's transport (origin, budget, size cap) over a trace instead of the network."""

    class Replayed(transport.GuardedAdapter, ReplayAdapter):
        pass

    Replayed.entries = entries
    monkeypatch.setattr(transport, "GuardedAdapter", Replayed)
    return Replayed


def snapshot_files(run: Any) -> dict[str, dict[str, bytes]]:
    return {r.full_path: {p: f.content for p, f in r.result.files.items()} for r in run.results}


def test_a_recorded_trace_replays_through_the_client(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "trace.jsonl"
    settings = make_settings(fresh_double, fresh_world.tokens.owner, concurrency=1)
    with recording(path):
        live = snapshot_files(remote_snapshots("gitlab:hep", settings))
    url = fresh_double.url
    fresh_double.stop()  # from here on nothing can reach the double
    replay(monkeypatch, load(path))
    replayed = remote_snapshots("gitlab:hep", make_settings_at(url, "another-token"))
    assert not replayed.failed
    assert snapshot_files(replayed) == live


def make_settings_at(url: str, token: str, **options: Any) -> Any:
    from hepci.gitlab.settings import resolve_settings

    options.setdefault("timeout", 5.0)
    return resolve_settings(url=url, token=token, env={}, concurrency=1, **options)


@pytest.mark.parametrize("name", sorted(p.name for p in TRACES.glob("*.jsonl")))
def test_committed_traces_replay(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Traces written from GitLab's documented example answers (see traces/README.md) run
    through the real client: listing, batched GraphQL blobs, REST fallback."""
    path = TRACES / name
    text = path.read_text()
    assert not [m for m in TOKEN_SHAPE.findall(text) if m != REDACTED]
    bodies = "\n".join(e["response"]["body"] or "" for e in load(path))
    assert all(m.group(0).endswith(f'"{REDACTED}"') for m in SECRET_FIELD.finditer(bodies))
    meta = json.loads(text.splitlines()[0])
    expect = meta["expect"]
    replay(monkeypatch, load(path))
    run = remote_snapshots(meta["target"], make_settings_at(meta["url"], "glpat-redacted-token"))
    assert not run.failed, run.failed
    files = snapshot_files(run)
    assert {p: sorted(f) for p, f in files.items()} == expect["files"]
    assert sorted(s.full_path for s in run.skipped) == expect["skipped"]
    for project, paths in expect.get("contains", {}).items():
        for file_path, needle in paths.items():
            assert re.search(needle, files[project][file_path].decode())


def test_the_trace_file_is_never_written_through_a_link_and_is_always_private(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path
) -> None:
    """A trace holds private projects' files: a link planted at its path is refused (its target
    kept), and a trace written over an older, readable file ends up 0600 too."""
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "trace.jsonl"
    link.symlink_to(precious)
    code = main(
        ["audit", "gitlab:hep", "--gitlab-url", fresh_double.url, "--token",
         fresh_world.tokens.owner, "--no-cache", "--trace", str(link)]
    )  # fmt: skip
    assert code == 2 and precious.read_text() == "keep me" and link.is_symlink()
    link.unlink()
    link.write_text("an older trace\n")
    link.chmod(0o644)
    path = record(fresh_double, fresh_world, tmp_path)
    assert path == link and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "an older trace" not in path.read_text()
