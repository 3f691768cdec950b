"""Fill a double with a realistic, seeded GitLab group of N analysis projects.

``build_world(n, seed)`` creates group ``hep`` (subgroups ``analyses``, ``analyses/higgs``,
``analyses/top``, ``tools``, ``restricted``, ``secret``), the templates project
``hepci/hepci`` (tags ``0.0.9``, ``0.1.0``, branch ``main``), CERN's kaniko templates project, users
with tokens, and N projects drawn from the archetypes in :data:`KINDS`. The returned
:class:`World` lists each project's ground truth (:class:`ProjectSpec`) so tests can check what an
audit finds without hard-coding results.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from gitlab_double import contents as c
from gitlab_double.model import (
    DEVELOPER,
    EPOCH_2024,
    GUEST,
    MAINTAINER,
    OWNER,
    REPORTER,
    Group,
    Pipeline,
    Project,
    ProtectedBranch,
    State,
)

CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
BOT = ("hepci bot", "hepci-bot@example.org")


@dataclass(frozen=True)
class Tokens:
    owner: str = "glpat-owner-000000000000"  # Owner of ``hep``: sees everything
    writer: str = "glpat-writer-00000000000"  # api scope, Developer on analyses and tools
    reader: str = "glpat-reader-00000000000"  # read_api scope, Reporter on analyses and tools
    outsider: str = "glpat-outsider-000000000"  # api scope, no membership
    job: str = "glcbt-job-000000000000000"  # CI_JOB_TOKEN of a job run by ``writer``


@dataclass
class ProjectSpec:
    id: int
    full_path: str
    kind: str
    default_branch: str | None
    archived: bool = False
    empty: bool = False
    protected_default: bool = False
    access: str = "member"  # member | no-code (listed, code 403) | hidden (404)
    template_ref: str | None = None
    dockerfile_from: str | None = None
    files: tuple[str, ...] = ()


@dataclass
class World:
    state: State
    root: Group
    tokens: Tokens
    templates: Project
    projects: list[ProjectSpec] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[ProjectSpec]:
        return [p for p in self.projects if p.kind == kind]


# archetype -> weight
KINDS: dict[str, int] = {
    "corpus": 20, "hepci-0.1.0": 10, "hepci-0.0.9": 10, "hepci-branch": 4, "hepci-noref": 4,
    "kaniko-cern": 10, "kaniko-handwritten": 6, "docker-image-build": 5, "dind-privileged": 5,
    "no-tests": 6, "python-tests": 5, "snakemake": 5, "reana": 4, "no-ci": 4, "empty": 2,
}  # fmt: skip
TOPICS = ("higgs", "ttbar", "dimuon", "jets", "bphys", "susy", "zprime", "lumi", "trigger", "tau")


def corpus_texts(corpus_dir: Path | None) -> list[bytes]:
    folder = CORPUS_DIR if corpus_dir is None else corpus_dir
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix in {".yml", ".yaml"})
    return [p.read_bytes() for p in files]  # as stored: some are UTF-16 or CRLF


def _templates(state: State) -> tuple[Project, Project]:
    hepci = state.add_group("hepci", visibility="public")
    templates = state.add_project(hepci, "hepci", visibility="public", created_at=EPOCH_2024)
    repo = templates.repo
    files = {p: t.encode() for p, t in c.TEMPLATE_FILES.items()}
    first = {k: v for k, v in files.items() if "image-build" in k or "python-tests" in k}
    repo.commit_files(
        "main", {"README.md": b"# hepci\n", **first}, "Templates 0.0.9", BOT, EPOCH_2024
    )
    repo.tags["0.0.9"] = (repo.branches["main"], "0.0.9")
    repo.commit_files("main", files, "Templates 0.1.0", BOT, EPOCH_2024 + 86_400)
    repo.tags["0.1.0"] = (repo.branches["main"], "0.1.0")
    ci_tools = state.add_group("ci-tools", visibility="public")
    kaniko = state.add_project(ci_tools, "container-image-ci-templates", visibility="public")
    kaniko.default_branch_name = "master"
    kaniko.repo.commit_files(
        "master",
        {"kaniko-image.gitlab-ci.yml": c.KANIKO_TEMPLATE.encode()},
        "kaniko",
        BOT,
        EPOCH_2024,
    )
    return templates, kaniko


def _files_for(
    kind: str, name: str, rng: random.Random, corpus: list[bytes]
) -> tuple[dict[str, str | bytes], str | None, str | None]:
    """(files, template ref, Dockerfile base) for one archetype."""
    files: dict[str, str | bytes] = {"README.md": c.readme(name)}
    ref: str | None = None
    base: str | None = None
    if kind == "corpus":
        files[".gitlab-ci.yml"] = rng.choice(corpus)
    elif kind.startswith("hepci-"):
        ref = {"hepci-0.1.0": "0.1.0", "hepci-0.0.9": "0.0.9", "hepci-branch": "main"}.get(kind)
        files[".gitlab-ci.yml"] = c.hepci_ci(ref, with_tests=rng.random() < 0.7)
        if rng.random() < 0.5:
            files[".hepci.toml"] = c.HEPCI_TOML
    else:
        ci = {
            "kaniko-cern": c.KANIKO_CERN_CI, "kaniko-handwritten": c.KANIKO_HANDWRITTEN_CI,
            "docker-image-build": c.DOCKER_IMAGE_BUILD_CI, "dind-privileged": c.DIND_CI,
            "no-tests": c.PYTHON_NO_TESTS_CI, "python-tests": c.PYTHON_TESTS_CI,
            "snakemake": c.SNAKEMAKE_CI, "reana": c.REANA_CI,
        }.get(kind)  # fmt: skip
        if ci:
            files[".gitlab-ci.yml"] = ci
    if kind.startswith(("hepci-", "kaniko-", "docker-", "dind-")) or rng.random() < 0.2:
        base = rng.choice(c.DOCKERFILE_BASES)
        files["Dockerfile"] = c.dockerfile(base)
        if rng.random() < 0.3:
            files[".dockerignore"] = c.DOCKERIGNORE
    if kind in {"no-tests", "python-tests"} or kind.startswith("hepci-") or rng.random() < 0.3:
        files["pyproject.toml"] = c.pyproject(name)
        files["src/analysis/__init__.py"] = c.ANALYSIS_PY
    if kind == "python-tests" or (kind.startswith("hepci-") and rng.random() < 0.6):
        files["tests/test_analysis.py"] = c.TEST_PY
    if kind == "snakemake":
        files[rng.choice(("Snakefile", "workflow/Snakefile"))] = c.SNAKEFILE
    if kind == "reana":
        files["reana.yaml"] = c.REANA_YAML
        files["code/analysis.py"] = c.ANALYSIS_PY
    if rng.random() < 0.7:
        files["LICENSE"] = c.LICENSE
    if rng.random() < 0.6:
        files[".gitignore"] = c.GITIGNORE
    if rng.random() < 0.15:
        files["CITATION.cff"] = c.citation(name)
    return files, ref, base


def _fill_repo(
    project: Project, files: dict[str, str | bytes], rng: random.Random, when: int
) -> None:
    repo, branch = project.repo, project.default_branch_name
    data = {p: t if isinstance(t, bytes) else t.encode() for p, t in files.items()}
    repo.commit_files(branch, {"README.md": data["README.md"]}, "Initial commit", BOT, when)
    when += rng.randrange(3_600, 30 * 86_400)
    repo.commit_files(branch, data, "Add analysis code and CI", BOT, when)
    if ".gitlab-ci.yml" in files and rng.random() < 0.4:
        when += rng.randrange(3_600, 30 * 86_400)
        tweaked = data[".gitlab-ci.yml"] + b"\n# tweak\n"
        repo.commit_files(branch, {".gitlab-ci.yml": tweaked}, "Tweak CI", BOT, when)
    if rng.random() < 0.2:
        repo.tags["v1.0"] = (repo.branches[branch], "First release")
    project.last_activity_at = when


def _groups(state: State) -> tuple[Group, list[Group], Group, Group]:
    root = state.add_group("hep", visibility="internal")
    analyses = state.add_group("analyses", root, "internal")
    tools = state.add_group("tools", root, "internal")
    member_groups = [
        analyses, state.add_group("higgs", analyses, "internal"),
        state.add_group("top", analyses, "internal"), tools,
    ]  # fmt: skip
    restricted = state.add_group("restricted", root, "internal")
    secret = state.add_group("secret", root, "private")
    return root, member_groups, restricted, secret


def build_world(n_projects: int = 50, seed: int = 0, corpus_dir: Path | None = None) -> World:
    """A deterministic world for ``seed``; ``corpus_dir`` defaults to ../shared/corpus if present."""
    rng = random.Random(seed)
    state = State()
    tokens = Tokens()
    owner, writer = state.add_user("owner"), state.add_user("writer")
    reader, outsider = state.add_user("reader"), state.add_user("outsider")
    state.add_token(tokens.owner, owner, ("api",))
    state.add_token(tokens.writer, writer, ("api",))
    state.add_token(tokens.reader, reader, ("read_api",))
    state.add_token(tokens.outsider, outsider, ("api",))
    templates, _ = _templates(state)
    root, member_groups, restricted, secret = _groups(state)
    root.members[owner.id] = OWNER
    for group in (member_groups[0], member_groups[3]):
        group.members.update({writer.id: DEVELOPER, reader.id: REPORTER})
    restricted.members.update({writer.id: GUEST, reader.id: GUEST})
    corpus = corpus_texts(corpus_dir)
    # The structure of the world (kinds, groups, access, protection…) comes from `rng` alone and
    # is the same with or without ../shared/corpus; contents come from a per-project generator,
    # so the corpus changes only what the "corpus" projects contain.
    kinds, weights = list(KINDS), list(KINDS.values())
    world = World(state, root, tokens, templates)
    for index in range(n_projects):
        kind = rng.choices(kinds, weights)[0]
        roll = rng.random()
        if roll < 0.02 or index % 50 == 10:
            access = "no-code"
        elif roll < 0.04 or index % 50 == 20:
            access = "hidden"
        else:
            access = "member"
        group = {"no-code": restricted, "hidden": secret}.get(access) or rng.choice(member_groups)
        name = f"{rng.choice(TOPICS)}-{kind.split('-')[0]}-{index:04d}"
        visibility = "private" if access != "member" or rng.random() < 0.3 else "internal"
        project = state.add_project(
            group, name, visibility=visibility,
            default_branch_name="master" if rng.random() < 0.2 else "main",
            created_at=EPOCH_2024 + index * 600, mirror=rng.random() < 0.03,
        )  # fmt: skip
        spec = ProjectSpec(project.id, project.full_path, kind, None, access=access)
        if kind == "corpus" and not corpus:
            spec.kind = kind = "no-tests"  # same structure, a built-in CI file instead
        if kind != "empty":
            contents_rng = random.Random(f"{seed}/{index}")
            files, spec.template_ref, spec.dockerfile_from = _files_for(
                kind, name, contents_rng, corpus
            )
            _fill_repo(project, files, contents_rng, EPOCH_2024 + index * 600)
            spec.files = tuple(sorted(files))
            spec.default_branch = project.default_branch_name
            if rng.random() < 0.7:
                spec.protected_default = True
                project.protected.append(
                    ProtectedBranch(state.new_id(), project.default_branch_name)
                )
            _pipelines(state, project, rng)
        else:
            spec.empty = True
        if rng.random() < 0.08:
            project.archived = spec.archived = True
        world.projects.append(spec)
    job_project = next((p for p in world.projects if p.access == "member" and not p.empty), None)
    if job_project is not None:
        state.add_job_token(tokens.job, writer, state.projects[job_project.id])
    return world


def _pipelines(state: State, project: Project, rng: random.Random) -> None:
    branch = project.default_branch_name
    head = project.repo.branches[branch]
    for iid in range(1, max(2, rng.randrange(1, 4))):
        status = rng.choice(("success", "success", "failed", "canceled"))
        pid = state.new_id()
        when = project.last_activity_at + iid * 60
        state.pipelines[pid] = Pipeline(pid, iid, project.id, branch, head, status, when)


def protect(project: Project, name: str, push: int = MAINTAINER) -> None:
    """Protect branch (or wildcard) ``name`` with push level ``push`` (0 = no one)."""
    project.protected.append(ProtectedBranch(0, name, push))
