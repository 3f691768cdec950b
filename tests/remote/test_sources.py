"""Remote sources on the GitLab double: group sweeps, single projects, batching, cache, shards."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.errors import ExitCode, RemoteError
from hepci.gitlab.settings import Shard
from hepci.gitlab.sources import audit_remote, remote_snapshots
from remote.helpers import expected_candidates, head_files, make_settings

GRAPHQL = "POST /api/graphql"
LISTING = "GET /groups/:id/projects"
RAW = "GET /projects/:id/repository/files/:file_path/raw"


def listed_specs(world: World) -> list:
    """Projects of ``hep`` the reader token can see (hidden ones are invisible)."""
    return [p for p in world.projects if p.access != "hidden"]


def test_group_sweep_reads_candidates_and_skips_with_reasons(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    run = remote_snapshots("gitlab:hep", make_settings(gitlab_double, gitlab_world.tokens.reader))
    specs = {p.full_path: p for p in listed_specs(gitlab_world)}
    skipped = {s.full_path: s.reason for s in run.skipped}
    audited = {r.full_path: r.result for r in run.results}
    assert not run.failed
    assert set(skipped) | set(audited) == set(specs)  # every visible project, once
    assert not set(skipped) & set(audited)
    for path, spec in specs.items():
        if spec.archived:
            assert skipped[path] == "archived"
        elif spec.empty:
            assert skipped[path] == "empty repository"
        elif spec.access == "no-code":
            assert "no access to the code" in skipped[path]
        else:
            snap = audited[path]
            got = {p: f.content for p, f in snap.files.items()}
            want = expected_candidates(gitlab_world.state, path)
            assert {p: got[p] for p in want} == want
            extra = set(got) - set(want)  # only local includes may come on top
            assert all(p in head_files(gitlab_world.state, path) for p in extra)
            assert snap.info.default_branch == spec.default_branch
    assert {"archived", "empty repository"} <= set(skipped.values())


def test_group_sweep_batches_many_projects_per_request(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    run = remote_snapshots("gitlab:hep", make_settings(gitlab_double, gitlab_world.tokens.reader))
    counts = gitlab_double.stats.counts()
    audited = len(run.results)
    assert audited > 30
    assert counts.get(RAW, 0) == 0  # no per-file REST reads when GraphQL works
    assert counts[LISTING] == math.ceil(run.stats.listed / 100)
    size = run.stats.batch_size
    assert size >= 2
    # schema probe + calibration + ceil(rest / size) + include rounds (<= 3 levels)
    assert counts[GRAPHQL] <= 2 + math.ceil((audited - 1) / size) + 3
    assert sum(counts.values()) == run.stats.total_requests
    assert sum(counts.values()) / audited < 0.5


def test_complexity_errors_shrink_the_batch(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    from hepci.gitlab.client import ClientPool
    from hepci.gitlab.graphql import BlobFetcher, Item
    from hepci.gitlab.rest import list_group_projects

    pool = ClientPool(make_settings(gitlab_double, gitlab_world.tokens.reader))
    infos = [i for i in list_group_projects(pool, "hep/analyses") or [] if i.skip_reason() is None]
    paths = ["README.md", ".gitlab-ci.yml", "LICENSE", "Dockerfile", "pyproject.toml"] * 4
    paths = [f"{p}{'' if n < 5 else '.' + str(n)}" for n, p in enumerate(paths)]  # 20 paths
    fetcher = BlobFetcher(pool, max_batch=len(infos), details=False)
    gitlab_double.stats.reset()
    result = fetcher.fetch([Item(i, paths) for i in infos[:12]], paths)
    pool.close()
    assert not result.failed
    assert set(result.files) == {i.full_path for i in infos[:12]}
    for info in infos[:12]:
        want = {
            p: c for p, c in head_files(gitlab_world.state, info.full_path).items() if p in paths
        }
        assert {p: f.content for p, f in result.files[info.full_path].items()} == want
    size = fetcher.size_for(len(paths))
    assert 1 <= size < 12  # learned from "Query has complexity of S, which exceeds ... L"
    bodies = gitlab_double.stats.counts()[GRAPHQL]
    assert bodies >= 1 + math.ceil(12 / size)


def test_rest_fallback_when_graphql_fails(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    settings = make_settings(gitlab_double, gitlab_world.tokens.reader, max_retries=1)
    gitlab_double.faults.configure(only=frozenset({GRAPHQL}), error_rate=1.0)
    run = remote_snapshots("gitlab:hep/analyses/top", settings)
    counts = gitlab_double.stats.counts()
    assert not run.failed and run.results
    assert {r.result.source for r in run.results} == {"rest"}
    assert counts.get(RAW, 0) > 0
    for r in run.results:
        got = {p: f.content for p, f in r.result.files.items()}
        want = expected_candidates(gitlab_world.state, r.full_path)
        assert {p: got[p] for p in want} == want
        assert all(f.oid for f in r.result.files.values())
    # tree listings tell which files exist: raw reads only for files that exist
    assert counts[RAW] == sum(len(r.result.files) for r in run.results)


def test_single_project_with_details(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    spec = next(
        p for p in gitlab_world.projects
        if p.access == "member" and not p.archived and not p.empty
    )  # fmt: skip
    state = gitlab_world.state
    project = state.find_project(spec.full_path)
    assert project is not None
    settings = make_settings(gitlab_double, gitlab_world.tokens.reader)
    for target in (f"gitlab:{spec.full_path}", f"{gitlab_double.url}/{spec.full_path}/-/tree/x"):
        run = remote_snapshots(target, settings)
        assert [r.full_path for r in run.results] == [spec.full_path]
        snap = run.results[0].result
        assert {p: f.content for p, f in snap.files.items()} == expected_candidates(
            state, spec.full_path
        )
        assert snap.details.head_sha == project.repo.branches[project.default_branch_name]
        assert snap.details.default_branch_protected == spec.protected_default
        pipelines = [p for p in state.pipelines.values() if p.project_id == project.id]
        latest = max(pipelines, key=lambda p: p.id).status if pipelines else None
        assert snap.details.latest_pipeline_status == latest
        meta = snap.repo().meta
        assert meta is not None and meta.head_sha == snap.details.head_sha
        assert snap.repo().files() is None  # a remote project cannot list its tree cheaply


def test_unknown_target_and_bad_token_are_typed_errors(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    with pytest.raises(RemoteError) as missing:
        remote_snapshots(
            "gitlab:hep/secret", make_settings(gitlab_double, gitlab_world.tokens.reader)
        )
    assert missing.value.status == 404 and missing.value.exit_code == ExitCode.INCOMPLETE
    assert "hep/secret" in str(missing.value)
    with pytest.raises(RemoteError) as bad:
        remote_snapshots("gitlab:hep", make_settings(gitlab_double, "glpat-not-a-real-token-42"))
    assert bad.value.status == 401
    assert "glpat-not-a-real-token-42" not in str(bad.value)


def test_warm_cache_reads_no_files_and_sees_changes(
    fresh_double: GitLabDouble, fresh_world: World, cache_dir: Path
) -> None:
    settings = make_settings(fresh_double, fresh_world.tokens.reader, cache_dir=cache_dir)
    cold = remote_snapshots("gitlab:hep", settings)
    assert cold.results and cold.stats.from_cache == 0
    fresh_double.stats.reset()
    warm = remote_snapshots("gitlab:hep", settings)
    counts = fresh_double.stats.counts()
    # the listing, and no file reads at all: one GraphQL request at most, for the projects whose
    # code the token cannot read (the group listing has no `permissions` on GitLab; such an
    # answer is never cached: a new membership does not move last_activity_at)
    no_code = {s.full_path for s in warm.skipped if "no access to the code" in s.reason}
    assert counts.get(LISTING) == 1 and counts.get("POST /api/graphql", 0) == (1 if no_code else 0)
    assert set(counts) <= {LISTING, "POST /api/graphql"}
    assert warm.stats.from_cache == len(warm.results) == len(cold.results)
    assert {r.full_path: r.result.files for r in warm.results} == {
        r.full_path: r.result.files for r in cold.results
    }
    # a push moves last_activity_at: that project, and only it, is read again
    changed = cold.results[0].full_path
    project = fresh_world.state.find_project(changed)
    assert project is not None
    project.repo.commit_files(
        project.default_branch_name,
        {"README.md": b"# changed\n"},
        "edit",
        ("a", "a@b"),
        int(time.time()),
    )
    project.last_activity_at = time.time()
    fresh_double.stats.reset()
    third = remote_snapshots("gitlab:hep", settings)
    by_path = {r.full_path: r for r in third.results}
    assert by_path[changed].source == "graphql"
    assert by_path[changed].result.files["README.md"].content == b"# changed\n"
    assert third.stats.from_cache == len(third.results) - 1


def test_shards_partition_the_group(gitlab_double: GitLabDouble, gitlab_world: World) -> None:
    base = make_settings(gitlab_double, gitlab_world.tokens.reader)
    full = remote_snapshots("gitlab:hep", base)
    everything = {r.full_path for r in full.results} | {s.full_path for s in full.skipped}
    seen: list[str] = []
    for k in (1, 2, 3):
        from dataclasses import replace

        part = remote_snapshots("gitlab:hep", replace(base, shard=Shard(k, 3)))
        names = [r.full_path for r in part.results] + [s.full_path for s in part.skipped]
        assert names  # each shard gets some of ~55 projects
        assert part.stats.listed == full.stats.listed
        seen += names
    assert sorted(seen) == sorted(everything)  # disjoint and complete


def test_audit_remote_hands_repos_and_reports_progress(
    gitlab_double: GitLabDouble, gitlab_world: World
) -> None:
    calls: list[tuple[int, int, str]] = []
    run = audit_remote(
        "gitlab:hep/tools",
        make_settings(gitlab_double, gitlab_world.tokens.reader),
        lambda repo: sorted(p for p in expected_names(repo)),
        progress=lambda done, total, name: calls.append((done, total, name)),
    )
    assert run.results and run.complete
    assert [c[0] for c in calls] == list(range(1, len(run.results) + 1))
    assert {c[2] for c in calls} == {r.full_path for r in run.results}
    for r in run.results:
        assert r.result == sorted(expected_candidates(gitlab_world.state, r.full_path))


def expected_names(repo: object) -> list[str]:
    from hepci.gitlab.candidates import CANDIDATE_FILES

    return [p for p in CANDIDATE_FILES if repo.read(p) is not None]  # type: ignore[attr-defined]


def test_projects_by_full_paths_take_many_projects_per_request(
    gitlab_double: GitLabDouble, gitlab_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hepci.gitlab.graphql import BlobFetcher

    settings = make_settings(gitlab_double, gitlab_world.tokens.reader, batch_size=25)
    connection = remote_snapshots("gitlab:hep", settings)
    counts = gitlab_double.stats.counts()
    gitlab_double.stats.reset()
    apply_schema = BlobFetcher.apply_schema

    def without_connection(self: BlobFetcher, facts: dict[str, bool]) -> None:
        apply_schema(self, {**facts, "connection": False})

    monkeypatch.setattr(BlobFetcher, "apply_schema", without_connection)
    aliases = remote_snapshots("gitlab:hep", settings)  # aliased project(fullPath:) lookups
    alias_requests = gitlab_double.stats.counts()[GRAPHQL]
    assert not connection.failed and not aliases.failed
    assert {r.full_path: r.result.files for r in connection.results} == {
        r.full_path: r.result.files for r in aliases.results
    }
    # introspection + calibration + growing batches (3, 10, 25 ...) + includes
    audited = len(connection.results)
    assert counts[GRAPHQL] < alias_requests
    assert counts[GRAPHQL] <= 3 + math.ceil(audited / 10) + 3
    assert connection.stats.batch_size == 25


def test_ci_job_token_reads_its_project_with_rest_only(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    from hepci.gitlab.settings import resolve_settings

    gitlab_double, gitlab_world = fresh_double, fresh_world
    token = gitlab_world.state.tokens[gitlab_world.tokens.job]
    project = gitlab_world.state.projects[token.job_project_id or 0]
    project.archived = False
    env = {"CI_SERVER_URL": gitlab_double.url, "CI_JOB_TOKEN": gitlab_world.tokens.job}
    settings = resolve_settings(env=env, timeout=5.0)
    assert settings.token_kind == "job"
    run = remote_snapshots(f"gitlab:{project.full_path}", settings)
    counts = gitlab_double.stats.counts()
    assert GRAPHQL not in counts  # GitLab refuses job tokens on GraphQL
    assert counts["GET /projects/:id"] == 1  # the JOB-TOKEN header was accepted there
    # GitLab (and the double) do not let a job token read files through the API
    assert [f.full_path for f in run.failed] == [project.full_path]
    assert run.failed[0].status == 401 and "token" in run.failed[0].reason
    assert gitlab_world.tokens.job not in run.failed[0].reason
