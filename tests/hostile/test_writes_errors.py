"""Item 14: ordinary write errors are user errors: one line naming the path, exit 2 (never 4).

Read-only folders are real (root obeys file modes under ``setpriv``), the full disk is a 64 KiB
tmpfs (root only, else skipped), "file too large" is RLIMIT_FSIZE and a full stdout is
``/dev/full``. Every case also checks that nothing was half-written and no temp file is left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hepci.cli import main
from hostile._support import (
    fill,
    make_tree,
    one_error_line,
    run_hepci,
    temp_leftovers,
    tiny_filesystem,
)

CI = "job:\n  type: test\n  script: [echo]\n"


@pytest.fixture
def readonly_repo(tmp_path: Path) -> Path:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": CI})
    repo.chmod(0o555)
    yield repo
    repo.chmod(0o755)


def test_upgrade_write_into_a_read_only_folder(readonly_repo: Path) -> None:
    run = run_hepci("upgrade", "--write", str(readonly_repo), obey_modes=True)
    assert run.code == 2, run.err
    line = one_error_line(run.err)
    assert ".gitlab-ci.yml: cannot write: Permission denied" in line
    assert (readonly_repo / ".gitlab-ci.yml").read_text() == CI


def test_upgrade_write_is_all_or_nothing(tmp_path: Path) -> None:
    include = "include:\n  - local: ci/more.yml\n"
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": include + CI, "ci/more.yml": CI})
    (repo / "ci").chmod(0o555)  # the second file cannot be written: the first must not be
    try:
        run = run_hepci("upgrade", "--write", str(repo), obey_modes=True)
    finally:
        (repo / "ci").chmod(0o755)
    assert run.code == 2, run.err
    assert "more.yml: cannot write: Permission denied" in one_error_line(run.err)
    assert (repo / ".gitlab-ci.yml").read_text() == include + CI
    assert temp_leftovers([repo, repo / "ci"]) == []


def test_audit_report_into_a_read_only_folder(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": CI})
    out = tmp_path / "out"
    out.mkdir(mode=0o555)
    run = run_hepci("audit", str(repo), "-f", f"json={out / 'a.json'}", obey_modes=True)
    assert run.code == 2, run.err
    assert f"{out / 'a.json'}: cannot write: Permission denied" in one_error_line(run.err)


def test_new_into_a_read_only_folder(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir(mode=0o555)
    run = run_hepci("new", str(parent / "ana"), "--no-input", obey_modes=True)
    assert run.code == 2, run.err
    assert "Permission denied" in one_error_line(run.err)


def test_a_full_disk_leaves_the_file_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with tiny_filesystem(tmp_path / "disk") as disk:
        big = "# padding\n" * 2000  # 20 KB: the upgraded copy no longer fits
        repo = make_tree(disk / "repo", {".gitlab-ci.yml": CI + big})
        fill(disk)
        code = main(["upgrade", "--write", str(repo)])
        err = capsys.readouterr().err
        assert code == 2
        assert "cannot write: No space left on device" in one_error_line(err)
        assert (repo / ".gitlab-ci.yml").read_text() == CI + big
        assert temp_leftovers([repo]) == []


def test_a_file_over_the_file_size_limit(tmp_path: Path) -> None:
    padded = CI + "# padding\n" * 800  # 8 KB: read fine, the upgraded copy hits RLIMIT_FSIZE
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": padded})
    run = run_hepci("upgrade", "--write", str(repo), file_size=4096)
    assert run.code == 2, run.err
    assert ".gitlab-ci.yml: cannot write: File too large" in one_error_line(run.err)
    assert (repo / ".gitlab-ci.yml").read_text() == padded
    assert temp_leftovers([repo]) == []


def test_an_audit_report_on_a_full_disk(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": CI})
    with tiny_filesystem(tmp_path / "disk") as disk:
        (disk / "out").mkdir()
        (disk / "out" / "audit.json").write_text("{}")
        fill(disk)
        run = run_hepci("audit", str(repo), "-f", f"json={disk / 'out' / 'audit.json'}")
        assert run.code == 2, run.err
        assert "audit.json: cannot write: No space left on device" in one_error_line(run.err)
        assert (disk / "out" / "audit.json").read_text() == "{}"  # the old report is whole
        assert temp_leftovers([disk / "out"]) == []


@pytest.mark.parametrize(
    "command",
    [["lint", "--format", "json"], ["audit", "-f", "json"], ["upgrade"]],
    ids=["lint", "audit", "upgrade"],
)
def test_a_full_stdout_is_one_line(tmp_path: Path, command: list[str]) -> None:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": CI})
    run = run_hepci(*command, str(repo), stdout=Path("/dev/full"))
    assert run.code == 2, run.err
    assert (
        one_error_line(run.err) == "hepci: error: <stdout>: cannot write: No space left on device"
    )
