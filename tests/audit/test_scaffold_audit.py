"""A freshly scaffolded analysis (`hepci new`) must audit with no error and no warning."""

from __future__ import annotations

import itertools

import pytest

from hepci.audit.engine import audit_repo
from hepci.core.repo import LocalRepo

FLAVOURS = ["columnar", "cmssw", "both"]
WORKFLOWS = ["snakemake", "reana-serial", "reana-snakemake", "none"]


@pytest.mark.parametrize(("flavour", "workflow"), list(itertools.product(FLAVOURS, WORKFLOWS)))
def test_scaffold_passes_the_audit(tmp_path, flavour, workflow):
    scaffold = pytest.importorskip("hepci.scaffold", reason="the scaffold service is not there")
    target = tmp_path / f"{flavour}-{workflow}"
    path = scaffold.create(
        target, answers={"flavour": flavour, "workflow": workflow}, no_input=True
    ).path
    report = audit_repo(LocalRepo(path))
    problems = [
        (r.id, r.severity, [f"{f.location()}: {f.message}" for f in r.findings])
        for r in report.results
        if r.status == "error" or (r.status == "fail" and r.severity in ("error", "warning"))
    ]
    assert problems == []
    ran = {r.id for r in report.results if r.status in ("pass", "fail")}
    assert {"CI003", "CI005", "CI006", "IMG005", "TST003", "REPO003"} <= ran
    if workflow.startswith("reana"):
        assert {"WF002", "WF003", "WF004"} <= ran
