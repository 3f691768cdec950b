"""Cut the types hepci's queries reach out of GitLab's GraphQL reference, verbatim.

    python tests/gitlab_double/schema/cut.py _index.md 19.0 > tests/gitlab_double/schema/gitlab-19.0.md

``_index.md`` is ``doc/api/graphql/reference/_index.md`` of a GitLab checkout (or any extract of
it: cutting a cut gives the same text, which a test checks). Kept, line for line as GitLab wrote
them: the ``##`` section headings, the heading of every selected type, the table header and the
rows of its selected fields, and for every selected field documented under "Fields with
arguments" (and every ``Query`` field) its whole subsection except the rows of arguments that are
not selected. Dropped: everything else, including the prose under a type heading (types are
described in the double's docstrings, not here). Required arguments (``!``) are always kept.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ARGS_ALL = "*"
# type -> fields (ARGS_ALL: every row, for enums); "Owner.field" -> arguments
SELECTION_19_0: dict[str, list[str]] = {
    "Query": ["currentUser", "project", "projects", "queryComplexity"],
    "Query.projects": ["fullPaths", "ids", "search"],
    "BranchRuleConnection": ["edges", "nodes", "pageInfo"],
    "BranchRuleEdge": ["cursor", "node"],
    "CiJobArtifactConnection": ["nodes", "pageInfo"],
    "PipelineConnection": ["count", "nodes", "pageInfo"],
    "PipelineConnection.count": ["limit"],
    "ProjectConnection": ["count", "nodes", "pageInfo"],
    "ProjectConnection.count": ["limit"],
    "RepositoryBlobConnection": ["nodes", "pageInfo"],
    "BranchProtection": ["allowForcePush", "codeOwnerApprovalRequired"],
    "BranchRule": [
        "branchProtection", "createdAt", "id", "isDefault", "isProtected",
        "matchingBranchesCount", "name", "updatedAt",
    ],
    "CiJob": ["artifacts", "id", "name", "status", "trace"],
    "CiJobArtifact": ["fileType", "id", "name", "size"],
    "CiJobTrace": ["htmlSummary"],
    "CiJobTrace.htmlSummary": ["lastLines"],
    "Commit": ["id", "message", "pipelines", "sha", "shortId", "title"],
    "Commit.pipelines": ["ref", "sha"],
    "CurrentUser": ["id", "name", "username"],
    "PageInfo": ["endCursor", "hasNextPage", "hasPreviousPage", "startCursor"],
    "Pipeline": ["createdAt", "id", "iid", "job", "path", "ref", "status"],
    "Pipeline.job": ["id", "name"],
    "Project": [
        "archived", "branchRules", "createdAt", "fullPath", "id", "lastActivityAt", "name",
        "path", "repository", "userPermissions", "visibility", "webUrl",
    ],
    "Project.branchRules": ["buildMissing"],
    "ProjectPermissions": ["adminProject", "downloadCode", "pushCode", "readProject"],
    "QueryComplexity": ["limit", "score"],
    "Repository": ["blobs", "empty", "exists", "rootRef", "tree"],
    "Repository.blobs": ["paths", "ref", "refType"],
    "Repository.tree": ["path", "recursive", "ref", "refType"],
    "RepositoryBlob": [
        "id", "name", "oid", "path", "rawBlob", "rawSize", "rawTextBlob", "size", "webPath",
    ],
    "Tree": ["lastCommit"],
    "Tree.lastCommit": ["path", "ref", "refType"],
    "CiJobStatus": [ARGS_ALL],
    "PipelineStatusEnum": [ARGS_ALL],
    "RefType": [ARGS_ALL],
}  # fmt: skip
# 17.10: only the text that was read from the 17.10 file (README.md: the rest overlays 19.0)
SELECTION_17_10: dict[str, list[str]] = {
    "Query": ["currentUser", "project", "projects", "queryComplexity"],
    "Query.projects": ["fullPaths", "ids", "search"],
    "ProjectConnection": ["count", "nodes", "pageInfo"],
    "BranchProtection": SELECTION_19_0["BranchProtection"],
    "BranchRule": SELECTION_19_0["BranchRule"],
    "Commit": SELECTION_19_0["Commit"],
    "Commit.pipelines": ["ref", "sha"],
    "Pipeline": SELECTION_19_0["Pipeline"],
    "Pipeline.job": ["id", "name"],
    "Project": [
        "branchRules", "createdAt", "fullPath", "id", "lastActivityAt", "name", "path",
        "repository", "userPermissions", "visibility", "webUrl",
    ],
    "Project.branchRules": [],
    "ProjectPermissions": SELECTION_19_0["ProjectPermissions"],
    "QueryComplexity": ["limit", "score"],
    "Repository": SELECTION_19_0["Repository"],
    "Repository.blobs": ["paths", "ref", "refType"],
    "Repository.tree": ["path", "recursive", "ref", "refType"],
    "RepositoryBlob": SELECTION_19_0["RepositoryBlob"],
    "Tree": ["lastCommit"],
}  # fmt: skip
SELECTIONS = {"19.0": SELECTION_19_0, "17.10": SELECTION_17_10}

HEADING = re.compile(r"^(#{2,7}) (.*)$")
TICKED = re.compile(r"^`([\w.]+)`(?: type)?$")
ROW_NAME = re.compile(r"^\| <a id=\"[^\"]*\"></a>`(\w+)`")
TABLE_HEAD = ("| Name | Type | Description |", "| Value | Description |")
SECTIONS = ("`Query` type", "Connections", "Object types", "Enumeration types")


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs (runs of non-blank lines); a heading is a paragraph of its own."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if not line.strip():
            blocks.append([])
        elif HEADING.match(line):
            blocks += [[line], []]
        else:
            blocks[-1].append(line)
    return [b for b in blocks if b]


def cut(text: str, selection: dict[str, list[str]]) -> str:
    """The selected part of ``text`` (see the module docstring)."""
    out: list[list[str]] = []
    section = owner = member = None  # ## section, selected type, selected "T.f" subsection
    skipping = False  # inside the subsection of a field that is not selected
    for block in _blocks(text):
        head = HEADING.match(block[0])
        if head:
            title, ticked = head.group(2), TICKED.match(head.group(2))
            if len(head.group(1)) == 2:
                section, owner, member, skipping = title, None, None, False
                if title in SECTIONS:
                    out.append(block)
                    owner = "Query" if title == SECTIONS[0] else None
                continue
            if section not in SECTIONS:
                continue
            name = ticked.group(1) if ticked else None
            if name and "." in name:
                typ, fname = name.split(".", 1)
                owner = typ if typ in selection else None
                member = name if owner and fname in selection[typ] else None
                skipping = member is None
                if member:
                    out.append(block)
            elif name:
                owner = name if name in selection else None
                member, skipping = None, False
                if owner:
                    out.append(block)
            elif owner and not skipping and (member or title.startswith("Fields")):
                out.append(block)  # "#### Fields", "###### Arguments" ...
            continue
        if owner is None or skipping or section not in SECTIONS:
            continue
        if block[0] in TABLE_HEAD:
            wanted = selection.get(member, []) if member else selection[owner]
            rows = [r for r in block[2:] if _keep(r, wanted, arguments=member is not None)]
            out.append(block[:2] + rows)
        elif member:
            out.append(block)  # a selected field's description, Returns, notes, "Arguments:"
    return _join(_prune(out))


def _keep(row: str, wanted: list[str], *, arguments: bool) -> bool:
    found = ROW_NAME.match(row)
    if found is None:
        return False
    if ARGS_ALL in wanted or found.group(1) in wanted:
        return True
    return arguments and re.search(r"\| \[`[^`]*!`\]\(", row) is not None  # required


def _prune(blocks: list[list[str]]) -> list[list[str]]:
    """Drop table headers left without rows and the subheadings that only announced them."""
    kept = [b for b in blocks if not (b[0] in TABLE_HEAD and len(b) == 2)]
    out: list[list[str]] = []
    for n, block in enumerate(kept):
        head = HEADING.match(block[0])
        nxt = kept[n + 1] if n + 1 < len(kept) else None
        announces = head and head.group(2) in ("Fields", "Fields with arguments", "Arguments")
        if announces and (
            nxt is None or (HEADING.match(nxt[0]) and _level(nxt[0]) <= _level(block[0]))
        ):
            continue
        if block == ["Arguments:"] and (nxt is None or nxt[0] not in TABLE_HEAD):
            continue
        out.append(block)
    return out


def _level(line: str) -> int:
    found = HEADING.match(line)
    return len(found.group(1)) if found else 99


def _join(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[2] not in SELECTIONS:
        print(f"usage: {argv[0]} REFERENCE.md {{{','.join(SELECTIONS)}}}", file=sys.stderr)
        return 2
    sys.stdout.write(cut(Path(argv[1]).read_text(encoding="utf-8"), SELECTIONS[argv[2]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
