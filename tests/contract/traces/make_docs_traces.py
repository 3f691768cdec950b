"""Write the committed traces from GitLab's documented example responses (see README.md).

    .venv/bin/python tests/contract/traces/make_docs_traces.py

hepci's real client runs against the test double serving a world made to match the examples
of ``doc/api/projects.md`` (GitLab 19.0): the ``diaspora`` group (namespace id 3) with
``diaspora-client`` (id 4, public) and ``diaspora-project-site`` (id 3, private), default
branch ``main``. The REST answers that the docs show are then replaced by the documented
example bodies (``docs/*.json``, verbatim but for the ``//`` comments), the double's address
by the docs' ``https://gitlab.example.com``, and the trace is replayed once to check that hepci
reads the same files from the documented bodies as from the double's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1])]  # tests/: the double

from gitlab_double.model import OWNER, State  # noqa: E402
from gitlab_double.server import GitLabDouble  # noqa: E402

from hepci.gitlab.settings import resolve_settings  # noqa: E402
from hepci.gitlab.sources import remote_snapshots  # noqa: E402
from hepci.gitlab.trace import load, recording, scrub  # noqa: E402

HOST = "https://gitlab.example.com"  # the docs' example host
SOURCE = "gitlabhq/gitlabhq doc/api/projects.md (GitLab 19.0, commit 0ee4512ab1421c5d41080ee187e5ee7c826f3148)"
CLIENT_CI = b"""include:
  - local: ci/test.yml

stages: [build, test]

build:
  stage: build
  image: python:3.12
  script:
    - pip install .
"""
CLIENT_TEST = b"""unit:
  stage: test
  image: python:3.12
  script:
    - pytest
"""
SITE_CI = b"""pages:
  image: ruby:3.3
  script:
    - bundle exec jekyll build -d public
  artifacts:
    paths: [public]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"""


def world(*paths: str) -> tuple[State, str]:
    """The docs' ``diaspora`` group with the projects ``paths`` (each as its example says)."""
    state = State()
    user = state.add_user("diaspora")
    token = "glpat-docs-example-token-0001"
    state.add_token(token, user, ("read_api",))
    group = state.add_group("diaspora", visibility="public")
    group.id = 3
    state.groups = {3: group}
    group.members[user.id] = OWNER
    for pid, path, visibility, files in (
        (4, "diaspora-client", "public", {".gitlab-ci.yml": CLIENT_CI, "ci/test.yml": CLIENT_TEST}),
        (3, "diaspora-project-site", "private", {".gitlab-ci.yml": SITE_CI}),
    ):
        if path not in paths:
            continue
        project = state.add_project(group, path, visibility=visibility)
        del state.projects[project.id]
        project.id = pid
        state.projects[pid] = project
        readme = {"README.md": f"# {path}\n".encode()}
        project.repo.commit_files(
            "main", readme, "Initial commit", ("Diaspora", "d@example.com"), 1380548762
        )
        project.repo.commit_files(
            "main", files, "Add CI", ("Diaspora", "d@example.com"), 1380548800
        )
    return state, token


def documented(name: str) -> Any:
    return json.loads((HERE / "docs" / name).read_text())


def rewrite(entries: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """The documented bodies for the REST answers the docs show; the docs' host everywhere."""
    out = []
    for entry in entries:
        url = entry["request"]["url"]
        path = url.split("?")[0].removeprefix(base)
        if path == "/api/v4/groups/diaspora/projects":
            entry["response"]["body"] = scrub(json.dumps(documented("projects-list-example.json")))
        elif path == "/api/v4/projects/diaspora%2Fdiaspora-project-site":
            # as a recording would write it: the example's runners_token is [REDACTED]
            entry["response"]["body"] = scrub(json.dumps(documented("project-get-example.json")))
        out.append(json.loads(json.dumps(entry).replace(base, HOST)))
    return out


def files_of(run: Any) -> dict[str, dict[str, bytes]]:
    return {r.full_path: {p: f.content for p, f in r.result.files.items()} for r in run.results}


def make(name: str, target: str, state: State, token: str, expect_contains: dict[str, Any]) -> None:
    raw = Path(f"/tmp/hepci-trace-{name}.jsonl")
    with GitLabDouble(state) as double:
        settings = resolve_settings(url=double.url, token=token, env={}, concurrency=1)
        with recording(raw):
            run = remote_snapshots(target, settings)
        assert not run.failed, run.failed
        entries = rewrite(load(raw), double.url)
    raw.unlink()
    header = {
        "trace": "hepci",
        "version": 1,
        "target": target,
        "url": HOST,
        "source": SOURCE,
        "expect": {
            "files": {p: sorted(f) for p, f in files_of(run).items()},
            "skipped": sorted(s.full_path for s in run.skipped),
            "contains": expect_contains,
        },
    }
    lines = [header] + [{**e, "seq": i} for i, e in enumerate(entries, 1)]
    out = HERE / f"{name}.jsonl"
    out.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    print(f"{out.relative_to(HERE.parents[2])}: {len(entries)} exchanges")


def main() -> None:
    # the "List all projects" example shows one project of the group: the group holds that one
    state, token = world("diaspora-client")
    make("docs-diaspora-group", "gitlab:diaspora", state, token,
         {"diaspora/diaspora-client": {"ci/test.yml": r"pytest"}})  # fmt: skip
    state, token = world("diaspora-project-site")
    make("docs-diaspora-project-site", "gitlab:diaspora/diaspora-project-site", state, token,
         {"diaspora/diaspora-project-site": {".gitlab-ci.yml": r"jekyll build"}})  # fmt: skip


if __name__ == "__main__":
    main()
