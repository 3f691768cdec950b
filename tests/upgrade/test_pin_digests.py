"""`pin-digests` with a stand-in lookup: exact minimal edits in CI files and Dockerfiles, what is
left alone, failed lookups reported, opt-in selection, and consistency with PIN004 on the
corpus (after pinning, the audit finds no tag-only image left).

The lookups against a real registry are in test_pin_registry.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hepci.audit.config import AuditConfig
from hepci.audit.context import AuditContext
from hepci.audit.model import Finding
from hepci.audit.rule import Skip
from hepci.audit.rules.pin import PIN004
from hepci.cli import main
from hepci.core.repo import LocalRepo, MemoryRepo
from hepci.core.yamledit import parse_bytes, parse_text
from hepci.errors import HepciError
from hepci.upgrade.base import UpgradeContext, select_codemods
from hepci.upgrade.cm_pin import PinDigests
from hepci.upgrade.codemods import ALL_CODEMODS
from hepci.upgrade.engine import upgrade_file
from hepci.upgrade.local import plan_repo
from hepci.upgrade.registry import ImageRef, RegistryError
from hepci.upgrade.versions import release_policy


class FakeRegistry:
    """Digest = sha256 of ``name:tag`` and a generation (bumped: every tag has moved)."""

    def __init__(self, missing: tuple[str, ...] = ()) -> None:
        self.generation = 0
        self.missing = missing
        self.asked: list[str] = []

    def digest(self, image: str | ImageRef) -> str:
        assert isinstance(image, ImageRef)
        key = f"{image.name}:{image.tag}"
        self.asked.append(key)
        if key in self.missing:
            raise RegistryError(f"{key}: no such tag in {image.host}")
        return "sha256:" + hashlib.sha256(f"{key}/{self.generation}".encode()).hexdigest()


def d(image: str, fake: FakeRegistry) -> str:
    """``image`` pinned to the digest ``fake`` gives its tag now."""
    return f"{image}@sha256:" + hashlib.sha256(f"{image}/{fake.generation}".encode()).hexdigest()


def ctx(fake: FakeRegistry | None) -> UpgradeContext:
    return UpgradeContext(release_policy(), digests=fake)


CI = """\
variables:
  PY: "python:3.12-slim"   # the tests' image
image: alpine:3.20
default:
  services:
    - name: postgres:16.3
      alias: db
build:
  image: $PY
  script: [make]
matrix:
  image: ${ROOT}
  parallel:
    matrix:
      - ROOT: [rootproject/root:6.28.10-ubuntu22.04, 'rootproject/root:6.32.02@sha256:OLD']
  script: [make]
own:
  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA
  services: [docker:latest, redis]
  script: [x]
