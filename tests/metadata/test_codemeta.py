"""codemeta.json: written by codemetapy from the record, offline (the JSON-LD documents ship
with hepci), byte-stable, and checked by JSON-LD expansion against the shipped contexts."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from metadata.test_service import new_repo
from templates._project import git

from hepci.metadata.codemeta import (
    CONTEXT_FILES,
    CONTEXTS_DIR,
    build_codemeta,
    codemeta_json,
    validate_codemeta,
)
from hepci.metadata.model import Code, Person, Record, Software

OFFLINE = """\
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network access in an offline test")
socket.socket.connect = refuse
socket.create_connection = refuse
from hepci.cli import main
sys.exit(main(["metadata", sys.argv[1], "--format", "json"]))
"""


def test_shipped_contexts_are_the_documented_copies() -> None:
    readme = (CONTEXTS_DIR / "README.md").read_text()
    for name in CONTEXT_FILES.values():
        digest = hashlib.sha256((CONTEXTS_DIR / name).read_bytes()).hexdigest()
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}`"))
        assert f"`{digest}`" in row, name  # a changed file needs a changed table
    assert sorted(CONTEXT_FILES.values()) == sorted(p.name for p in CONTEXTS_DIR.glob("*.jsonld"))


def run_offline(repo: Path, tmpdir: Path, seed: str) -> dict[str, object]:
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONHASHSEED": seed}
    env.pop("IMAGE_BUILD_DIGEST", None)
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE, str(repo)], capture_output=True, text=True, env=env,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Downloading" not in done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_scaffold_codemeta_is_written_offline_stable_and_valid(tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    empty = tmp_path / "tmp"  # codemetapy's default cache: it must neither read nor fill it
    empty.mkdir()
    first = run_offline(repo, empty, "1")
    path = repo / "codemeta.json"
    assert first["codemeta"] == str(path) and first["codemeta_changed"] is True
    text = path.read_bytes()
    again = run_offline(repo, empty, "2")  # another hash seed: same bytes, file untouched
    assert again["codemeta_changed"] is False and path.read_bytes() == text
    assert list(empty.iterdir()) == []

    doc = json.loads(text)
    assert sorted(doc["@context"]) == sorted(CONTEXT_FILES)
    assert doc["@type"] == "SoftwareSourceCode"
    cff = (repo / "CITATION.cff").read_text()
    assert doc["name"] == re.search(r'^title: "(.*)"$', cff, re.M).group(1)
    assert doc["version"] == "0.1.0"
    assert doc["license"] == "http://spdx.org/licenses/Apache-2.0"
    url = "https://gitlab.cern.ch/cms-analysis/example/columnar-snakemake"
    assert doc["@id"] == doc["codeRepository"] == url  # repository-code of CITATION.cff
    (author,) = doc["author"]
    assert (author["givenName"], author["familyName"]) == ("Jane", "Analyst")
    pyproject = (repo / "pyproject.toml").read_text()
    deps = re.findall(
        r'^  "([A-Za-z0-9_.-]+)[<>=]',
        pyproject.split("dependencies = [", 1)[1].split("]", 1)[0],
        re.M,
    )
    assert [d["name"] for d in doc["softwareRequirements"]] == deps
    when = git(repo, "show", "-s", "--format=%cI", "HEAD").strip()
    assert doc["dateModified"] == when
    assert validate_codemeta(doc) == []


def record(**code: object) -> Record:
    base = {"repository": "https://gitlab.cern.ch/cms/dimuon", "license": "MIT OR Apache-2.0",
            "version": "1.2.0", "doi": "10.5281/zenodo.1234567", "title": "Dimuon spectrum",
            "keywords": ("CMS", "dimuon")}  # fmt: skip
    return Record(
        name="Dimuon spectrum", code=Code(**{**base, **code}), software=Software(python="3.12")
    )  # type: ignore[arg-type]


def test_authors_entities_orcids_and_license_expressions() -> None:
    authors = (
        Person("Ana María de la Cruz", given_names="Ana María", family_names="de la Cruz",
               orcid="https://orcid.org/0000-0002-1825-0097", affiliation="CERN"),
        Person("CMS Collaboration"),
    )  # fmt: skip
    doc = build_codemeta(record(authors=authors))
    person, entity = doc["author"]  # the order of CITATION.cff, not codemetapy's by name
    assert (person["position"], entity["position"]) == (1, 2)
    assert person["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert (person["givenName"], person["familyName"]) == ("Ana María", "de la Cruz")  # not parsed
    assert person["affiliation"]["name"] == "CERN"
    assert entity["@type"] == "Organization" and entity["name"] == "CMS Collaboration"
    assert sorted(doc["license"]) == [
        "http://spdx.org/licenses/Apache-2.0", "http://spdx.org/licenses/MIT",
    ]  # fmt: skip
    assert doc["identifier"] == "https://doi.org/10.5281/zenodo.1234567"
    assert doc["keywords"] == ["CMS", "dimuon"]
    assert doc["runtimePlatform"] == "Python 3.12"
    assert validate_codemeta(doc) == []


def test_missing_pieces_are_left_out_not_invented() -> None:
    doc = build_codemeta(Record(name="bare"))
    assert {"author", "license", "version", "codeRepository", "identifier"}.isdisjoint(doc)
    assert "@id" not in doc and doc["name"] == "bare"
    assert validate_codemeta(doc) == []


def test_validation_names_unknown_terms_types_and_contexts() -> None:
    doc = json.loads(codemeta_json(record()))
    assert validate_codemeta({**doc, "colour": "blue"}) == [
        "the document: `colour` is not a CodeMeta term"
    ]
    typed = validate_codemeta({**doc, "@type": "Analysis"})
    assert typed == ["the document: type `Analysis` is not defined"]
    nested = {**doc, "author": [{"@type": "Person", "nmae": "x"}]}
    assert validate_codemeta(nested) == ["author[0]: `nmae` is not a CodeMeta term"]
    foreign = validate_codemeta({**doc, "@context": [*doc["@context"], "https://example.org/ctx"]})
    assert foreign[0] == "`@context` 'https://example.org/ctx' is not a shipped context"
    assert any("JSON-LD expansion failed" in p for p in foreign)  # and nothing was fetched


@pytest.mark.parametrize("flag", ["--no-codemeta", "--dry-run"])
def test_no_codemeta_file_without_asking(tmp_path: Path, flag: str) -> None:
    from hepci.cli import main

    repo = new_repo(tmp_path)
    assert main(["metadata", str(repo), flag]) == 0
    assert not (repo / "codemeta.json").exists()
