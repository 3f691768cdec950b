"""Every repository of the real-world corpus (../shared/corpus) yields an RO-Crate, and what its
record lacks is listed, never invented (the corpus holds CI files only)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest

from hepci.audit.config import AuditConfig
from hepci.audit.context import AuditContext
from hepci.core.repo import MemoryRepo
from hepci.metadata.collect import Facts, collect_record
from hepci.metadata.crate import crate_json

pytestmark = pytest.mark.corpus


def repositories(corpus_dir: Path) -> dict[str, dict[str, bytes]]:
    found: dict[str, dict[str, bytes]] = defaultdict(dict)
    with (corpus_dir / "INDEX.tsv").open(encoding="utf-8") as index:
        for row in csv.DictReader(index, delimiter="\t"):
            found[row["repo"]][row["path"]] = (corpus_dir / row["filename"]).read_bytes()
    return dict(found)


def test_every_corpus_repository_yields_a_crate(corpus_dir: Path) -> None:
    repos = repositories(corpus_dir)
    assert len(repos) > 20
    for name, files in repos.items():
        ctx = AuditContext(MemoryRepo(name, files), AuditConfig())
        record = collect_record(ctx, Facts(repository=f"https://github.com/{name}"))
        graph = json.loads(crate_json(record))["@graph"]
        root = next(e for e in graph if e["@id"] == "./")
        assert root["isBasedOn"] == {"@id": f"https://github.com/{name}"}
        assert "datePublished" not in root  # no commit date known: reported, not invented
        assert "code: no commit (not a git checkout)" in record.missing
        if record.workflow is None:
            assert "mainEntity" not in root
