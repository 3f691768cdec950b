"""The CI model (hepci.core.cimodel) and following local includes (hepci.core.cilocal)."""

from __future__ import annotations

from hepci.core.cilocal import deep_merge, follow_local_includes, glob_regex
from hepci.core.cimodel import ci_config, header_defaults, interpolate
from hepci.core.yamledit import Reference, parse_text

CI = """\
include:
  - local: /ci/base.yml
  - project: group/templates
    ref: v1.2.0
    file: [/a.yml, /b.yml]
  - remote: https://example.org/x.yml
    integrity: sha256-abc
  - template: Security/SAST.gitlab-ci.yml
  - component: $CI_SERVER_FQDN/hepci/hepci/image-build@0.1.0
    inputs:
      job-name: build
  - artifact: generated.yml
    job: generator
  - project: group/old
    file: /c.yml
    with: {a: 1}
image: python:3.12
stages: [build, test]
variables:
  A: "1"
.base:
  script: [echo]
test:
  extends: [.base, .other]
  stage: test
  needs: [build, {job: lint}]
  after_script:
    - !reference [.base, script]
"""


def test_includes_are_normalized_with_positions() -> None:
    config = ci_config(parse_text(CI, ".gitlab-ci.yml"))
    kinds = [(i.kind, i.location, i.ref, i.files) for i in config.includes]
    assert kinds == [
        ("local", "/ci/base.yml", None, ("/ci/base.yml",)),
        ("project", "group/templates", "v1.2.0", ("/a.yml", "/b.yml")),
        ("remote", "https://example.org/x.yml", None, ("https://example.org/x.yml",)),
        ("template", "Security/SAST.gitlab-ci.yml", None, ("Security/SAST.gitlab-ci.yml",)),
        (
            "component",
            "$CI_SERVER_FQDN/hepci/hepci/image-build",
            "0.1.0",
            ("$CI_SERVER_FQDN/hepci/hepci/image-build",),
        ),
        ("artifact", "generated.yml", None, ("generated.yml",)),
        ("project", "group/old", None, ("/c.yml",)),
    ]
    project, remote, component = config.includes[1], config.includes[2], config.includes[4]
    assert project.ref_node is not None and project.ref_node.start.lineno == 4
    assert remote.integrity == "sha256-abc"
    assert component.component_project == "hepci/hepci"
    assert component.component_name == "image-build"
    assert dict(component.inputs) == {"job-name": "build"}
    node = component.input_node("job-name")
    assert node is not None and (node.start.lineno, node.start.colno) == (11, 17)
    assert config.includes[5].job == "generator"
    assert config.includes[6].uses_with and dict(config.includes[6].inputs) == {"a": 1}


def test_short_form_includes() -> None:
    one = ci_config(parse_text("include: ci/x.yml\n"))
    assert [(i.kind, i.location, i.short_form) for i in one.includes] == [
        ("local", "ci/x.yml", True)
    ]
    many = ci_config(parse_text("include: [a.yml, 'https://h/x.yml']\n"))
    assert [i.kind for i in many.includes] == ["local", "remote"]
    single = ci_config(parse_text("include:\n  project: g/p\n  file: x.yml\n"))
    assert [(i.kind, i.files) for i in single.includes] == [("project", ("x.yml",))]


def test_jobs_globals_extends_and_references() -> None:
    config = ci_config(parse_text(CI, ".gitlab-ci.yml"))
    assert list(config.jobs) == [".base", "test"]
    assert config.jobs[".base"].hidden and not config.jobs["test"].hidden
    test = config.jobs["test"]
    assert test.extends == (".base", ".other")
    assert test.stage == "test"
    assert test.needs == ("build", "lint")
    key = test.key("stage")
    assert key is not None and key.start.lineno == 25
    assert [g.name for g in config.deprecated_globals] == ["image"]
    assert config.stages == ["build", "test"]
    assert config.variables == {"A": "1"}
    assert [(u.job, u.target, u.node.start.lineno) for u in config.extends_uses] == [
        ("test", ".base", 24),
        ("test", ".other", 24),
    ]
    assert [(r.path, r.job, r.node.start.lineno) for r in config.references] == [
        ((".base", "script"), "test", 28)
    ]
    assert test.get("after_script") == [Reference((".base", "script"))]


