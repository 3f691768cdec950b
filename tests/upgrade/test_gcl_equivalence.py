"""gitlab-ci-local expands the files before and after an upgrade: same effective jobs.

* ``global-to-default``, ``type-to-stage``, ``ci-build-variables`` on real corpus files:
  ``--preview`` (defaults, extends, ``!reference`` expanded) gives the same jobs before and
  after (modulo the renamed variables).
* ``only-except-to-rules``: gitlab-ci-local ignores ``only``/``except`` (it lists such jobs
  in every pipeline), so the *before* side is GitLab's documented refs policy, written out
  here independently of the codemod, and the *after* side is gitlab-ci-local evaluating the
  generated ``rules`` for push (default and other branch), tag, merge request, schedule, web.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hepci.core.yamledit import parse_bytes, parse_text
from hepci.upgrade.base import UpgradeContext
from hepci.upgrade.codemods import by_id
from hepci.upgrade.engine import upgrade_file
from hepci.upgrade.versions import release_policy

pytestmark = pytest.mark.slow
GCL = shutil.which("gitlab-ci-local")
CTX = UpgradeContext(release_policy())
PREDEFINED = "CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_COMMIT_TAG,CI_COMMIT_REF_NAME"


def _repo(tmp: Path, text: str) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / ".gitlab-ci.yml").write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", "https://gitlab.example.org/g/p.git"],
        ["add", "-A"],
        ["commit", "-qm", "ci"],
    ):
        subprocess.run([*git, *args], cwd=tmp, check=True)
    return tmp


def _gcl(repo: Path, *args: str) -> str:
    assert GCL is not None
    done = subprocess.run(
        [GCL, "--no-json-schema-validation", *args],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _preview_jobs(repo: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(_gcl(repo, "--preview"))
    return {k: v for k, v in data.items() if isinstance(v, dict) and not k.startswith(".")}


def _apply(text: str, codemod: str) -> str:
    cls = by_id(codemod)
    assert cls is not None
    return upgrade_file(parse_text(text), [cls], CTX).text


@pytest.mark.skipif(GCL is None, reason="gitlab-ci-local is not installed")
@pytest.mark.parametrize(
    ("name", "codemod"),
    [
        ("pseyfert-cern-gitlab-backup__Urania__PhysFit__P2VV__.gitlab-ci.yml", "global-to-default"),
        ("cms-analysis__HiggsAnalysis-CombinedLimit__.gitlab-ci.yml", "global-to-default"),
    ],
)
def test_preview_same_jobs(name: str, codemod: str, corpus_dir: Path, tmp_path: Path) -> None:
    before = parse_bytes((corpus_dir / name).read_bytes(), name).text
    after = _apply(before, codemod)
    assert after != before
    old = _preview_jobs(_repo(tmp_path / "before", before))
    new = _preview_jobs(_repo(tmp_path / "after", after))
    assert old and old == new


def _policy_runs(policy: Any, pipeline: dict[str, str]) -> bool:
    """GitLab's ``only`` refs policy (Gitlab::Ci::Build::Policy::Refs), for list forms."""
    sources = {"merge_requests": "merge_request_event", "schedules": "schedule", "web": "web",
               "api": "api", "triggers": "trigger", "pushes": "push", "pipelines": "pipeline"}  # fmt: skip
    refs = policy if isinstance(policy, list) else [policy]
    branch, tag, source = pipeline.get("branch"), pipeline.get("tag"), pipeline["source"]
    for ref in refs:
        if ref == "branches" and branch:
            return True
        if ref == "tags" and tag:
            return True
        if sources.get(ref) == source:
            return True
        name = branch or tag
        if name and (branch or tag) and source != "merge_request_event":
            match = re.fullmatch(r"/(.+)/", ref)
            if (match and re.search(match.group(1), name)) or ref == name:
                return True
    return False


def _expected(jobs: dict[str, Any], pipeline: dict[str, str]) -> set[str]:
    out = set()
    for name, job in jobs.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        only = job.get("only", ["branches", "tags"])
        excluded = "except" in job and _policy_runs(job["except"], pipeline)
        if _policy_runs(only, pipeline) and not excluded:
            out.add(name)
    return out


PIPELINES = {
    "push-main": {"source": "push", "branch": "main"},
    "push-dev": {"source": "push", "branch": "dev"},
    "tag": {"source": "push", "tag": "v1.0"},
    "mr": {"source": "merge_request_event"},
    "schedule": {"source": "schedule", "branch": "main"},
    "web": {"source": "web", "branch": "dev"},
}
POLICY_FILE = """\
stages: [test]
a:
  script: [echo a]
  only: [main]
b:
  script: [echo b]
  only: [tags, merge_requests]
c:
  script: [echo c]
  except: [tags]
d:
  script: [echo d]
  only: [schedules, web]
e:
  script: [echo e]
  only: ['/^v\\d+/', dev]
  except: [schedules]
f:
  script: [echo f]
  only: [branches]
  except: [main]
g:
  script: [echo g]
"""


def _gcl_jobs(repo: Path, pipeline: dict[str, str]) -> set[str]:
    variables = [
        f"CI_PIPELINE_SOURCE={pipeline['source']}",
        f"CI_COMMIT_BRANCH={pipeline.get('branch', '')}",
        f"CI_COMMIT_TAG={pipeline.get('tag', '')}",
        f"CI_COMMIT_REF_NAME={pipeline.get('branch') or pipeline.get('tag') or 'feature'}",
    ]
    args = ["--list-json", "--ignore-predefined-vars", PREDEFINED]
    for variable in variables:
        args += ["--variable", variable]
    out = _gcl(repo, *args)
    jobs = json.loads(out[out.index("[") :])
    return {j["name"] for j in jobs if j.get("when") != "never"}


@pytest.mark.skipif(GCL is None, reason="gitlab-ci-local is not installed")
@pytest.mark.parametrize("corpus_name", [None, "anthony-spruyt__MQ2DotNet__.gitlab-ci.yml"])
def test_only_except_rules_match_gitlab_policy(
    corpus_name: str | None, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if corpus_name is None:
        text = POLICY_FILE
    else:
        corpus = request.getfixturevalue("corpus_dir")
        text = parse_bytes((corpus / corpus_name).read_bytes(), corpus_name).text
    after = _apply(text, "only-except-to-rules")
    assert "only:" not in after and "except:" not in after
    jobs = parse_text(text).body.data  # type: ignore[union-attr]
    # Jobs without only/except/rules are not the codemod's business (and gitlab-ci-local
    # adds them to merge-request pipelines, GitLab does not): compare the converted ones.
    converted = {n for n, j in jobs.items() if isinstance(j, dict) and {"only", "except"} & set(j)}
    assert len(converted) >= 3
    repo = _repo(tmp_path, after)
    for label, pipeline in PIPELINES.items():
        got = _gcl_jobs(repo, pipeline) & converted
        assert got == _expected(jobs, pipeline) & converted, label