"""


def test_ci_images_get_digests_with_minimal_edits() -> None:
    fake = FakeRegistry()
    old = "sha256:" + "1" * 64
    text = CI.replace("sha256:OLD", old)
    outcome = upgrade_file(parse_text(text, "ci.yml"), [PinDigests], ctx(fake))
    expected = (
        text.replace('"python:3.12-slim"', f'"{d("python:3.12-slim", fake)}"')
        .replace("image: alpine:3.20", f"image: {d('alpine:3.20', fake)}")
        .replace("name: postgres:16.3", f"name: {d('postgres:16.3', fake)}")
        .replace(
            "[rootproject/root:6.28.10-ubuntu22.04, ",
            f'["{d("rootproject/root:6.28.10-ubuntu22.04", fake)}", ',
        )
        .replace(f"rootproject/root:6.32.02@{old}", d("rootproject/root:6.32.02", fake))
    )
    assert outcome.text == expected
    assert outcome.manual == [] and outcome.refused == []
    assert sorted(fake.asked) == sorted(
        [
            "python:3.12-slim",
            "alpine:3.20",
            "postgres:16.3",
            "rootproject/root:6.28.10-ubuntu22.04",
            "rootproject/root:6.32.02",
        ]
    )  # fmt: skip  (never docker:latest, redis, or the run-time $CI_REGISTRY_IMAGE)

    again = upgrade_file(parse_text(outcome.text, "ci.yml"), [PinDigests], ctx(fake))
    assert not again.changed  # idempotent while the tags stay
    fake.generation += 1  # every tag moved: each digest is refreshed in place
    moved = upgrade_file(parse_text(outcome.text, "ci.yml"), [PinDigests], ctx(fake))
    assert moved.text == expected.replace(
        hashlib.sha256(b"alpine:3.20/0").hexdigest(), hashlib.sha256(b"alpine:3.20/1").hexdigest()
    ).replace(
        hashlib.sha256(b"python:3.12-slim/0").hexdigest(),
        hashlib.sha256(b"python:3.12-slim/1").hexdigest(),
    ).replace(
        hashlib.sha256(b"postgres:16.3/0").hexdigest(),
        hashlib.sha256(b"postgres:16.3/1").hexdigest(),
    ).replace(
        hashlib.sha256(b"rootproject/root:6.28.10-ubuntu22.04/0").hexdigest(),
        hashlib.sha256(b"rootproject/root:6.28.10-ubuntu22.04/1").hexdigest(),
    ).replace(
        hashlib.sha256(b"rootproject/root:6.32.02/0").hexdigest(),
        hashlib.sha256(b"rootproject/root:6.32.02/1").hexdigest(),
    )


def test_failed_lookups_are_reported_and_nothing_else_changes() -> None:
    fake = FakeRegistry(missing=("alpine:3.20",))
    text = "image: alpine:3.20\njob:\n  image: python:3.12\n  script: [x]\n"
    outcome = upgrade_file(parse_text(text, "ci.yml"), [PinDigests], ctx(fake))
    assert outcome.text == text.replace("python:3.12", d("python:3.12", fake))
    assert [(m.line, m.rule, m.message) for m in outcome.manual] == [
        (1, "PIN004", "digest not looked up: alpine:3.20: no such tag in registry-1.docker.io")
    ]
    off = upgrade_file(parse_text(text, "ci.yml"), [PinDigests], ctx(None))
    assert not off.changed and len(off.manual) == 2


DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE="python:3.12-slim-bookworm"
FROM ${BASE} AS build
RUN pip install .
FROM build AS test
FROM --platform=linux/amd64 registry.cern.ch/docker.io/cmssw/el9:x86_64
FROM alpine:latest
FROM scratch
"""


