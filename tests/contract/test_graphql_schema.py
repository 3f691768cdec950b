"""The vendored GraphQL schemas are faithful, consistent extracts of GitLab's reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gitlab_double import schema
from gitlab_double.schema import cut
from graphql import GraphQLObjectType, build_schema

HEADER = re.compile(r"\A<!-- .*? -->\n\n", re.S)


def vendored(version: str) -> tuple[str, str]:
    text = (schema.HERE / schema.VERSIONS[version]).read_text(encoding="utf-8")
    header = HEADER.match(text)
    assert header is not None, "the extract starts with its provenance comment"
    return header.group(0), text[header.end() :]


@pytest.mark.parametrize("version", sorted(schema.VERSIONS))
def test_extract_is_what_cut_py_keeps(version: str) -> None:
    """Cutting the extract again changes nothing: it holds exactly the selected types, fields
    and arguments in GitLab's layout (re-cut a full ``_index.md`` with ``cut.py`` to update)."""
    header, body = vendored(version)
    assert cut.cut(body, cut.SELECTIONS[version]) == body
    assert "Source: " in header and "@ " in header and f"GitLab {version}" in header


@pytest.mark.parametrize("version", sorted(schema.VERSIONS))
def test_extract_builds_a_consistent_schema(version: str) -> None:
    built = build_schema(schema.sdl(version))
    ref = schema.reference(version)
    # every name the rows reference is defined, a GraphQL built-in, or one of GitLab's scalars
    # (JobArtifactFileType is an enum in GitLab whose values were not extracted: README.md)
    assert ref.implied_scalars == {
        "BigInt", "CiJobArtifactID", "JobArtifactFileType", "JobID", "ProjectsBranchRuleID",
        "Time", "UserID",
    }  # fmt: skip
    for name, typedef in ref.types.items():
        assert name in built.type_map
        if typedef.kind == "type":
            assert typedef.fields, f"{name} has no field in the extract"
            gql_type = built.type_map[name]
            assert isinstance(gql_type, GraphQLObjectType)
            assert set(gql_type.fields) == set(typedef.fields)
    # every selected field of the 19.0 selection made it into the schema
    for key, names in cut.SELECTIONS[version].items():
        if "." in key or cut.ARGS_ALL in names:
            continue
        assert set(names) <= set(ref.types[key].fields), key


def test_older_release_differs_where_gitlab_changed() -> None:
    """Facts the two references document differently, which the double serves as they are."""
    new, old = schema.reference("19.0").types, schema.reference("17.10").types
    assert new["Tree"].fields["lastCommit"].args == {
        "path": "String", "ref": "String", "refType": "RefType",
    }  # fmt: skip
    assert old["Tree"].fields["lastCommit"].args == {}  # a plain field in 17.10
    assert new["ProjectConnection"].fields["count"].args == {"limit": "Int"}
    assert old["ProjectConnection"].fields["count"].args == {}
    blobs_doc = {v: (schema.HERE / f).read_text() for v, f in schema.VERSIONS.items()}
    assert "total size is limited to 20 MiB" in blobs_doc["19.0"]
    assert "total size is limited" not in blobs_doc["17.10"]
    # both releases have every field hepci's batched reads use
    for ref in (new, old):
        assert "fullPaths" in ref["Query"].fields["projects"].args
        assert {"branchRules", "userPermissions", "repository"} <= set(ref["Project"].fields)
        assert "isProtected" in ref["BranchRule"].fields and "pipelines" in ref["Commit"].fields


def test_parser_reads_the_full_reference_layout() -> None:
    """The reader copes with GitLab's whole file, not only with the extract: fields whose
    rows are not selected, deprecation icons, experiments and non-selected sections."""
    sample = (Path(__file__).parent / "schema_sample.md").read_text(encoding="utf-8")
    ref = schema.parse(sample)
    assert set(ref.types["Sample"].fields) == {"plain", "experimental", "paged", "withArgs"}
    assert ref.types["Sample"].fields["paged"].args == dict(schema.PAGINATION)
    assert ref.types["Sample"].fields["withArgs"].args == {"limit": "Int!"}
    kept = cut.cut(sample, {"Sample": ["plain", "withArgs"], "Sample.withArgs": []})
    assert "experimental" not in kept and "`limit`" in kept  # required arguments are kept
