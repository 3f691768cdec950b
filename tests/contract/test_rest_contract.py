"""Every REST endpoint hepci uses behaves in the double as GitLab documents it (``rest.tsv``),
and hepci uses no endpoint the table does not list."""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from gitlab_double import api
from gitlab_double.model import State
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

TABLE = Path(__file__).with_name("rest.tsv")
SRC = Path(__file__).resolve().parents[2] / "src" / "hepci"
Check = Callable[[GitLabDouble, World], None]


def rows() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def http(
    double: GitLabDouble, token: str | None, method: str, path: str, **kw: object
) -> requests.Response:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    url = path if path.startswith("http") else f"{double.url}/api/v4{path}"
    return requests.request(method, url, headers=headers, timeout=10, **kw)  # type: ignore[arg-type]


def a_project(world: World) -> tuple[int, str, str]:
    """(id, default branch, a file path) of a readable, non-empty project."""
    state = world.state
    spec = next(p for p in world.projects if p.access == "member" and not (p.empty or p.archived))
    project = state.projects[spec.id]
    head = project.repo.resolve(project.default_branch)
    assert head is not None and project.default_branch
    return spec.id, project.default_branch, sorted(head.files)[0]


def offset_pagination(double: GitLabDouble, world: World) -> None:
    first = http(double, world.tokens.owner, "GET", "/groups/hep/projects",
                 params={"include_subgroups": "true", "with_shared": "false", "order_by": "id",
                         "sort": "asc", "per_page": 2})  # fmt: skip
    assert first.status_code == 200 and len(first.json()) == 2
    for header in ("X-Page", "X-Per-Page", "X-Next-Page", "X-Total", "X-Total-Pages", "Link"):
        assert header in first.headers, header
    assert 'rel="next"' in first.headers["Link"]
    ids = [p["id"] for p in first.json()]
    assert ids == sorted(ids)


def total_headers_over_10000(double: GitLabDouble, world: World) -> None:
    def page(n: int) -> dict[str, str]:
        request = api.Request("GET", "/x", {"per_page": ["100"]}, {}, {}, double.url, State())
        return api.paginate(request, list(range(n)), str).headers

    assert page(10_000)["X-Total"] == "10000" and "X-Total-Pages" in page(10_000)
    over = page(10_001)
    assert "X-Total" not in over and "X-Total-Pages" not in over
    assert 'rel="next"' in over["Link"] and 'rel="last"' not in over["Link"]


def group_or_404(double: GitLabDouble, world: World) -> None:
    assert http(
        double, world.tokens.owner, "GET", "/groups/hep", params={"with_projects": "false"}
    ).ok
    pid, _, _ = a_project(world)
    path = quote(world.state.projects[pid].full_path, safe="")
    assert http(double, world.tokens.owner, "GET", f"/groups/{path}").status_code == 404


def project_or_404(double: GitLabDouble, world: World) -> None:
    pid, _, _ = a_project(world)
    assert http(double, world.tokens.reader, "GET", f"/projects/{pid}").json()["id"] == pid
    assert http(double, world.tokens.reader, "GET", "/projects/987654321").status_code == 404


def raw_file(double: GitLabDouble, world: World) -> None:
    pid, branch, path = a_project(world)
    url = f"/projects/{pid}/repository/files/{quote(path, safe='')}/raw"
    answer = http(double, world.tokens.reader, "GET", url)  # ref defaults to HEAD
    head = world.state.projects[pid].repo.resolve(branch)
    assert head is not None and answer.content == world.state.blobs[head.files[path]]
    assert answer.headers["X-Gitlab-Blob-Id"] == head.files[path]
    missing = f"/projects/{pid}/repository/files/no-such-file/raw"
    assert http(double, world.tokens.reader, "GET", missing).status_code == 404


def file_head(double: GitLabDouble, world: World) -> None:
    pid, branch, path = a_project(world)
    url = f"/projects/{pid}/repository/files/{quote(path, safe='')}"
    answer = http(double, world.tokens.reader, "HEAD", url, params={"ref": branch})
    assert answer.status_code == 200 and not answer.content
    for header in ("X-Gitlab-Blob-Id", "X-Gitlab-Commit-Id", "X-Gitlab-Last-Commit-Id",
                   "X-Gitlab-Size", "X-Gitlab-Content-Sha256"):  # fmt: skip
        assert header in answer.headers, header
    assert http(double, world.tokens.reader, "HEAD", url).status_code == 400  # ref is required


def tree(double: GitLabDouble, world: World) -> None:
    pid, branch, _ = a_project(world)
    listing = http(double, world.tokens.reader, "GET", f"/projects/{pid}/repository/tree",
                   params={"ref": branch, "per_page": 100}).json()  # fmt: skip
    assert (
        listing
        and {e["type"] for e in listing} <= {"blob", "tree"}
        and all("id" in e for e in listing)
    )
    gone = http(double, world.tokens.reader, "GET", f"/projects/{pid}/repository/tree",
                params={"ref": branch, "path": "no/such/dir"})  # fmt: skip
    assert gone.status_code == 404


def branch(double: GitLabDouble, world: World) -> None:
    pid, name, _ = a_project(world)
    data = http(
        double, world.tokens.reader, "GET", f"/projects/{pid}/repository/branches/{name}"
    ).json()
    assert isinstance(data["protected"], bool) and len(data["commit"]["id"]) == 40


def pipelines(double: GitLabDouble, world: World) -> None:
    pid = next(p.project_id for p in world.state.pipelines.values())
    listed = http(double, world.tokens.reader, "GET", f"/projects/{pid}/pipelines").json()
    assert [p["id"] for p in listed] == sorted((p["id"] for p in listed), reverse=True)


def tags(double: GitLabDouble, world: World) -> None:
    pid, _, _ = a_project(world)
    assert (
        http(double, world.tokens.reader, "GET", f"/projects/{pid}/repository/tags").status_code
        == 200
    )


def commits_actions(double: GitLabDouble, world: World) -> None:
    pid, branch_name, path = a_project(world)
    project = world.state.projects[pid]
    head = project.repo.resolve(branch_name)
    assert head is not None
    last = project.repo.last_commit_id(head, path)
    url = f"/projects/{pid}/repository/commits"
    body = {"branch": "contract/one", "start_branch": branch_name, "commit_message": "m",
            "actions": [{"action": "update", "file_path": path, "content": "new\n",
                         "last_commit_id": last}]}  # fmt: skip
    assert http(double, world.tokens.writer, "POST", url, json=body).status_code == 201
    stale = {**body, "branch": "contract/two"}
    stale["actions"] = [{**body["actions"][0], "last_commit_id": "0" * 40}]  # type: ignore[index]
    answer = http(double, world.tokens.writer, "POST", url, json=stale)
    assert answer.status_code == 400
    assert "The file has changed since you started editing it" in answer.json()["message"]
    again = http(double, world.tokens.writer, "POST", url, json=body)  # the branch exists now
    assert again.status_code == 400 and "already exists" in again.json()["message"]


def scope_probe(double: GitLabDouble, world: World) -> None:
    pid, _, _ = a_project(world)
    url = f"/projects/{pid}/repository/commits"
    denied = http(double, world.tokens.reader, "POST", url, json={})
    assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"
    assert http(double, world.tokens.writer, "POST", url, json={}).status_code == 400


def mr_duplicate_409(double: GitLabDouble, world: World) -> None:
    pid, base, _ = a_project(world)
    repo = world.state.projects[pid].repo
    repo.branches["contract/mr"] = repo.branches[base]
    body = {"source_branch": "contract/mr", "target_branch": base, "title": "t"}
    url = f"/projects/{pid}/merge_requests"
    first = http(double, world.tokens.writer, "POST", url, json=body)
    assert first.status_code == 201
    twice = http(double, world.tokens.writer, "POST", url, json=body)
    assert twice.status_code == 409
    message = twice.json()["message"]
    assert message == [
        f"Another open merge request already exists for this source branch: !{first.json()['iid']}"
    ]


def group_mrs(double: GitLabDouble, world: World) -> None:
    answer = http(double, world.tokens.reader, "GET", "/groups/hep/merge_requests",
                  params={"state": "opened", "per_page": 100})  # fmt: skip
    assert answer.status_code == 200 and isinstance(answer.json(), list)


def project_mrs(double: GitLabDouble, world: World) -> None:
    pid, _, _ = a_project(world)
    answer = http(double, world.tokens.reader, "GET", f"/projects/{pid}/merge_requests",
                  params={"state": "opened", "source_branch": "x"})  # fmt: skip
    assert answer.status_code == 200 and answer.json() == []


def compare(double: GitLabDouble, world: World) -> None:
    pid, base, _ = a_project(world)
    same = http(double, world.tokens.reader, "GET", f"/projects/{pid}/repository/compare",
                params={"from": base, "to": base}).json()  # fmt: skip
    assert same["commits"] == [] and same["compare_same_ref"] is True


def protected_branches(double: GitLabDouble, world: World) -> None:
    from gitlab_double.model import ProtectedBranch

    pid, _, _ = a_project(world)
    world.state.projects[pid].protected[:] = [ProtectedBranch(9001, "release/*")]
    rules = http(double, world.tokens.owner, "GET", f"/projects/{pid}/protected_branches",
                 params={"per_page": 100}).json()  # fmt: skip
    assert [r["name"] for r in rules] == ["release/*"]
    assert {"push_access_levels", "merge_access_levels"} <= set(rules[0])


def token_self(double: GitLabDouble, world: World) -> None:
    reader = http(double, world.tokens.reader, "GET", "/personal_access_tokens/self").json()
    assert reader["scopes"] == ["read_api"] and reader["active"] is True
    assert (
        "api"
        in http(double, world.tokens.writer, "GET", "/personal_access_tokens/self").json()["scopes"]
    )
    assert http(double, "glpat-nope", "GET", "/personal_access_tokens/self").status_code == 401


def user(double: GitLabDouble, world: World) -> None:
    assert http(double, world.tokens.reader, "GET", "/user").json()["username"] == "reader"
    assert http(double, None, "GET", "/user").status_code == 401


def rate_limited(double: GitLabDouble, world: World) -> None:
    from gitlab_double.faults import RateLimit

    double.faults.configure(rate_limit=RateLimit(limit=1, period=60))
    try:
        answers = [http(double, world.tokens.reader, "GET", "/user") for _ in range(3)]
    finally:
        double.faults.clear()
    limited = [a for a in answers if a.status_code == 429]
    assert limited and all(int(a.headers["Retry-After"]) >= 1 for a in limited)


def graphql(double: GitLabDouble, world: World) -> None:
    url = f"{double.url}/api/graphql"
    ok = requests.post(url, json={"query": "{ queryComplexity { limit } }"},
                       headers={"Authorization": f"Bearer {world.tokens.reader}"}, timeout=10)  # fmt: skip
    assert ok.json()["data"]["queryComplexity"]["limit"] == 250
    too_large = requests.post(
        url, json={"query": "{ queryComplexity { limit } }" + " " * 10_000}, timeout=10
    )
    assert too_large.status_code == 422


CHECKS: dict[str, Check] = {
    name: fn
    for name, fn in globals().items()
    if callable(fn) and name in {r["check"] for r in rows()}
}


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["id"])
def test_endpoint_behaves_as_documented(
    row: dict[str, str], fresh_double: GitLabDouble, fresh_world: World
) -> None:
    assert row["source"].startswith("docs.gitlab.com") or "gitlab" in row["source"]
    assert row["check"] in CHECKS, f"no check for {row['id']}"
    CHECKS[row["check"]](fresh_double, fresh_world)


# What hepci's code calls, and the row that documents it. A new call fails
# test_hepci_uses_only_listed_endpoints until it is mapped here and has a row.
USES: list[tuple[str, str]] = [
    (r"^/groups/\{[^}]+\}/projects$", "group_projects"),
    (r"^/groups/\{[^}]+\}$", "group_get"),
    (r"^/projects/\{[^}]+\}/repository/tree$", "tree"),
    (r"^/projects/\{[^}]+\}/repository/compare$", "compare"),
    (r"^/projects/\{[^}]+\}/protected_branches$", "protected_branches"),
    (r"^/projects/\{[^}]+\}/repository/commits$", "scope_probe"),
    (r"^/personal_access_tokens/self$", "token_self"),
    (r"^/user$", "user"),
    (r"^projects\.get$", "project_get"),
    (r"^files\.raw$", "file_raw"),
    (r"^files\.head$", "file_head"),
    (r"^branches\.get$", "branch"),
    (r"^pipelines\.list$", "pipelines"),
    (r"^tags\.list$", "tags"),
    (r"^commits\.create$", "commits_create"),
    (r"^mergerequests\.create$", "mr_create"),
    (r"^mergerequests\.list$", "project_mrs"),
    (r"^/projects/\{[^}]+\}/merge_requests$", "project_mrs"),
    (r"^/groups/\{[^}]+\}/merge_requests$", "group_mrs"),
]
PATHS = re.compile(r"f?\"(/(?:projects|groups|personal_access_tokens|user)\b[^\"]*)\"")
# ``where = f"/projects/{id}" if … else f"/groups/{…}"`` then ``f"{where}/merge_requests"``
PREFIX = re.compile(r"(\w+) = (f?\"/[^\"]*\" if .* else f?\"/[^\"]*\")")
PREFIXED = r"f\"\{%s\}(/[^\"]*)\""
MANAGERS = re.compile(
    r"(?:\bproject\.|\bgl\.|\.rest\(\)\.|\)\.|\b(?=manager\.))"
    r"(projects|groups|files|branches|pipelines|commits|mergerequests|tags|jobs|"
    r"protectedbranches|members|issues|releases|manager)\.(get|list|create|update|delete|raw|head)\("
)


def hepci_calls() -> list[tuple[Path, str]]:
    """Literal API paths and python-gitlab manager calls in the modules that talk to GitLab."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if ".rest()" not in text and "http_get(" not in text and "import gitlab\n" not in text:
            continue
        prefixes = {m.group(1): PATHS.findall(m.group(2)) for m in PREFIX.finditer(text)}
        bare = {p for alternatives in prefixes.values() for p in alternatives}
        out += [(path, m.group(1)) for m in PATHS.finditer(text) if m.group(1) not in bare]
        for name, alternatives in prefixes.items():
            for rest in re.findall(PREFIXED % name, text):
                out += [(path, a + rest) for a in alternatives]
        for m in MANAGERS.finditer(text):
            lazy = text[m.end() : m.end() + 40].split(")", 1)[0]
            if m.group(1) in ("projects", "groups") and "lazy=True" in lazy:
                continue  # a lazy object: no request
            out.append((path, f"{m.group(1)}.{m.group(2)}"))
    return out


def test_hepci_uses_only_listed_endpoints() -> None:
    ids = {r["id"] for r in rows()}
    unmapped, used = [], set()
    for path, call in hepci_calls():
        found = [row for pattern, row in USES if re.search(pattern, call)]
        if not found:
            unmapped.append(f"{path.relative_to(SRC)}: {call}")
        used.update(found)
    assert not unmapped, "hepci calls an endpoint without a row in rest.tsv:\n" + "\n".join(
        unmapped
    )
    assert used <= ids
    # every row is something hepci really uses, or a documented behaviour of one of them
    behaviours = {"total_headers", "rate_limited", "graphql", "group_mrs"}
    assert ids - behaviours <= used, sorted(ids - behaviours - used)


def test_table_mentions_the_documented_headers() -> None:
    by_id = {r["id"]: r for r in rows()}
    assert "Retry-After" in by_id["rate_limited"]["headers"]
    assert "X-Total" in by_id["total_headers"]["headers"]
    assert "last_commit_id" in by_id["commits_create"]["params"]
    assert "409" in by_id["mr_create"]["documented"]
    assert time.time() > 0