def test_dockerfile_from_and_arg_defaults_get_digests(tmp_path: Path) -> None:
    fake = FakeRegistry()
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile.gpu").write_text("FROM nvidia/cuda:12.4.1-base\n")
    (tmp_path / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n")
    plan = plan_repo(LocalRepo(tmp_path), [PinDigests], ctx(fake))
    texts = {f.path: f.text for f in plan.changed}
    assert texts["Dockerfile"] == DOCKERFILE.replace(
        '"python:3.12-slim-bookworm"', f'"{d("python:3.12-slim-bookworm", fake)}"'
    ).replace(
        "registry.cern.ch/docker.io/cmssw/el9:x86_64",
        d("registry.cern.ch/docker.io/cmssw/el9:x86_64", fake),
    )
    assert texts["docker/Dockerfile.gpu"] == f"FROM {d('nvidia/cuda:12.4.1-base', fake)}\n"
    assert ".gitlab-ci.yml" not in texts
    # Not selected: Dockerfiles are not even read.
    others = [c for c in ALL_CODEMODS if c is not PinDigests]
    assert [f.path for f in plan_repo(LocalRepo(tmp_path), others, ctx(fake)).files] == [
        ".gitlab-ci.yml"
    ]


def test_a_dockerfile_with_a_byte_order_mark_is_pinned_and_keeps_it(tmp_path: Path) -> None:
    """PIN005 reads a Dockerfile with a BOM (utf-8-sig); pin-digests used to miss its first
    FROM (the BOM stuck to it) and now writes the BOM back as it was."""
    fake = FakeRegistry()
    (tmp_path / "Dockerfile").write_bytes(b"\xef\xbb\xbfFROM python:3.12\n")
    [pinned] = plan_repo(LocalRepo(tmp_path), [PinDigests], ctx(fake)).changed
    assert pinned.encoded() == b"\xef\xbb\xbf" + f"FROM {d('python:3.12', fake)}\n".encode()


def test_unrendered_template_dockerfiles_are_left_as_the_audit_leaves_them(
    tmp_path: Path,
) -> None:
    """``{{ … }}`` and ``{% … %}`` paths belong to a scaffold, not to this repository: PIN005
    skips both, and so does pin-digests (it used to pin a `{% if %}` one)."""
    fake = FakeRegistry()
    for folder in ("{{cookiecutter.name}}", "{% if docker %}image{% endif %}", "docker"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Dockerfile").write_text("FROM python:3.12\n")
    plan = plan_repo(LocalRepo(tmp_path), [PinDigests], ctx(fake))
    assert [f.path for f in plan.changed] == ["docker/Dockerfile"]


def test_pin_digests_is_opt_in() -> None:
    assert PinDigests not in select_codemods(ALL_CODEMODS)
    assert PinDigests in select_codemods(ALL_CODEMODS, network=True)
    assert select_codemods(ALL_CODEMODS, ["pin-digests"]) == [PinDigests]
    assert select_codemods(ALL_CODEMODS, ["PIN004"]) == [PinDigests]
    assert PinDigests not in select_codemods(ALL_CODEMODS, network=True, ignore=["pin-digests"])


def test_list_shows_how_to_enable_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "--list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("pin-digests"))
    assert "PIN004,PIN005" in line and line.endswith("(--refresh-digests)")


def pin004(raw: bytes) -> list[Finding]:
    ctx = AuditContext(MemoryRepo("c", {".gitlab-ci.yml": raw}), AuditConfig())
    try:
        return PIN004().check(ctx)
    except Skip:
        return []


@pytest.mark.slow
@pytest.mark.corpus
def test_corpus_after_pinning_pin004_finds_nothing(corpus_dir: Path) -> None:
    """Whatever PIN004 reports, the codemod pins (same resolution of variables and matrix)."""
    fake = FakeRegistry()
    pinned_files = failing = 0
    for path in sorted(corpus_dir.glob("*.y*ml")):
        raw = path.read_bytes()
        before = pin004(raw)
        failing += bool(before)
        try:
            file = parse_bytes(raw, path.name)
        except HepciError:
            continue
        outcome = upgrade_file(file, [PinDigests], ctx(fake))
        # The edit core refuses to change what an anchor shares with its aliases (reported).
        assert all("aliases reuse" in why for _, why in outcome.refused), path.name
        left = pin004(outcome.encoded())
        assembled = [m for m in outcome.manual if "assembled from variables" in m.message]
        # What stays: images put together from variables (`ubuntu:${VERSION}`), each noted,
        # and images inside aliased anchors, refused by the edit core.
        assert bool(left) <= bool(assembled or outcome.refused), (path.name, left)
        pinned_files += outcome.changed
        # every file PIN004 fails on is pinned, or says why not (refused, or assembled images)
        assert outcome.changed or not before or outcome.refused or assembled, path.name
    assert failing > 0 and pinned_files > 0, "the corpus no longer exercises pin-digests"


def test_an_unreachable_registry_is_asked_once() -> None:
    import socket

    from hepci.upgrade.registry import RegistryClient

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"
    client = RegistryClient(timeout=2)
    for name in ("a:1.0", "b:2.0"):
        with pytest.raises(RegistryError, match=f"{host} unreachable"):
            client.digest(f"{host}/{name}")
    assert client.requests == 1
