"""Git objects with real content hashes: blobs, trees and commits hashed exactly as ``git`` does.

A :class:`Repository` holds immutable commits (a flat ``path -> blob id`` map each), branches and
tags. Blob ids equal ``git hash-object``; tree and commit ids equal what ``git`` would compute for
the same files, author, timestamp and message, so SHAs are stable and content-addressed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

FILE_MODE = "100644"
TREE_MODE = "40000"


def git_hash(kind: str, body: bytes) -> str:
    """SHA-1 of a git object of ``kind`` (blob, tree, commit) with ``body``."""
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body, usedforsecurity=False).hexdigest()


def blob_id(content: bytes) -> str:
    return git_hash("blob", content)


def tree_id(files: Mapping[str, str]) -> str:
    """Root tree id for a flat ``path -> blob id`` map (nested trees hashed recursively)."""
    children: dict[str, dict[str, str]] = {}
    entries: list[tuple[str, str, str]] = []  # (sort key, mode + name, sha)
    for path, sha in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            children.setdefault(head, {})[rest] = sha
        else:
            entries.append((head, f"{FILE_MODE} {head}", sha))
    for name, sub in children.items():
        entries.append((name + "/", f"{TREE_MODE} {name}", tree_id(sub)))
    body = b"".join(
        label.encode() + b"\0" + bytes.fromhex(sha) for _, label, sha in sorted(entries)
    )
    return git_hash("tree", body)


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parent: str | None
    files: Mapping[str, str]
    message: str
    author_name: str
    author_email: str
    timestamp: int

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


def make_commit(
    files: Mapping[str, str],
    parent: str | None,
    message: str,
    author: tuple[str, str],
    timestamp: int,
) -> Commit:
    tree = tree_id(files)
    name, email = author
    ident = f"{name} <{email}> {timestamp} +0000"
    lines = [f"tree {tree}"]
    if parent:
        lines.append(f"parent {parent}")
    lines += [f"author {ident}", f"committer {ident}", "", message]
    body = "\n".join(lines)
    if not body.endswith("\n"):
        body += "\n"
    sha = git_hash("commit", body.encode())
    return Commit(sha, tree, parent, dict(files), message, name, email, timestamp)


@dataclass
class TreeEntry:
    id: str
    name: str
    type: str
    path: str
    mode: str


@dataclass
class Repository:
    """Commits, branches and tags of one project. Blobs live in a store shared by all projects."""

    blobs: dict[str, bytes]
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sha, message)

    @property
    def empty(self) -> bool:
        return not self.branches

    def put_blob(self, content: bytes) -> str:
        sha = blob_id(content)
        self.blobs.setdefault(sha, content)
        return sha

    def commit_files(
        self,
        branch: str,
        files: Mapping[str, bytes | None],
        message: str,
        author: tuple[str, str],
        timestamp: int,
        start: str | None = None,
    ) -> Commit:
        """Commit ``files`` (``None`` deletes) onto ``branch`` starting from ref ``start``."""
        base = self.resolve(start or branch)
        tree = dict(base.files) if base else {}
        for path, content in files.items():
            if content is None:
                tree.pop(path, None)
            else:
                tree[path] = self.put_blob(content)
        commit = make_commit(tree, base.sha if base else None, message, author, timestamp)
        self.commits[commit.sha] = commit
        self.branches[branch] = commit.sha
        return commit

    def resolve(self, ref: str | None) -> Commit | None:
        """A branch, tag, full SHA or unique SHA prefix (>= 7 chars); None when unknown."""
        if not ref:
            return None
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        if ref in self.tags:
            return self.commits[self.tags[ref][0]]
        if ref in self.commits:
            return self.commits[ref]
        if len(ref) >= 7:
            found = [c for sha, c in self.commits.items() if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        return None

    def last_commit_id(self, commit: Commit, path: str) -> str:
        """The newest commit, reachable from ``commit``, that changed ``path``."""
        current = commit
        blob = current.files.get(path)
        while current.parent is not None:
            parent = self.commits[current.parent]
            if parent.files.get(path) != blob:
                break
            current = parent
        return current.sha

    def history(self, commit: Commit) -> Iterator[Commit]:
        current: Commit | None = commit
        while current is not None:
            yield current
            current = self.commits[current.parent] if current.parent else None

    def tree(
        self, commit: Commit, path: str = "", recursive: bool = False
    ) -> list[TreeEntry] | None:
        """Entries under ``path`` (None when ``path`` is not a directory): trees first, by name."""
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        dirs: dict[str, str] = {}
        blobs: list[TreeEntry] = []
        for file_path, sha in commit.files.items():
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix) :]
            parts = rest.split("/")
            for depth in range(1, len(parts) if recursive else min(len(parts), 2)):
                dirs.setdefault(prefix + "/".join(parts[:depth]), "")
            if recursive or len(parts) == 1:
                blobs.append(TreeEntry(sha, parts[-1], "blob", file_path, FILE_MODE))
        if prefix and not dirs and not blobs:
            return None
        trees = []
        for dir_path in dirs:
            sub = {
                p[len(dir_path) + 1 :]: s
                for p, s in commit.files.items()
                if p.startswith(dir_path + "/")
            }
            trees.append(
                TreeEntry(tree_id(sub), dir_path.rsplit("/", 1)[-1], "tree", dir_path, "040000")
            )
        if recursive:
            return sorted(trees + blobs, key=lambda e: e.path)
        return sorted(trees, key=lambda e: e.name) + sorted(blobs, key=lambda e: e.name)
