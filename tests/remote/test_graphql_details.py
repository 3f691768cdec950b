"""GL001/GL002 in group audits from the batched GraphQL requests alone (no ``--details``).

Branch protection comes from ``Project.branchRules`` (+ ``userPermissions.adminProject``: GitLab
shows branch rules to Maintainers only), the latest pipeline from the default branch's HEAD
commit (``tree { lastCommit { pipelines(first: 1) } }``). Ground truth is read from the
double's state, the way its REST API answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitlab_double import graphql_api
from gitlab_double.model import Pipeline, Project, ProtectedBranch, State
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.cli import main
from hepci.gitlab.graphql import RULES_PAGE, BlobFetcher, _protection
from hepci.gitlab.model import ref_matches

GRAPHQL = "POST /api/graphql"
LISTING = "GET /groups/:id/projects"
BRANCH = "GET /projects/:id/repository/branches/:branch"
PIPELINES = "GET /projects/:id/pipelines"
REST_DETAILS = {BRANCH, PIPELINES, "GET /projects/:id/protected_branches"}
UNKNOWN_PROTECTION = (
    "branch protection is unknown: GitLab shows branch rules to Maintainers only"
    " (--details reads it with REST)"
)

Statuses = dict[str, dict[str, tuple[str, Any]]]  # project -> rule -> (status, skip reason)


def arrange(world: World) -> dict[str, str]:
    """Four audited projects with known settings: role -> full path."""
    state = world.state
    specs = [p for p in world.projects if p.access == "member" and not (p.archived or p.empty)]
    unprotected, exact, wildcard, failing = (state.projects[s.id] for s in specs[:4])
    # only a rule for other branches (and GitLab's "All branches" pseudo-rule) remain
    unprotected.protected[:] = [ProtectedBranch(state.new_id(), "release/*")]
    exact.protected[:] = [ProtectedBranch(state.new_id(), exact.default_branch_name)]
    assert wildcard.default_branch_name in ("main", "master")
    wildcard.protected[:] = [ProtectedBranch(state.new_id(), "ma*")]
    failing.protected[:] = [ProtectedBranch(state.new_id(), failing.default_branch_name)]
    for project in (unprotected, exact, wildcard):
        add_head_pipeline(state, project, "success")
    add_head_pipeline(state, failing, "failed")
    roles = {"unprotected": unprotected, "exact": exact, "wildcard": wildcard, "failing": failing}
    return {role: project.full_path for role, project in roles.items()}


def add_head_pipeline(state: State, project: Project, status: str) -> None:
    branch = project.default_branch_name
    pid = state.new_id()  # the highest id: the latest pipeline
    iid = 1 + sum(p.project_id == project.id for p in state.pipelines.values())
    head = project.repo.branches[branch]
    when = project.last_activity_at + 3_600
    state.pipelines[pid] = Pipeline(pid, iid, project.id, branch, head, status, when)


def truth(state: State, full_path: str) -> tuple[str, str]:
    """(GL001, GL002) as REST would decide them: protection rules, HEAD's latest pipeline."""
    project = state.find_project(full_path)
    assert project is not None
    branch = project.default_branch_name
    gl001 = "pass" if project.protection(branch) is not None else "fail"
    head = project.repo.branches[branch]
    pipes = [p for p in state.pipelines.values() if p.project_id == project.id and p.sha == head]
    latest = max(pipes, key=lambda p: p.id).status if pipes else None
    gl002 = "skip" if latest is None else ("fail" if latest == "failed" else "pass")
    return gl001, gl002


