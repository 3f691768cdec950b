"""`hepci metadata` on `hepci new` repositories: what the crate says, that it validates with
roc-validator, that it is byte-stable, and that gaps are reported rather than invented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from metadata.conftest import required_issues
from templates._project import git

from hepci import scaffold
from hepci.cli import main
from hepci.metadata.service import MetadataOptions, run_metadata

OPEN_DATA = """\
datasets:
  - name: /MuOnia/Run2016H-UL2016_MiniAODv2_NanoAODv9-v1/NANOAOD
    recid: 30560
    doi: 10.7483/OPENDATA.CMS.0UTR.A7KQ
    events: 38094977
    files:
      - url: root://eospublic.cern.ch//eos/opendata/cms/Run2016H/MuOnia/NANOAOD/example.root
        size: 1234567
        checksum: adler32:0a1b2c3d
"""


def new_repo(parent: Path, flavour: str = "columnar", workflow: str = "snakemake") -> Path:
    answers = {"flavour": flavour, "workflow": workflow}
    repo = scaffold.create(parent / f"{flavour}-{workflow}", answers=answers, no_input=True).path
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hepci new")
    return repo


def graph(crate: Path) -> dict[str, dict[str, object]]:
    data = json.loads(crate.read_text())
    return {entity["@id"]: entity for entity in data["@graph"]}


@pytest.mark.slow  # roc-validator in its own virtualenv: a few seconds
def test_default_scaffold_crate_is_complete_stable_and_valid(
    tmp_path: Path, validate_crate
) -> None:
    repo = new_repo(tmp_path)
    env = {
        "IMAGE_BUILD_IMAGE": "registry.example.org/a/b:abc123",
        "IMAGE_BUILD_DIGEST": "sha256:" + "e" * 64,
    }
    first = run_metadata(MetadataOptions(directory=repo, env=env))
    assert first.changed and first.crate_path == repo / "ro-crate-metadata.json"
    text = first.crate_path.read_bytes()
    again = run_metadata(MetadataOptions(directory=repo, env=env))
    assert not again.changed and again.crate_path.read_bytes() == text  # byte for byte

    entities = graph(repo / "ro-crate-metadata.json")
    root = entities["./"]
    assert root["mainEntity"] == {"@id": "workflow/Snakefile"}
    assert root["datePublished"] == git(repo, "show", "-s", "--format=%cI", "HEAD")
    assert root["license"] == {"@id": "https://spdx.org/licenses/Apache-2.0"}
    assert entities[root["author"]["@id"]]["familyName"] == "Analyst"  # type: ignore[index]
    assert entities["#image-1"]["sha256"] == "e" * 64
    synthetic = [e for e in entities.values() if e.get("additionalType") == "synthetic sample"]
    assert len(synthetic) == 1
    steps = [entities[s["@id"]]["name"] for s in entities["workflow/Snakefile"]["step"]]  # type: ignore[index, union-attr]
    assert steps == ["sample", "select", "fit", "plot"]
    templates = {
        e["name"]
        for e in entities.values()
        if str(e.get("name", "")).startswith("hepci CI template")
    }
    assert (
        "hepci CI template metadata" in templates and "hepci CI template image-build" in templates
    )
    # Only the commit-independent base image pin is left to report (the scaffold pins it).
    assert [m for m in first.record.missing if not m.startswith("software: base image")] == []

    result = validate_crate(repo, "workflow-ro-crate")
    assert result["offline_misses"] == []
    assert required_issues(result) == []


def test_open_data_inputs_carry_record_id_doi_size_checksum(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    config = repo / "config" / "config.yaml"
    text = config.read_text()
    start = text.index("datasets:")
    end = text.index("# When switching")
    config.write_text(text[:start] + OPEN_DATA + text[end:])
    result = run_metadata(MetadataOptions(directory=repo, env={}))
    kinds = {d.kind for d in result.record.data}
    assert kinds == {"open-data"}
    assert all(
        d.recid == "30560" and d.doi == "10.7483/OPENDATA.CMS.0UTR.A7KQ" for d in result.record.data
    )
    entities = graph(repo / "ro-crate-metadata.json")
    dataset = entities["https://doi.org/10.7483/OPENDATA.CMS.0UTR.A7KQ"]
    assert dataset["identifier"] == "https://opendata.cern.ch/record/30560"
    file = entities[
        "root://eospublic.cern.ch//eos/opendata/cms/Run2016H/MuOnia/NANOAOD/example.root"
    ]
    assert file["contentSize"] == "1234567"
    assert not [m for m in result.record.missing if m.startswith("data:")]


def test_gaps_are_reported_not_invented(tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    (repo / "Snakefile").write_text('rule all:\n    input: "out.txt"\n')
    (repo / "config.yaml").write_text("input_files:\n  - root://eospublic.cern.ch//eos/x.root\n")
    result = run_metadata(MetadataOptions(directory=repo, env={}))
    missing = "\n".join(result.record.missing)
    for gap in ("no repository URL", "no commit", "no license", "no CITATION.cff", "no analysis image",
                "x.root (config.yaml) has no DOI", "no hepci CI templates"):  # fmt: skip
        assert gap in missing
    root = graph(repo / "ro-crate-metadata.json")["./"]
    assert "datePublished" not in root and "author" not in root and "license" not in root


def test_cli_json_and_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = new_repo(tmp_path)
    assert main(["metadata", str(repo), "--format", "json", "--dry-run"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["crate"] is None and not (repo / "ro-crate-metadata.json").exists()
    assert report["record"]["workflow"]["engine"] == "snakemake"
    assert main(["metadata", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(
        "Columnar snakemake: image $CI_REGISTRY_IMAGE (no digest)"
    )
    assert "missing: software: no image digest" in out
    assert main(["metadata", str(repo), "--image-digest", "sha256:nothex"]) == 2
    assert "not sha256:<64 hex digits>" in capsys.readouterr().err


def test_run_outputs_make_a_run_crate(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    (repo / "results").mkdir()
    (repo / "results" / "fit.json").write_text('{"peak": 91.2}\n')
    env = {"CI_PIPELINE_ID": "77", "CI_JOB_URL": "https://gitlab.example.org/x/-/jobs/5"}
    result = run_metadata(
        MetadataOptions(directory=repo, env=env, outputs=["results/", "missing/"])
    )
    assert [o.path for o in result.record.run.outputs] == ["results/fit.json"]  # type: ignore[union-attr]
    entities = graph(repo / "ro-crate-metadata.json")
    action = entities["#run-77"]
    assert action["@type"] == "CreateAction" and action["url"] == env["CI_JOB_URL"]
    with pytest.raises(Exception, match="outside the repository"):
        run_metadata(MetadataOptions(directory=repo, env=env, outputs=["../"]))


def test_missing_extra_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    repo = new_repo(tmp_path)
    monkeypatch.setitem(sys.modules, "rocrate.rocrate", None)  # import fails as if not installed
    assert main(["metadata", str(repo)]) == 2
    assert "pip install 'hepci[metadata]'" in capsys.readouterr().err


def test_lint_and_local_audit_never_import_rocrate(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    code = (
        "import sys; from hepci.cli import main;"
        f"main(['lint', {str(repo)!r}]); main(['audit', {str(repo)!r}, '-f', 'json', '-o', {str(tmp_path / 'a.json')!r}]);"
        "print('rocrate' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr
