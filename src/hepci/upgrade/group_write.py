"""Group mode writes: per project one branch + one atomic commit + one merge request.

Requests per changed project: the protection rules (``GET /protected_branches``: a rule
covering the upgrade branch means no write at all), ``HEAD`` of the first changed file (its
last commit id and blob id: the optimistic lock), ``POST /repository/commits`` (the branch
created from the default branch with every changed file in one commit, **never** with
``force``), ``POST /merge_requests`` (409 "already exists" counts as done). When the branch
already exists the commit is refused and :mod:`hepci.upgrade.group_branch` decides: resume
hepci's own branch, or report and leave one that holds anyone else's work. Unchanged projects
get no request at all. Every outcome goes to a JSON-lines journal first, so a killed run
resumes where it stopped.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gitlab

from hepci.errors import RemoteError
from hepci.gitlab.client import ClientPool, remote_error
from hepci.gitlab.model import Snapshot
from hepci.upgrade.group_branch import (
    APPEND,
    OPEN_MR,
    inspect_branch,
    protecting_rule,
    trailer,
)
from hepci.upgrade.local import RepoPlan

DESCRIPTION_LIMIT = 200_000
DONE = frozenset({"mr-created", "mr-exists"})


@dataclass(frozen=True)
class JournalEntry:
    project: str
    status: str  # mr-created | mr-exists | skipped | failed
    detail: str = ""
    mr: int | None = None


class Journal:
    """Append-only JSON lines, fsynced per entry; the last entry per project wins."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.entries: dict[str, JournalEntry] = {}
        if path is not None and path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = JournalEntry(**json.loads(line))
                except (ValueError, TypeError):
                    continue  # a torn last line from a killed run
                self.entries[entry.project] = entry

    def done(self, project: str) -> bool:
        entry = self.entries.get(project)
        return entry is not None and entry.status in DONE

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self.entries[entry.project] = entry
            if self.path is None:
                return
            from hepci.core.safefs import append_line  # O_APPEND|O_NOFOLLOW, fsynced, 0600

            append_line(self.path, json.dumps(asdict(entry)))


class ScopeError(RemoteError):
    """The token cannot write (no ``api`` scope): nothing was written."""


NO_SCOPE = "the token cannot write (it needs the `api` scope); nothing was written"


def check_write_scope(pool: ClientPool, probe_project: int | None) -> None:
    """Fail before any write when the token lacks the ``api`` scope.

    ``GET /personal_access_tokens/self`` lists the scopes (GitLab 15.5+). Where it is not
    available, an empty ``POST /repository/commits`` to a listed project tells: GitLab checks
    the scope before the parameters, so it answers 403 ``insufficient_scope`` or 400 (missing
    parameters) and changes nothing.
    """
    try:
        info = pool.rest().http_get("/personal_access_tokens/self")
    except gitlab.exceptions.GitlabError as exc:
        if getattr(exc, "response_code", None) == 401:
            raise ScopeError("GitLab: the token is invalid or expired", status=401) from None
        info = None
    scopes = info.get("scopes", []) if isinstance(info, dict) else []
    if scopes:
        if "api" not in scopes:
            raise ScopeError(f"{NO_SCOPE} (scopes: {', '.join(sorted(scopes))})", status=403)
        return
    if probe_project is None:
        return
    try:
        pool.rest().http_post(f"/projects/{probe_project}/repository/commits", post_data={})
    except gitlab.exceptions.GitlabError as exc:
        if "insufficient_scope" in str(getattr(exc, "error_message", "")) or (
            getattr(exc, "response_code", None) == 401
        ):
            raise ScopeError(NO_SCOPE, status=403) from None


def existing_mrs(pool: ClientPool, group: str, branch: str, single: int | None) -> dict[int, int]:
    """``{project id: MR iid}`` of open MRs from ``branch`` (one paginated listing, loop-safe)."""
    from urllib.parse import quote

    from hepci.gitlab.rest import walk

    where = f"/projects/{single}" if single is not None else f"/groups/{quote(group, safe='')}"
    query = {"state": "opened", "source_branch": branch, "per_page": 100}
    try:
        return {
            int(mr["project_id"]): int(mr["iid"])
            for mr in walk(pool, f"{where}/merge_requests", query, what=f"gitlab:{group}: MRs")
        }
    except Exception as exc:
        raise remote_error(exc, group, pool.settings) from None


def _description(plan: RepoPlan) -> str:
    lines = ["Automated upgrade by `hepci upgrade`.", "", "| Codemod | Fixes |", "|---|---|"]
    for outcome in plan.changed:
        for run in outcome.runs:
            if run.applied:
                lines.append(f"| `{run.codemod}` ({outcome.path}) | {', '.join(run.rules)} |")
    manual = [m for f in plan.files for m in f.manual]
    if manual:
        lines += ["", "**Left for a human:**", ""]
        lines += [f"- {m.rule} `{m.codemod}`: {m.message}" for m in manual[:50]]
    diff = plan.diff()
    if len(diff) > DESCRIPTION_LIMIT:
        diff = diff[:DESCRIPTION_LIMIT] + "\n... (diff truncated)\n"
    return "\n".join([*lines, "", "```diff", diff.rstrip("\n"), "```", ""])


def commit_message(plan: RepoPlan, skip_ci: bool, branch: str = "hepci/upgrade") -> str:
    """Title, codemods, maybe ``[skip ci]``, and hepci's trailer last (how hepci later tells
    its own commits from anyone else's)."""
    title = "ci: hepci upgrade (" + ", ".join(plan.rules) + ")"
    body = "Codemods: " + ", ".join(plan.codemods)
    skip = "\n\n[skip ci]" if skip_ci else ""
    return f"{title}\n\n{body}{skip}\n\n{trailer(branch)}"


