"""``project.ci_lint`` against the double: GitLab's answers for valid and invalid configurations."""

from __future__ import annotations

import gitlab
import pytest
import yaml
from gitlab_double import World
from gitlab_double.cilint import lint

# libyaml (what GitLab's Psych uses too) words it like GitLab; pure-Python PyYAML differs
FLOW_ERROR = (
    "(<unknown>): did not find expected ',' or ']' while parsing a flow sequence at line 2"
    if yaml.__with_libyaml__
    else "(<unknown>): expected ',' or ']'"
)


def lint_project(world: World) -> int:
    return next(p.id for p in world.projects if p.access == "member" and not p.empty)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("job:\n  script: [true\n", FLOW_ERROR),
        ("- just\n- a list\n", "Invalid configuration format"),
        (
            "build:\n  stage: build\n  image: alpine\n",
            "jobs:build config should implement the script:, run:, or trigger: keyword",
        ),
        (
            "build:\n  script: [make]\n  scirpt: [x]\n",
            "jobs:build config contains unknown keys: scirpt",
        ),
        ("build: echo hi\n", "jobs:build config should be a hash"),
        (
            "stages: [build]\ntest:\n  stage: test\n  script: [pytest]\n",
            "test job: chosen stage test does not exist",
        ),
        ("variables:\n  A: 1\n", "jobs config should contain at least one visible job"),
        ("job:\n  extends: .missing\n  script: [x]\n", "job: unknown keys in `extends` (.missing)"),
        (
            "include:\n  - project: nobody/nothing\n    file: /x.yml\n",
            "Project `nobody/nothing` not found or access denied!",
        ),
        (
            'include:\n  - project: hepci/hepci\n    ref: "9.9.9"\n    file: /ci-templates/image-build.yml\n',
            "Project `hepci/hepci` reference `9.9.9` does not exist!",
        ),
    ],
)
def test_invalid_configurations(
    reader: gitlab.Gitlab, gitlab_world: World, content: str, error: str
) -> None:
    project = reader.projects.get(lint_project(gitlab_world), lazy=True)
    result = project.ci_lint.create({"content": content})
    assert result.valid is False
    assert any(e.startswith(error) for e in result.errors), result.errors
    with pytest.raises(gitlab.GitlabCiLintError):
        project.ci_lint.validate({"content": content})


def test_valid_configurations_resolve_template_includes(
    reader: gitlab.Gitlab, gitlab_world: World
) -> None:
    project = reader.projects.get(lint_project(gitlab_world), lazy=True)
    for ref, jobs in (
        ("0.1.0", ["image-build", "python-tests"]),
        ("0.0.9", ["image-build", "python-tests"]),
    ):
        content = f"""include:
  - project: hepci/hepci
    ref: "{ref}"
    file: /ci-templates/image-build.yml
    inputs:
      image_name: registry.example.org/a/b
  - project: hepci/hepci
    ref: "{ref}"
    file: [/ci-templates/python-tests.yml]
"""
        result = project.ci_lint.create({"content": content, "include_jobs": True})
        assert result.valid is True, result.errors
        assert [j["name"] for j in result.jobs] == jobs
        assert "registry.example.org/a/b:$CI_COMMIT_SHORT_SHA" in result.merged_yaml
    snakemake_at_old_tag = project.ci_lint.create(
        {
            "content": "include:\n  - project: hepci/hepci\n    ref: '0.0.9'\n    file: /ci-templates/snakemake.yml\n"
        }
    )
    assert snakemake_at_old_tag.valid is False  # the file appeared in 0.1.0
    unknown_input = project.ci_lint.create(
        {
            "content": "include:\n  - project: hepci/hepci\n    ref: '0.1.0'\n    file: /ci-templates/reana.yml\n    inputs: {nope: 1}\n"
        }
    )
    assert unknown_input.errors == [
        "`/ci-templates/reana.yml`: unknown input name provided: `nope`"
    ]


def test_every_generated_project_lints_as_expected(gitlab_world: World) -> None:
    """Generated archetypes are valid CI (kaniko's ``extends`` resolves through the include)."""
    state = gitlab_world.state
    owner = next(u for u in state.users.values() if u.username == "owner")
    checked = 0
    for spec in gitlab_world.projects:
        if spec.kind in {"corpus", "empty", "no-ci"} or ".gitlab-ci.yml" not in spec.files:
            continue
        project = state.projects[spec.id]
        head = project.repo.resolve(spec.default_branch)
        assert head is not None
        result = lint(state.blobs[head.files[".gitlab-ci.yml"]].decode(), state, project, owner)
        assert result.errors == [], (spec.kind, result.errors)
        checked += 1
    assert checked > 10


@pytest.mark.corpus
def test_corpus_files_parse_or_fail_with_one_line(corpus_dir: object, gitlab_world: World) -> None:
    from pathlib import Path

    state = gitlab_world.state
    project = state.projects[lint_project(gitlab_world)]
    files = sorted(p for p in Path(str(corpus_dir)).iterdir() if p.suffix in {".yml", ".yaml"})
    assert files
    valid = 0
    for path in files:
        result = lint(path.read_text(encoding="utf-8", errors="replace"), state, project, None)
        assert all("\n" not in e for e in result.errors), path.name
        valid += not result.errors
    assert valid > len(files) // 2


def test_get_lint_reads_the_project_file(reader: gitlab.Gitlab, gitlab_world: World) -> None:
    spec = next(
        p for p in gitlab_world.projects
        if p.access == "member" and p.kind.startswith("kaniko-cern") and not p.archived
    )  # fmt: skip
    result = reader.projects.get(spec.id, lazy=True).ci_lint.get()
    assert result.valid is True
    assert {"type": "file", "location": "kaniko-image.gitlab-ci.yml",
            "extra": {"project": "ci-tools/container-image-ci-templates", "ref": None}} in result.includes  # fmt: skip
