"""``hepci lint`` through the real CLI entry point: output, exit codes, one-line user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hepci.cli import main

CLEAN = "stages: [test]\ntest:\n  stage: test\n  script:\n    - pytest\n"
BROKEN = "test:\n  stage: test\n  scirpt:\n    - pytest\n  extends: .nope\n"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_directory_exits_0(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text(CLEAN, encoding="utf-8")
    assert main(["lint"]) == 0
    assert main(["lint", "."]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "hepci lint: no findings in 1 file(s)\n" * 2
    assert main(["-q", "lint"]) == 0
    assert capsys.readouterr().err == ""


def test_findings_exit_1_one_per_line_sorted(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text(BROKEN, encoding="utf-8")
    assert main(["lint", ".gitlab-ci.yml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        ".gitlab-ci.yml:3:3: HL101 test: unknown key 'scirpt'",
        ".gitlab-ci.yml:5:12: HL301 extends unknown job '.nope'",
    ]


def test_json_format_parses(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text(BROKEN, encoding="utf-8")
    assert main(["lint", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(d["code"], d["line"], d["column"]) for d in data] == [
        ("HL101", 3, 3),
        ("HL301", 5, 12),
    ]
    assert set(data[0]) == {"path", "line", "column", "code", "message"}
    (in_tmp / ".gitlab-ci.yml").write_text(CLEAN, encoding="utf-8")
    assert main(["lint", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out or "[]") == []


def test_select_ignore_on_the_command_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text(BROKEN, encoding="utf-8")
    assert main(["lint", "--select", "hl3"]) == 1
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == ["HL301"]
    assert main(["lint", "--ignore", "HL1,HL3"]) == 0


def test_list_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from hepci.lint import CODES

    assert main(["lint", "--list-codes"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert set(CODES) <= set(listed)
    assert "YL022" in listed and len(listed) == len(set(listed))


def test_yaml_syntax_error_is_a_finding(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text("a: [1, 2\n", encoding="utf-8")
    assert main(["lint"]) == 1
    assert capsys.readouterr().out.startswith(".gitlab-ci.yml:2:1: HL001 ")


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


USER_ERRORS = {
    "missing": (None, "no such file or directory"),
    "directory": ("dir", "no .gitlab-ci.yml"),
    "binary": (b"\x00\x01\x02 binary", "binary file"),
    "too-large": (b"a: " + b"x" * (3 * 1024 * 1024) + b"\n", "over the"),
    "bomb": (_bomb().encode(), "YAML bomb"),
    "utf8": (b"job:\n  script: [\xff\xfe]\n", "invalid UTF-8"),
}


@pytest.mark.parametrize("kind", sorted(USER_ERRORS))
def test_user_errors_are_one_line_exit_2(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    content, expected = USER_ERRORS[kind]
    target = in_tmp / "target.yml"
    if content == "dir":
        target.mkdir()
    elif isinstance(content, bytes):
        target.write_bytes(content)
    assert main(["lint", "target.yml"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hepci: error: target.yml"), out.err
    assert expected in lines[0]


def test_unreadable_file_exit_2(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    target = in_tmp / ".gitlab-ci.yml"
    target.write_text(CLEAN, encoding="utf-8")
    target.chmod(0)
    assert main(["lint"]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_included_bomb_is_exit_2_naming_the_included_file(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / ".gitlab-ci.yml").write_text("include: ci/bomb.yml\n" + CLEAN, encoding="utf-8")
    (in_tmp / "ci").mkdir()
    (in_tmp / "ci" / "bomb.yml").write_text(_bomb(), encoding="utf-8")
    assert main(["lint"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("hepci: error: ci/bomb.yml:")


def test_paths_are_shown_from_the_current_directory(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = in_tmp / "repo"
    (repo / "ci").mkdir(parents=True)
    (repo / ".gitlab-ci.yml").write_text("include: ci/a.yml\n" + CLEAN, encoding="utf-8")
    (repo / "ci" / "a.yml").write_text(".a:\n  script: [x]\n  script: [y]\n", encoding="utf-8")
    assert main(["lint", "repo"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "repo/ci/a.yml:3:3: HL303 duplicate key 'script' (first at line 2); GitLab keeps this one"
    ]
    (repo / "ci" / "a.yml").write_text(_bomb(), encoding="utf-8")
    assert main(["lint", "repo"]) == 2
    assert capsys.readouterr().err.startswith("hepci: error: repo/ci/a.yml:")
    (repo / ".gitlab-ci.yml").write_text(_bomb(), encoding="utf-8")
    assert main(["lint", "repo/.gitlab-ci.yml"]) == 2
    assert capsys.readouterr().err.startswith("hepci: error: repo/.gitlab-ci.yml:")


SUBPROCESS = textwrap.dedent(
    """
    import sys
    from hepci.cli import main
    code = main(sys.argv[1:])
    # VmHWM, not ru_maxrss: ru_maxrss keeps the forking parent's (pytest's) peak across exec
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak_kb = int(status.split()[0])
    heavy = sorted(
        m
        for m in ("jsonschema", "jsonschema_rs", "yamllint", "gitlab", "cookiecutter")
        if m in sys.modules
    )
    print(code, peak_kb, ",".join(heavy) or "-", file=sys.stderr)
    """
)


def run_measured(args: list[str], cwd: Path) -> tuple[int, int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", SUBPROCESS, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    code, peak_kb, heavy = proc.stderr.splitlines()[-1].split()
    return int(code), int(peak_kb), heavy


@pytest.mark.parametrize("kind", ["bomb", "too-large"])
def test_hostile_input_memory_stays_small(tmp_path: Path, kind: str) -> None:
    content = USER_ERRORS[kind][0]
    assert isinstance(content, bytes)
    (tmp_path / ".gitlab-ci.yml").write_bytes(content)
    code, peak_kb, _ = run_measured(["lint"], tmp_path)
    assert code == 2
    assert peak_kb < 200 * 1024, f"peak RSS {peak_kb} kB"


def test_help_does_not_import_the_linters(tmp_path: Path) -> None:
    code, _, heavy = run_measured(["lint", "--help"], tmp_path)
    assert code == 0
    assert heavy == "-"
    (tmp_path / ".gitlab-ci.yml").write_text(CLEAN, encoding="utf-8")
    code, _, heavy = run_measured(["lint"], tmp_path)
    assert code == 0
    assert heavy == "jsonschema_rs,yamllint"  # a clean file: jsonschema itself is not needed