def apply_project(
    pool: ClientPool, snapshot: Snapshot, plan: RepoPlan, branch: str, skip_ci: bool
) -> JournalEntry:
    """Branch + commit + MR for one changed project (4 requests)."""
    info = snapshot.info
    default = info.default_branch
    if default is None or branch == default:
        return JournalEntry(info.full_path, "skipped", "the upgrade branch is the default branch")
    try:
        rule = protecting_rule(pool, info, branch)
    except gitlab.exceptions.GitlabError as exc:
        raise remote_error(exc, info.full_path, pool.settings) from None
    if rule is not None:
        why = f"{branch} is protected (rule {rule!r}): hepci never pushes to a protected branch"
        return JournalEntry(info.full_path, "skipped", why)
    project = pool.rest().projects.get(info.id, lazy=True)
    first = plan.changed[0].path
    try:
        head = project.files.head(first, ref=default)
    except gitlab.exceptions.GitlabError as exc:
        raise remote_error(exc, info.full_path, pool.settings) from None
    fetched = snapshot.files.get(first)
    if fetched is not None and head.get("X-Gitlab-Blob-Id") not in (None, fetched.oid):
        return JournalEntry(info.full_path, "failed", f"{first} changed since it was read")
    actions: list[dict[str, Any]] = []
    for outcome in plan.changed:
        action: dict[str, Any] = {"action": "update", "file_path": outcome.path}
        action.update(_encoded(outcome.encoded()))
        if outcome.path == first and head.get("X-Gitlab-Last-Commit-Id"):
            action["last_commit_id"] = head["X-Gitlab-Last-Commit-Id"]
        actions.append(action)
    payload = {  # never "force": it would overwrite whatever the branch holds
        "branch": branch,
        "start_branch": default,
        "commit_message": commit_message(plan, skip_ci, branch),
        "actions": actions,
    }
    refused = _commit(pool, project, info.full_path, payload)
    if refused is not None and "already exists" in refused:
        return _existing(pool, project, snapshot, plan, branch=branch, payload=payload)
    if refused is not None:
        return JournalEntry(info.full_path, "failed", f"commit refused: {refused}")
    return _open_mr(pool, project, info.full_path, plan, branch=branch, default=default)


def _commit(pool: ClientPool, project: Any, path: str, payload: dict[str, Any]) -> str | None:
    """Create the commit; ``None`` when done, else GitLab's reason (one line)."""
    try:
        project.commits.create(payload)
    except gitlab.exceptions.GitlabError as exc:
        if "insufficient_scope" in str(getattr(exc, "error_message", "")):
            raise ScopeError(
                "the token lacks the `api` scope: nothing was written", status=403
            ) from None
        if not isinstance(exc, gitlab.exceptions.GitlabCreateError):
            raise remote_error(exc, path, pool.settings) from None
        error = remote_error(exc, path, pool.settings)
        detail = str(getattr(exc, "error_message", "") or error.message)
        return detail.splitlines()[0][:200] if detail else error.message
    return None


def _existing(
    pool: ClientPool, project: Any, snapshot: Snapshot, plan: RepoPlan, *, branch: str,
    payload: dict[str, Any],
) -> JournalEntry:  # fmt: skip
    """The branch is already there: resume it if it is hepci's and safe, else leave it."""
    info = snapshot.info
    try:
        verdict = inspect_branch(pool, project, info, plan, branch)
    except gitlab.exceptions.GitlabError as exc:
        raise remote_error(exc, info.full_path, pool.settings) from None
    if verdict.action == APPEND:  # on top of the branch (it is the default branch's HEAD)
        refused = _commit(pool, project, info.full_path, {**payload, "start_branch": branch})
        if refused is not None:
            return JournalEntry(info.full_path, "failed", f"commit refused: {refused}")
    elif verdict.action != OPEN_MR:
        return JournalEntry(info.full_path, "skipped", verdict.reason)
    default = str(info.default_branch)
    return _open_mr(pool, project, info.full_path, plan, branch=branch, default=default)


def _encoded(data: bytes) -> dict[str, str]:
    try:
        return {"content": data.decode("utf-8"), "encoding": "text"}
    except UnicodeDecodeError:
        return {"content": base64.b64encode(data).decode("ascii"), "encoding": "base64"}


def _open_mr(
    pool: ClientPool, project: Any, path: str, plan: RepoPlan, *, branch: str, default: str
) -> JournalEntry:
    data = {
        "source_branch": branch,
        "target_branch": default,
        "title": "hepci upgrade: " + ", ".join(plan.codemods),
        "description": _description(plan),
        "remove_source_branch": True,
        "labels": "hepci,ci-upgrade",
    }
    try:
        mr = project.mergerequests.create(data)
    except gitlab.exceptions.GitlabError as exc:
        message = str(getattr(exc, "error_message", ""))
        found = re.search(r"!(\d+)", message)
        if getattr(exc, "response_code", None) == 409 and found:
            return JournalEntry(path, "mr-exists", "open MR already there", int(found.group(1)))
        error = remote_error(exc, path, pool.settings)
        return JournalEntry(path, "failed", f"merge request refused: {error.message}")
    return JournalEntry(path, "mr-created", str(getattr(mr, "web_url", "")), int(mr.iid))
