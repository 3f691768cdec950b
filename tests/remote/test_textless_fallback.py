"""Issue 11.10: a file GraphQL gives without text (``rawTextBlob`` null: UTF-16, NUL bytes) is
read with REST, file by file, never reported missing.

GitLab answers ``rawTextBlob: null`` for what it takes for binary; the double does the same.
The sweep must then read those files with ``files/:path/raw`` (the rest of the project stays
from GraphQL), follow the local includes of a UTF-16 ``.gitlab-ci.yml``, and audit it.
"""

from __future__ import annotations

import codecs
import time

from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.audit.engine import audit_repo
from hepci.gitlab.sources import audit_remote, remote_snapshots
from remote.helpers import make_settings

RAW = "GET /projects/:id/repository/files/:file_path/raw"
CI = "include:\n  - local: ci/extra.yml\nstages: [test]\nunit:\n  stage: test\n  script: [pytest]\n"
EXTRA = "lint:\n  stage: test\n  script: [ruff check .]\n"


def utf16(text: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def arrange(world: World) -> str:
    """One readable project gets a UTF-16 CI file that includes a UTF-8 one, and a README
    with a NUL byte; returns its full path."""
    spec = next(
        p for p in world.projects
        if p.access == "member" and not (p.archived or p.empty)
        and not world.state.projects[p.id].mirror and p.full_path.startswith("hep/analyses/")
    )  # fmt: skip
    project = world.state.projects[spec.id]
    project.repo.commit_files(
        project.default_branch_name,
        {".gitlab-ci.yml": utf16(CI), "ci/extra.yml": EXTRA.encode(), "README.md": b"# a\0b\n"},
        "UTF-16 CI", ("someone", "someone@example.org"), int(time.time()),
    )  # fmt: skip
    project.last_activity_at = time.time()
    return spec.full_path


def test_textless_files_are_read_with_rest_and_audited(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    path = arrange(fresh_world)
    settings = make_settings(fresh_double, fresh_world.tokens.reader)
    run = remote_snapshots("gitlab:hep/analyses", settings)
    assert not run.failed
    snap = next(r.result for r in run.results if r.full_path == path)
    assert snap.files[".gitlab-ci.yml"].content == utf16(CI)
    assert snap.files["README.md"].content == b"# a\0b\n"
    assert snap.files["ci/extra.yml"].content == EXTRA.encode()  # its include, followed
    raws = [r for r in fresh_double.stats.log if r.route == RAW]
    assert {r.path.rsplit("/files/", 1)[1] for r in raws} >= {".gitlab-ci.yml/raw", "README.md/raw"}
    other = [r for r in run.results if r.full_path != path]
    assert all(r.source == "graphql" for r in other)  # only the textless files went to REST


def test_a_utf16_ci_file_is_not_reported_missing(
    fresh_double: GitLabDouble, fresh_world: World
) -> None:
    path = arrange(fresh_world)
    settings = make_settings(fresh_double, fresh_world.tokens.reader)
    run = audit_remote(f"gitlab:{path}", settings, audit_repo)
    (report,) = [r.result for r in run.results]
    ci001 = next(r for r in report.results if r.id == "CI001")
    assert ci001.status == "pass", ci001