def audit(
    double: GitLabDouble, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[Statuses, dict[str, int], dict[str, Any]]:
    """``hepci audit gitlab:hep`` through the CLI; per-project GL statuses and request counts."""
    monkeypatch.setenv("GITLAB_TOKEN", token)
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "report.json"
    double.stats.reset()
    main(
        ["audit", "gitlab:hep", "--gitlab-url", double.url, "--no-cache", "--no-progress",
         "-f", f"json={out}", "--fail-on", "never", *extra]
    )  # fmt: skip
    data = json.loads(out.read_text())
    statuses = {
        project["name"]: {
            r["id"]: (r["status"], r.get("skip_reason"))
            for r in project["results"]
            if r["id"] in ("GL001", "GL002")
        }
        for project in data["projects"]
    }
    return statuses, double.stats.counts(), data


def audited_specs(world: World, *, owner: bool = True) -> list[str]:
    """Projects a group audit reads: the owner sees every one, the reader its groups' only."""
    specs = [p for p in world.projects if not (p.archived or p.empty)]
    return [p.full_path for p in specs if owner or p.access == "member"]


@pytest.mark.parametrize("connection", [True, False], ids=["projects-fullPaths", "aliases"])
def test_group_audit_reads_protection_and_pipeline_without_rest(
    fresh_double: GitLabDouble,
    fresh_world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    connection: bool,
) -> None:
    roles = arrange(fresh_world)
    facts: list[dict[str, bool]] = []
    apply_schema = BlobFetcher.apply_schema

    def shape(self: BlobFetcher, found: dict[str, bool]) -> None:
        facts.append(found)
        apply_schema(self, {**found, "connection": found["connection"] and connection})

    monkeypatch.setattr(BlobFetcher, "apply_schema", shape)
    statuses, counts, data = audit(fresh_double, fresh_world.tokens.owner, tmp_path, monkeypatch)
    assert facts and all(facts[0][k] for k in ("connection", "head", "pipeline", "protection"))
    assert not data["failures"]
    assert statuses[roles["unprotected"]]["GL001"] == ("fail", None)
    assert statuses[roles["exact"]]["GL001"] == ("pass", None)
    assert statuses[roles["wildcard"]]["GL001"] == ("pass", None)
    assert statuses[roles["failing"]]["GL002"] == ("fail", None)
    assert statuses[roles["failing"]]["GL001"] == ("pass", None)
    for role in ("unprotected", "exact", "wildcard"):
        assert statuses[roles[role]]["GL002"] == ("pass", None)
    paths = audited_specs(fresh_world)
    assert sorted(statuses) == sorted(paths)
    for path in paths:  # every audited project: never skipped, and as REST would say
        gl001, gl002 = truth(fresh_world.state, path)
        assert statuses[path]["GL001"] == (gl001, None), path
        assert statuses[path]["GL002"][0] == gl002, path
    assert not REST_DETAILS & set(counts), counts  # no per-project REST details
    assert set(counts) <= {GRAPHQL, LISTING, "GET /user", "GET /version"}, counts
    # introspection + one batch (25 projects fit), maybe one for includes; aliases: ~3 a request
    assert counts[GRAPHQL] <= (4 if connection else len(paths) - 3), counts


def test_reporter_sees_no_branch_rules_so_gl001_skips(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab hides branch rules below Maintainer: an empty list must not read "unprotected"."""
    roles = arrange(fresh_world)
    statuses, counts, _ = audit(fresh_double, fresh_world.tokens.reader, tmp_path, monkeypatch)
    assert sorted(statuses) == sorted(audited_specs(fresh_world, owner=False))
    assert {s["GL001"] for s in statuses.values()} == {("skip", UNKNOWN_PROTECTION)}
    assert statuses[roles["failing"]]["GL002"] == ("fail", None)
    assert statuses[roles["exact"]]["GL002"] == ("pass", None)
    assert not REST_DETAILS & set(counts), counts


def test_details_reads_rest_only_where_graphql_could_not_tell(
    fresh_double: GitLabDouble, fresh_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roles = arrange(fresh_world)
    owner, counts, _ = audit(
        fresh_double, fresh_world.tokens.owner, tmp_path, monkeypatch, "--details"
    )
    assert not REST_DETAILS & set(counts), counts  # GraphQL told everything
    assert owner[roles["unprotected"]]["GL001"] == ("fail", None)
    reader, counts, _ = audit(
        fresh_double, fresh_world.tokens.reader, tmp_path, monkeypatch, "--details"
    )
    assert counts[BRANCH] == len(reader)  # protection unknown to a Reporter: REST, once each
    for path, got in reader.items():
        gl001, gl002 = truth(fresh_world.state, path)
        assert got["GL001"] == (gl001, None) and got["GL002"][0] == gl002, path
    assert reader[roles["wildcard"]]["GL001"] == ("pass", None)


@pytest.mark.parametrize("introspection", [True, False])
def test_a_server_without_branch_rules_still_audits(
    fresh_double: GitLabDouble,
    fresh_world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    introspection: bool,
) -> None:
    roles = arrange(fresh_world)
    field = (
        "  branchRules(before: String, after: String, first: Int, last: Int, buildMissing: Boolean)"
        ": BranchRuleConnection\n"
    )
    assert field in graphql_api.SDL
    monkeypatch.setattr(
        graphql_api, "SCHEMA", graphql_api.build(graphql_api.SDL.replace(field, ""))
    )
    if not introspection:  # unknown fields are then dropped as the server's errors name them
        monkeypatch.setattr(BlobFetcher, "discover", lambda self: None)
    statuses, counts, data = audit(fresh_double, fresh_world.tokens.owner, tmp_path, monkeypatch)
    assert not data["failures"]
    assert sorted(statuses) == sorted(audited_specs(fresh_world))
    assert {s["GL001"] for s in statuses.values()} == {("skip", UNKNOWN_PROTECTION)}
    assert statuses[roles["failing"]]["GL002"] == ("fail", None)
    assert statuses[roles["unprotected"]]["GL002"] == ("pass", None)
    assert not REST_DETAILS & set(counts), counts


def rules(*nodes: tuple[str, bool], admin: bool = True, more: bool = False) -> dict[str, Any]:
    listed = [{"name": name, "isProtected": protected} for name, protected in nodes]
    if more:  # a full first page: there may be more rules
        listed += [{"name": f"release/{n}", "isProtected": True} for n in range(RULES_PAGE)]
        listed = listed[:RULES_PAGE]
    return {"userPermissions": {"adminProject": admin}, "branchRules": {"nodes": listed}}


def test_protection_from_branch_rules() -> None:
    pseudo = ("All branches", False)
    assert _protection("main", rules(pseudo, ("main", True))) is True
    assert _protection("main", rules(pseudo, ("ma*", True))) is True
    assert _protection("release/v1", rules(("release/*", True))) is True
    assert _protection("main", rules(pseudo, ("release/*", True))) is False
    assert _protection("main", rules(pseudo)) is False  # pseudo-rules protect nothing
    assert _protection("main", rules(("*", False))) is False
    assert _protection("main", rules(admin=False)) is None  # hidden from non-Maintainers
    assert _protection("main", rules(pseudo, admin=False, more=True)) is None
    assert _protection("main", rules(pseudo, more=True)) is None  # a later page may protect it
    assert _protection("main", rules(("main", True), more=True)) is True
    assert _protection("main", {"branchRules": None}) is None
    assert _protection(None, rules(("main", True))) is None
    assert ref_matches("feat-*-x", "feat-a/b-x") and not ref_matches("ma?n", "main")
    assert not ref_matches("main", "main2") and not ref_matches("ma*", "xmain")
