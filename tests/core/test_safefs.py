"""hepci.core.safefs: the root rule, bounded reads, atomic writes, appends."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hepci.core.repo import LocalRepo
from hepci.core.safefs import (
    append_line,
    read_regular,
    relative_inside,
    remove_inside,
    resolve_inside,
    write_atomic,
    write_atomic_many,
    write_inside,
    write_output,
)
from hepci.errors import InputFileError, OutputError, OutsideRootError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.yml").write_text("secret\n")
    repo = tmp_path / "repo"
    (repo / "sub" / "deep").mkdir(parents=True)
    (repo / "a.yml").write_text("a\n")
    return repo


@pytest.mark.parametrize(
    "path",
    ["../outside/x.yml", "sub/../../outside/x.yml", "sub/deep/../../../outside/x.yml", "/etc"],
)
def test_paths_that_climb_out_are_refused(root: Path, path: str) -> None:
    with pytest.raises(OutsideRootError, match="leaves the repository root"):
        resolve_inside(root, path)


def test_links_are_followed_only_while_they_stay_inside(root: Path) -> None:
    (root / "in.yml").symlink_to("a.yml")
    (root / "sub" / "up").symlink_to("../..")  # repo/sub/up -> repo/.. : outside
    (root / "out.yml").symlink_to("../outside/x.yml")
    (root / "loop").symlink_to("loop")
    assert resolve_inside(root, "in.yml") == (root / "a.yml").resolve()
    assert resolve_inside(root, "sub/deep/../../a.yml") == (root / "a.yml").resolve()
    assert relative_inside(root, "new/file.yml") == "new/file.yml"  # may not exist yet
    with pytest.raises(OutsideRootError, match=r"out\.yml is a symbolic link to \.\./outside"):
        resolve_inside(root, "out.yml")
    with pytest.raises(OutsideRootError, match="sub/up is a symbolic link"):
        resolve_inside(root, "sub/up/outside/x.yml")
    with pytest.raises(InputFileError, match="symbolic links"):  # a loop: one line, no hang
        LocalRepo(root).read("loop")


def test_a_root_reached_through_a_link_is_still_the_root(tmp_path: Path, root: Path) -> None:
    (tmp_path / "alias").symlink_to(root)
    assert resolve_inside(tmp_path / "alias", "a.yml") == (root / "a.yml").resolve()


def test_read_regular_refuses_what_is_not_a_small_regular_file(root: Path) -> None:
    assert read_regular(root / "a.yml", 10) == b"a\n"
    assert read_regular(root / "missing", 10) is None
    with pytest.raises(InputFileError, match="over the 1-byte limit"):
        read_regular(root / "a.yml", 1)
    with pytest.raises(InputFileError, match="is a directory"):
        read_regular(root / "sub", 10)
    os.mkfifo(root / "pipe")
    with pytest.raises(InputFileError, match="not a regular file"):
        read_regular(root / "pipe", 10)  # does not block
    with pytest.raises(InputFileError, match="not a regular file"):
        read_regular("/dev/zero", 10)


def test_local_repo_lists_links_as_git_does_and_reads_only_inside(root: Path) -> None:
    (root / "in.yml").symlink_to("a.yml")
    (root / "out.yml").symlink_to("../outside/x.yml")
    (root / "dir").symlink_to("sub")
    repo = LocalRepo(root)
    assert {f.path for f in repo.files()} == {"a.yml", "in.yml", "out.yml"}
    assert repo.read("in.yml") == b"a\n"
    assert repo.read("sub") is None
    with pytest.raises(OutsideRootError):
        repo.read("out.yml")
    with pytest.raises(OutsideRootError):
        repo.read("../outside/x.yml")


def test_write_atomic_creates_with_the_umask_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    old = os.umask(0o077)
    try:
        write_atomic(target, b"one")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o751)
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and stat.S_IMODE(target.stat().st_mode) == 0o751
    write_atomic(tmp_path / "g.txt", b"x", mode=0o640)
    assert stat.S_IMODE((tmp_path / "g.txt").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "g.txt"]


def test_write_atomic_refuses_to_replace_a_link_or_a_special_file(tmp_path: Path) -> None:
    (tmp_path / "real").write_text("keep")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(OutputError, match="symbolic link"):
        write_atomic(tmp_path / "link", b"x")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(OutputError, match="not a regular file"):
        write_atomic(tmp_path / "pipe", b"x")
    assert (tmp_path / "real").read_text() == "keep" and (tmp_path / "link").is_symlink()


def test_write_atomic_many_stages_everything_before_renaming(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "gone" / "b"
    first.write_text("old")
    with pytest.raises(OutputError, match="gone/b: cannot write"):
        write_atomic_many([(first, b"new"), (second, b"new")])
    assert first.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a"]  # no temp left


def test_write_inside_writes_through_inner_links_and_refuses_outer_ones(root: Path) -> None:
    (root / "in.yml").symlink_to("a.yml")
    (root / "out.yml").symlink_to("../outside/x.yml")
    write_inside(root, "in.yml", b"changed\n")
    assert (root / "in.yml").is_symlink() and (root / "a.yml").read_bytes() == b"changed\n"
    with pytest.raises(OutsideRootError):
        write_inside(root, "out.yml", b"pwned\n")
    assert (root.parent / "outside" / "x.yml").read_text() == "secret\n"
    remove_inside(root, "out.yml")  # removes the link, never its target
    assert not (root / "out.yml").is_symlink()
    assert (root.parent / "outside" / "x.yml").read_text() == "secret\n"


def test_write_output_and_append_line_refuse_links(tmp_path: Path) -> None:
    (tmp_path / "victim").write_text("keep")
    (tmp_path / "report").symlink_to("victim")
    with pytest.raises(OutputError, match="is a symbolic link"):
        write_output(tmp_path / "report", b"x")
    with pytest.raises(OutputError, match="is a symbolic link"):
        append_line(tmp_path / "report", "x")
    with pytest.raises(OutputError, match="is a directory"):
        write_output(tmp_path, b"x")
    assert (tmp_path / "victim").read_text() == "keep"
    write_output(tmp_path / "new" / "r.json", b"{}")  # parents are created
    append_line(tmp_path / "journal", '{"a": 1}')
    append_line(tmp_path / "journal", '{"b": 2}\n')
    assert (tmp_path / "journal").read_text() == '{"a": 1}\n{"b": 2}\n'
    assert stat.S_IMODE((tmp_path / "journal").stat().st_mode) == 0o600
