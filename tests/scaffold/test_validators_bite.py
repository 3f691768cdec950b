"""Negative controls: the validators used on the rendered repositories do reject bad input."""

from __future__ import annotations

import shutil

from scaffold.support import combo_id, hadolint, reana_client, run, tool


def copy(rendered, tmp_path, flavour, workflow):
    repo = tmp_path / "repo"
    shutil.copytree(rendered[combo_id(flavour, workflow)], repo)
    return repo


def test_reana_client_rejects_a_spec_without_workflow(rendered, tmp_path):
    repo = copy(rendered, tmp_path, "columnar", "reana-serial")
    text = (repo / "reana.yaml").read_text()
    (repo / "reana.yaml").write_text(
        text.replace("workflow:\n  type: serial", "flow:\n  type: serial")
    )
    done = run([reana_client(), "validate"], cwd=repo)
    assert done.returncode != 0


def test_hadolint_rejects_an_untagged_base_and_root_user(rendered, tmp_path):
    repo = copy(rendered, tmp_path, "columnar", "snakemake")
    text = (repo / "Dockerfile").read_text()
    base = text.split("FROM ")[1].split()[0]
    (repo / "Dockerfile").write_text(
        text.replace(base, "python").replace("USER 1000:0", "USER root")
    )
    done = run([hadolint(), "Dockerfile"], cwd=repo)
    assert done.returncode != 0
    assert "DL3006" in done.stdout and "DL3002" in done.stdout


def test_cff_schema_rejects_a_citation_without_authors(rendered, tmp_path):
    repo = copy(rendered, tmp_path, "columnar", "snakemake")
    text = (repo / "CITATION.cff").read_text()
    (repo / "CITATION.cff").write_text(text.split("authors:")[0] + "version: '0.1.0'\n")
    done = run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.citation-file-format",
            "CITATION.cff",
        ],
        cwd=repo,
    )
    assert done.returncode != 0 and "authors" in done.stdout


def test_yamllint_rejects_a_duplicate_key(rendered, tmp_path):
    repo = copy(rendered, tmp_path, "columnar", "snakemake")
    with (repo / "config" / "config.yaml").open("a") as handle:
        handle.write("selection:\n  pt_min: 25.0\n")
    done = run([tool("yamllint"), "--strict", "."], cwd=repo)
    assert done.returncode != 0 and "duplicate" in done.stdout
