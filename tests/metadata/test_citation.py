"""CITATION.cff against the official CFF 1.2.0 schema: each error named at its line, in the
record's missing pieces and as PRES003 findings; valid files (the scaffold's) pass."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hepci.audit.config import AuditConfig
from hepci.audit.context import AuditContext
from hepci.audit.engine import audit_repo
from hepci.core.repo import LocalRepo, MemoryRepo
from hepci.metadata.citation import SCHEMA_FILE, cff_problems
from hepci.metadata.collect import collect_record

BROKEN = """\
cff-version: 1.2.0
message: Cite it.
title: Dimuon analysis
version: 0.1.0
license: MIT
repository-code: https://gitlab.cern.ch/a/b
authors:
  - given-names: Jane
    family-names: Analyst
    orcid: 0000-0002-1825-0097
  - name: CMS Collaboration
date-released: 2024-13-01
licence: MIT
"""


def context(files: dict[str, str]) -> AuditContext:
    return AuditContext(MemoryRepo("x", {k: v.encode() for k, v in files.items()}), AuditConfig())


def test_schema_is_the_documented_copy() -> None:
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert f"`{digest}`" in (SCHEMA_FILE.parent / "README.md").read_text()


def test_each_error_is_named_at_its_line() -> None:
    found = [(p.line, str(p)) for p in cff_problems(context({"CITATION.cff": BROKEN}))]
    assert found == [
        (13, "the file: Additional properties are not allowed ('licence' was unexpected)"),
        (10, "authors[0].orcid: '0000-0002-1825-0097' does not match "
             "'https://orcid\\\\.org/[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]{1}'"),
        (12, "date-released: '2024-13-01' does not match "
             "'^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$'"),
    ]  # fmt: skip
    # the entity author ("name:") is valid CFF: the person/entity alternative is resolved


def test_errors_are_missing_pieces_and_pres003_findings() -> None:
    ctx = context({"CITATION.cff": BROKEN})
    missing = [g for g in collect_record(ctx).missing if "CFF" in g]
    assert missing[1].startswith(
        "citation: CITATION.cff:10 is not valid CFF 1.2.0: authors[0].orcid:"
    )
    assert len(missing) == 3
    result = next(
        r for r in audit_repo(MemoryRepo("x", {"CITATION.cff": BROKEN.encode()})).results
        if r.id == "PRES003"
    )  # fmt: skip
    assert result.status == "fail"
    lines = {f.line for f in result.findings if f.message.startswith("not valid CFF 1.2.0")}
    assert lines == {10, 12, 13}
    fixed = BROKEN.replace("0000-0002", "https://orcid.org/0000-0002").replace("13-01", "12-01")
    fixed = fixed.replace("licence: MIT\n", "")
    assert cff_problems(context({"CITATION.cff": fixed})) == []
    after = audit_repo(MemoryRepo("x", {"CITATION.cff": fixed.encode()})).results
    assert next(r for r in after if r.id == "PRES003").status == "pass"


def test_unreadable_and_absent_files() -> None:
    (bad,) = cff_problems(context({"CITATION.cff": "title: [unclosed\n"}))
    assert bad.where == "" and "cannot be read" in bad.message and bad.line is not None
    assert cff_problems(context({"README.md": "x"})) == []
    wrong_type = cff_problems(context({"CITATION.cff": "- a list\n"}))
    assert [str(p) for p in wrong_type] == ["the file: ['a list'] is not of type 'object'"]


def test_scaffold_citation_is_valid_cff(tmp_path: Path) -> None:
    from hepci import scaffold

    repo = scaffold.create(tmp_path / "ana", answers={}, no_input=True).path
    ctx = AuditContext(LocalRepo(repo), AuditConfig())
    assert (repo / "CITATION.cff").is_file() and cff_problems(ctx) == []
