"""Item 1: a hostile repository cannot make lint, audit or upgrade read or write outside its root.

Each layout puts a CI file that upgrade wants to change (``type:`` → ``stage:``) OUTSIDE the
repository and reaches it from ``.gitlab-ci.yml`` another way. Every command must refuse with
one line naming ``.gitlab-ci.yml:2`` (audit: a CI002 finding), and nothing on disk may change.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hepci.cli import main
from hostile._support import make_tree, one_error_line, run_hepci, tree_snapshot

OUTSIDE_CI = "old:\n  type: test\n  script: [echo]\n"
MAIN_JOB = "job:\n  type: test\n  script: [echo]\n"


def _ci(include: str) -> str:
    return f"include:\n  - local: {include}\n{MAIN_JOB}"


def _layout(world: Path, include: str, links: dict[str, str], dirs: tuple[str, ...] = ()) -> Path:
    make_tree(world / "outside", {"inc.yml": OUTSIDE_CI, "a.yml": OUTSIDE_CI})
    repo = world / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    make_tree(repo, {".gitlab-ci.yml": _ci(include)})
    for folder in dirs:
        (repo / folder).mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).symlink_to(target)
    return repo


LAYOUTS: dict[str, Callable[[Path], Path]] = {
    "dotdot": lambda w: _layout(w, "../outside/inc.yml", {}),
    "sub-dotdot": lambda w: _layout(w, "sub/../../outside/inc.yml", {}, ("sub",)),
    "absolute-dotdot": lambda w: _layout(w, "/../outside/inc.yml", {}),
    "file-link": lambda w: _layout(w, "inc.yml", {"inc.yml": "../outside/inc.yml"}),
    "absolute-file-link": lambda w: _layout(w, "inc.yml", {"inc.yml": str(w / "outside/inc.yml")}),
    "dir-link": lambda w: _layout(w, "ci/inc.yml", {"ci": "../outside"}),
    "deep-dir-link": lambda w: _layout(w, "a/b/inc.yml", {"a/b": "../../outside"}),
    "wildcard-dir-link": lambda w: _layout(w, "'ci/*.yml'", {"ci": "../outside"}),
    "wildcard-file-link": lambda w: _layout(w, "'inc/*.yml'", {"inc/a.yml": "../../outside/a.yml"}),
}


@pytest.fixture(params=sorted(LAYOUTS))
def hostile(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return LAYOUTS[request.param](tmp_path)


@pytest.mark.parametrize("command", [["lint"], ["upgrade"], ["upgrade", "--write"]])
def test_lint_and_upgrade_refuse_in_one_line_and_change_nothing(
    hostile: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    world = hostile.parent
    before = tree_snapshot(world)
    code = main([*command, str(hostile)])
    out, err = capsys.readouterr()
    line = one_error_line(err)
    assert code == 2, err
    assert ".gitlab-ci.yml:2:" in line
    assert "outside the repository root" in line or "leaves the repository root" in line
    assert "stage: test" not in out  # no diff of a file outside the root
    assert tree_snapshot(world) == before  # nothing written, no link replaced


def test_audit_reports_the_include_as_ci002_and_reads_nothing_outside(
    hostile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", str(hostile), "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    results = {r["id"]: r for r in report["projects"][0]["results"]}
    assert code == 1
    [finding] = results["CI002"]["findings"]
    assert finding["path"] == ".gitlab-ci.yml" and finding["line"] == 2
    assert "repository root" in finding["message"]
    deprecated = results["CI007"]["findings"]
    assert [f["path"] for f in deprecated] == []  # not even the root: the tree was refused


def test_a_link_that_stays_inside_is_read_and_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _layout(tmp_path, "inc.yml", {"inc.yml": "shared/real.yml"}, ("shared",))
    (repo / "shared/real.yml").write_text(OUTSIDE_CI)
    assert main(["lint", str(repo)]) == 1
    assert "HL304" not in capsys.readouterr().out  # the include was found through the link
    assert main(["upgrade", "--write", str(repo)]) == 0
    capsys.readouterr()
    assert (repo / "inc.yml").is_symlink()  # the link stays a link
    assert os.readlink(repo / "inc.yml") == "shared/real.yml"
    assert "stage: test" in (repo / "shared/real.yml").read_text()
    assert "type:" not in (repo / ".gitlab-ci.yml").read_text()


@pytest.mark.parametrize("command", [["lint"], ["upgrade", "--write"], ["audit", "-f", "json"]])
def test_a_root_ci_file_linked_outside_is_refused(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path / "outside", {"ci.yml": MAIN_JOB})
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitlab-ci.yml").symlink_to("../outside/ci.yml")
    before = tree_snapshot(tmp_path)
    code = main([*command, str(repo)])
    out, err = capsys.readouterr()
    if command[0] == "audit":
        results = {r["id"]: r for r in json.loads(out)["projects"][0]["results"]}
        assert code == 1
        assert "outside the repository root" in results["CI002"]["findings"][0]["message"]
    else:
        assert code == 2
        assert "outside the repository root" in one_error_line(err)
    assert tree_snapshot(tmp_path) == before


def test_a_file_argument_linked_outside_is_refused_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _layout(tmp_path, "x.yml", {"link.yml": "../outside/inc.yml"})
    before = tree_snapshot(tmp_path)
    assert main(["upgrade", "--write", str(repo / "link.yml")]) == 2
    assert "outside the repository root" in one_error_line(capsys.readouterr().err)
    assert main(["lint", str(repo / "link.yml")]) == 2
    assert "outside the repository root" in one_error_line(capsys.readouterr().err)
    assert tree_snapshot(tmp_path) == before


def test_yamllint_config_cannot_reach_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path / "outside", {"conf.yml": "rules: {}\n"})
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": "job:\n  script: [x]\n"})
    (repo / ".yamllint").symlink_to("../outside/conf.yml")
    assert main(["lint", str(repo)]) == 2
    assert "outside the repository root" in one_error_line(capsys.readouterr().err)
    (repo / ".yamllint").unlink()
    (repo / ".yamllint").write_text("extends: /dev/zero\n")  # yamllint would read it forever
    assert main(["lint", str(repo)]) == 2
    assert "built-in configurations" in one_error_line(capsys.readouterr().err)
    (repo / ".yamllint").write_text("extends: relaxed\nignore-from-file: ../outside/conf.yml\n")
    assert main(["lint", str(repo)]) == 2
    assert "leaves the repository root" in one_error_line(capsys.readouterr().err)
    (repo / ".yamllint").write_text("extends: relaxed\nrules:\n  truthy: disable\n")
    assert main(["lint", str(repo)]) == 0  # an ordinary config still works


def test_scaffold_update_reads_no_cruft_record_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path / "outside", {"cruft.json": '{"commit": "0.0.1", "context": {}}'})
    repo = make_tree(tmp_path / "repo", {"README.md": "x\n"})
    (repo / ".cruft.json").symlink_to("../outside/cruft.json")
    assert main(["upgrade", "--scaffold", str(repo), "--to", "0.0.2"]) == 2
    assert "outside the repository root" in one_error_line(capsys.readouterr().err)


def test_a_fifo_among_the_templates_is_refused_not_waited_on(tmp_path: Path) -> None:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": MAIN_JOB})
    (repo / "ci-templates").mkdir()
    os.mkfifo(repo / "ci-templates" / "pipe.yml")  # reading it would block forever
    run = run_hepci("lint", str(repo), timeout=30)
    assert run.code == 2, run.err
    assert len(run.err_lines) == 1 and "pipe.yml: not a regular file" in run.err


@pytest.mark.parametrize("command", [["lint"], ["upgrade"], ["audit", "-f", "json"]])
def test_an_included_fifo_is_an_input_error_not_a_missing_file(
    tmp_path: Path, command: list[str]
) -> None:
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": _ci("pipe.yml")})
    os.mkfifo(repo / "pipe.yml")
    run = run_hepci(*command, str(repo), timeout=30)
    if command[0] == "audit":
        results = {r["id"]: r for r in json.loads(run.out)["projects"][0]["results"]}
        assert run.code == 1
        assert "not a regular file" in results["CI002"]["findings"][0]["message"]
    else:
        assert run.code == 2, run.err
        assert len(run.err_lines) == 1 and "pipe.yml: not a regular file" in run.err


@pytest.mark.parametrize("command", [["audit"], ["upgrade"]])
def test_the_work_trees_git_config_runs_no_command(tmp_path: Path, command: list[str]) -> None:
    """``git ls-files`` runs ``core.fsmonitor`` from .git/config: an unpacked hostile tree
    (a tarball, a CI cache) must not get a command executed by ``hepci audit``."""
    repo = _layout(tmp_path, "inc.yml", {})
    make_tree(repo, {"inc.yml": OUTSIDE_CI})
    marker = tmp_path / "PWNED"
    subprocess.run(
        ["git", "-C", str(repo), "config", "core.fsmonitor", f"touch {marker}; false"],
        check=True,
    )
    run_hepci(*command, str(repo))
    assert not marker.exists()
