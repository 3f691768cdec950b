"""Which upgrade branch ``hepci upgrade --apply`` may write to, and what to do with one that
is already there. Nothing here ever forces, resets or deletes a branch.

* **Protected branches.** When the token may read the project's protection rules (Maintainer
  or more), a rule that covers the branch (GitLab's wildcard matching: ``*``, ``hepci/*``,
  ``release-*``) means the project is skipped before any write. Below Maintainer GitLab hides
  the rules; it still refuses the pushes they forbid (403 "You are not allowed to push into
  this branch"), which is reported.
* **An existing branch** (the commit was refused with "already exists") is inspected: a
  closed merge request from it (a reviewer said no) or any commit on it that hepci did not
  make means it is reported and left alone. A commit is hepci's when its author and committer
  are the token's user **and** its message carries the ``Hepci-Upgrade:`` trailer; the branch
  is hepci's when everything it holds beyond the default branch is such commits.
  hepci's own branch is resumed only when it already holds exactly this upgrade (a run killed
  between the commit and the merge request): the merge request is opened. A stale one (the
  default branch moved on) is left for a human to delete. A branch that holds nothing beyond
  the default branch's HEAD gets the commit on top (nothing on it can be lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gitlab

from hepci.gitlab.client import ClientPool
from hepci.gitlab.model import ProjectInfo, git_blob_id, ref_matches
from hepci.gitlab.rest import walk
from hepci.upgrade.local import RepoPlan

TRAILER_KEY = "Hepci-Upgrade"
OPEN_MR, APPEND, LEAVE = "open-mr", "append", "leave"


def trailer(branch: str) -> str:
    """The trailer line hepci puts last in every upgrade commit message."""
    return f"{TRAILER_KEY}: {branch}"


@dataclass(frozen=True)
class Verdict:
    action: str  # open-mr | append | leave
    reason: str = ""


def protecting_rule(pool: ClientPool, info: ProjectInfo, branch: str) -> str | None:
    """The protected-branch rule that covers ``branch``; ``None`` when none does, or when the
    token may not read the rules (GitLab then enforces them itself)."""
    try:
        rules = list(
            walk(
                pool, f"/projects/{info.id}/protected_branches", {"per_page": 100},
                what=f"{info.full_path}: protected branches", key=lambda r: r["name"],
            )
        )  # fmt: skip
    except gitlab.exceptions.GitlabError as exc:
        if getattr(exc, "response_code", None) in (401, 403, 404):
            return None
        raise
    names = [str(rule.get("name") or "") for rule in rules if isinstance(rule, dict)]
    return next((name for name in names if ref_matches(name, branch)), None)


def _identities(user: dict[str, Any] | None) -> set[str]:
    if not user:
        return set()
    found = {user.get(key) for key in ("email", "commit_email", "public_email")}
    return {str(e).casefold() for e in found if e}


def is_ours(commit: dict[str, Any], user: dict[str, Any] | None, branch: str) -> bool:
    """Authored and committed by the token's user, with hepci's trailer for ``branch``."""
    me = _identities(user)
    author = str(commit.get("author_email") or "").casefold()
    committer = str(commit.get("committer_email") or author).casefold()
    lines = str(commit.get("message") or "").splitlines()
    return bool(me) and author in me and committer in me and trailer(branch) in lines


def _people(commits: list[dict[str, Any]]) -> str:
    names = sorted({str(c.get("author_name") or c.get("author_email") or "?") for c in commits})
    return ", ".join(names[:3]) + (" …" if len(names) > 3 else "")


def inspect_branch(
    pool: ClientPool, project: Any, info: ProjectInfo, plan: RepoPlan, branch: str
) -> Verdict:
    """What to do with ``branch``, which already exists in ``project``."""
    default = str(info.default_branch)
    closed = project.mergerequests.list(
        source_branch=branch, state="closed", per_page=1, get_all=False
    )
    if closed:
        return Verdict(
            LEAVE,
            f"merge request !{closed[0].iid} from {branch} was closed: the branch is left as "
            "it is (delete it to get a new upgrade)",
        )
    answer = pool.rest().http_get(
        f"/projects/{info.id}/repository/compare", query_data={"from": default, "to": branch}
    )
    compared: dict[str, Any] = answer if isinstance(answer, dict) else {}
    commits = [c for c in (compared.get("commits") or []) if isinstance(c, dict)]
    if not commits:
        if compared.get("compare_same_ref"):
            return Verdict(APPEND)  # the default branch's HEAD itself: nothing to lose
        return Verdict(
            LEAVE, f"{branch} exists, behind {default} and with nothing new: left as it is"
        )
    user = pool.current_user()
    foreign = [c for c in commits if not is_ours(c, user, branch)]
    if foreign:
        return Verdict(
            LEAVE,
            f"{branch} has {len(foreign)} commit(s) hepci did not make (by {_people(foreign)}):"
            " left as it is",
        )
    if _holds(project, plan, branch):
        return Verdict(OPEN_MR)
    return Verdict(
        LEAVE,
        f"{branch} holds an earlier hepci upgrade that no longer matches {default}: left as it "
        "is (delete the branch to redo it)",
    )


def _holds(project: Any, plan: RepoPlan, branch: str) -> bool:
    """Whether ``branch`` already has every file of ``plan`` as the plan would write it."""
    for outcome in plan.changed:
        try:
            head = project.files.head(outcome.path, ref=branch)
        except gitlab.exceptions.GitlabError:
            return False
        if head.get("X-Gitlab-Blob-Id") != git_blob_id(outcome.encoded()):
            return False
    return True
