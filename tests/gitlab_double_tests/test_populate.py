"""The world generator: deterministic per seed, realistic mixes, corpus files used in place."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from gitlab_double import build_world
from gitlab_double.populate import KINDS


def fingerprint(
    n: int, seed: int, corpus: Path | None
) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    world = build_world(n, seed, corpus)
    out = []
    for spec in world.projects:
        project = world.state.projects[spec.id]
        head = project.repo.branches.get(project.default_branch_name)
        out.append((spec.full_path, spec.kind, spec.files, head))
    return out


def test_same_seed_same_world_and_different_seed_differs(tmp_path: Path) -> None:
    assert fingerprint(40, 1, tmp_path) == fingerprint(40, 1, tmp_path)
    assert fingerprint(40, 1, tmp_path) != fingerprint(40, 2, tmp_path)


def test_world_has_every_archetype_and_attribute(tmp_path: Path) -> None:
    world = build_world(400, seed=0, corpus_dir=tmp_path)  # empty dir: no corpus archetype
    kinds = Counter(p.kind for p in world.projects)
    assert set(kinds) == set(KINDS) - {"corpus"}
    assert {p.template_ref for p in world.projects if p.kind.startswith("hepci-")} == {
        "0.1.0",
        "0.0.9",
        "main",
        None,
    }
    assert {"master", "main"} <= {p.default_branch for p in world.projects}
    assert any(p.archived for p in world.projects) and any(p.empty for p in world.projects)
    assert {"member", "no-code", "hidden"} == {p.access for p in world.projects}
    assert any(p.protected_default for p in world.projects)
    assert any(not p.protected_default and not p.empty for p in world.projects)
    bases = {p.dockerfile_from for p in world.projects if p.dockerfile_from}
    assert any(b.endswith(":latest") for b in bases) and any("@sha256:" in b for b in bases)
    files = {f for p in world.projects for f in p.files}
    assert {"Snakefile", "workflow/Snakefile", "reana.yaml", ".hepci.toml", "CITATION.cff"} <= files
    # every spec matches the state it describes
    for spec in world.projects:
        project = world.state.projects[spec.id]
        assert project.full_path == spec.full_path and project.archived == spec.archived
        head = project.repo.resolve(spec.default_branch) if spec.default_branch else None
        assert (head is None) == spec.empty
        if head is not None:
            assert sorted(head.files) == sorted(spec.files)


@pytest.mark.corpus
def test_corpus_files_are_served_byte_for_byte(corpus_dir: Path) -> None:
    world = build_world(60, seed=4, corpus_dir=corpus_dir)
    originals = {p.read_bytes() for p in corpus_dir.iterdir() if p.suffix in {".yml", ".yaml"}}
    used = [p for p in world.projects if p.kind == "corpus"]
    assert used
    for spec in used:
        project = world.state.projects[spec.id]
        head = project.repo.resolve(spec.default_branch)
        assert head is not None
        first_version = world.state.blobs[project.repo.commits[head.sha].files[".gitlab-ci.yml"]]
        assert first_version in originals or first_version.removesuffix(b"\n# tweak\n") in originals


def test_thousand_projects_build(tmp_path: Path) -> None:
    world = build_world(1000, seed=9, corpus_dir=tmp_path)
    assert len(world.projects) == 1000
    assert len({p.full_path for p in world.projects}) == 1000