def test_header_defaults_and_interpolation() -> None:
    text = "spec:\n  inputs:\n    n: {type: number, default: 3}\n    s: {default: x}\n    r: {}\n---\nj:\n  script: [echo]\n"
    yaml_file = parse_text(text)
    assert header_defaults(yaml_file) == {"n": 3, "s": "x"}
    assert ci_config(yaml_file).jobs["j"].get("script") == ["echo"]
    values = {"n": 3, "flag": False, "job": "build"}
    data = {
        "$[[ inputs.job ]]-x": {
            "parallel": "$[[ inputs.n ]]",
            "allow_failure": "$[[ inputs.flag ]]",
        }
    }
    assert interpolate(data, values) == {"build-x": {"parallel": 3, "allow_failure": False}}
    assert (
        interpolate("a $[[ inputs.n ]] b $[[ inputs.flag | expand_vars ]]", values) == "a 3 b false"
    )
    assert interpolate("$[[ inputs.missing ]]", values) == "$[[ inputs.missing ]]"


def test_follow_local_includes() -> None:
    files = {
        "ci/base.yml": b"include: ci/deeper.yml\n.base:\n  variables: {A: '1', B: '2'}\n",
        "ci/deeper.yml": b"include: ci/base.yml\n.deep:\n  script: [deep]\n",
        "ci/jobs/one.yml": b".one:\n  script: [one]\n",
        "ci/jobs/two.yml": b".two:\n  script: [two]\n",
        "ci/jobs/sub/three.yml": b".three:\n  script: [three]\n",
    }
    root = parse_text(
        "include:\n  - local: /ci/base.yml\n  - local: ci/jobs/*.yml\n  - local: missing.yml\n"
        "  - local: notes.txt\n  - local: $DIR/x.yml\n  - project: g/p\n    file: x.yml\n"
        ".base:\n  variables: {B: '3'}\njob:\n  extends: .base\n  script: [x]\n",
        ".gitlab-ci.yml",
    )
    tree = follow_local_includes(
        root, files.get, glob=lambda pattern: sorted(files), root_path=".gitlab-ci.yml"
    )
    assert [f.path for f in tree.files] == [
        ".gitlab-ci.yml",
        "ci/base.yml",
        "ci/deeper.yml",
        "ci/jobs/one.yml",
        "ci/jobs/two.yml",
    ]
    assert [(p.path, p.kind) for p in tree.problems] == [
        ("ci/base.yml", "cycle"),  # base -> deeper -> base: GitLab loops until 150 includes
        ("missing.yml", "missing"),
        ("notes.txt", "not-yaml"),
    ]
    assert [i.location for _, i in tree.unresolved] == ["$DIR/x.yml"]
    assert [(src, i.kind) for src, i in tree.external] == [(".gitlab-ci.yml", "project")]
    # The including file wins, hashes deep-merge; extends merges the parent in.
    assert tree.job_data(".base") == {"variables": {"A": "1", "B": "3"}}
    assert tree.resolved_job("job") == {
        "variables": {"A": "1", "B": "3"},
        "extends": ".base",
        "script": ["x"],
    }
    assert set(tree.hidden_jobs()) == {".base", ".deep", ".one", ".two"}


def test_missing_wildcard_support_and_glob_semantics() -> None:
    root = parse_text("include: 'ci/*.yml'\n", ".gitlab-ci.yml")
    tree = follow_local_includes(root, lambda p: None)
    assert [(p.path, p.kind) for p in tree.problems] == [("ci/*.yml", "no-glob")]
    assert glob_regex("ci/*.yml").fullmatch("ci/a.yml")
    assert not glob_regex("ci/*.yml").fullmatch("ci/sub/a.yml")
    assert glob_regex("ci/**.yml").fullmatch("ci/sub/a.yml")
    assert glob_regex("ci/**/*.yml").fullmatch("ci/a.yml")
    assert deep_merge({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": 3}, "l": [2]}) == {
        "a": {"b": 3, "c": 2},
        "l": [2],
    }
