"""Item 15: one table of exit codes, one behaviour, and ``--debug`` never changes a code.

The expected codes are read from README.md's bad-input table (the documentation IS the test
data), and README's code table is compared with :data:`hepci.errors.EXIT_CODES`. Every row
runs every command with and without ``--debug``: the code must be the documented one both
times, stderr one line without ``--debug``, and the same line after the traceback with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hepci.cli import main
from hostile._support import Run, make_tree, run_hepci

README = Path(__file__).resolve().parents[2] / "README.md"
COMMANDS = ("lint", "audit", "upgrade", "new")

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(10)
)
INPUTS: dict[str, str | bytes | None] = {
    "missing path": None,
    "unreadable CI file": "job:\n  script: [x]\n",
    "binary CI file": b"job:\x00\x01\n",
    "CI file over 2 MiB": "job:\n  script: [x]\n# " + "x" * (3 * 1024 * 1024) + "\n",
    "YAML bomb": BOMB + "job:\n  script: [*k]\n",
    "invalid YAML": "job:\n  script: [x\n  - : :\n",
    "include leaving the repository root": "include:\n  - local: ../x.yml\njob:\n  script: [x]\n",
}


def _readme_table(start: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text.split(start, 1)[1].split("\n\n", 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def _bad_input_table() -> dict[tuple[str, str], int | None]:
    table: dict[tuple[str, str], int | None] = {}
    for row, *cells in _readme_table("<!-- bad-input-table:start -->"):
        for command, cell in zip(COMMANDS, cells, strict=True):
            found = re.match(r"\d+", cell)
            table[row, command] = int(found.group()) if found else None
    return table


TABLE = _bad_input_table()


def test_readme_code_table_is_errors_exit_codes() -> None:
    from hepci.errors import EXIT_CODES

    rows = _readme_table("<!-- exit-codes:")
    assert {int(code): text for code, text in rows} == {
        int(code): text for code, text in EXIT_CODES.items()
    }


def test_every_row_of_the_bad_input_table_is_tested() -> None:
    assert {row for row, _ in TABLE} == {*INPUTS, "output cannot be written"}


def _target(tmp_path: Path, row: str) -> Path:
    content = INPUTS[row]
    if content is None:
        return tmp_path / "nope"
    repo = make_tree(tmp_path / "repo", {".gitlab-ci.yml": content})
    if row == "unreadable CI file":
        (repo / ".gitlab-ci.yml").chmod(0)
    return repo


def _check(code_of: Callable[[bool], Run], expected: int, command: str) -> None:
    plain, debug = code_of(False), code_of(True)
    assert plain.code == expected, plain.err
    assert debug.code == expected, debug.err  # --debug only adds the traceback
    if command == "audit" and expected == 1:
        assert plain.err_lines == [] and "CI002" in plain.out  # a finding, in the report
        return
    assert len(plain.err_lines) == 1, plain.err
    if expected == 2:
        assert plain.err_lines[0].startswith("hepci: error: ")
        assert "Traceback (most recent call last)" in debug.err
    assert debug.err_lines[-1] == plain.err_lines[-1]


def _in_process(capsys: pytest.CaptureFixture[str], args: list[str]) -> Callable[[bool], Run]:
    def run(debug: bool) -> Run:
        code = main(["--debug", *args] if debug else args)
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def _child(args: list[str], **options: object) -> Callable[[bool], Run]:
    def run(debug: bool) -> Run:
        return run_hepci(*(["--debug", *args] if debug else args), **options)  # type: ignore[arg-type]

    return run


CASES = [
    (row, command)
    for (row, command), code in TABLE.items()
    if code is not None and row != "output cannot be written"
]


@pytest.mark.parametrize(("row", "command"), CASES, ids=[f"{r}-{c}" for r, c in CASES])
def test_bad_input(
    row: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(_target(tmp_path, row))
    if row == "unreadable CI file":  # root reads anything: run it where modes apply
        runner = _child([command, target], obey_modes=True)
    else:
        runner = _in_process(capsys, [command, target])
    expected = TABLE[row, command]
    assert expected is not None
    _check(runner, expected, command)


@pytest.mark.parametrize("command", COMMANDS)
def test_output_cannot_be_written(command: str, tmp_path: Path) -> None:
    ci = {".gitlab-ci.yml": "job:\n  type: test\n  script: [x]\n"}
    repo = make_tree(tmp_path / "repo", ci)
    readonly = make_tree(tmp_path / "ro", ci)  # a repository upgrade --write cannot write to
    readonly.chmod(0o555)
    args = {
        "lint": ["lint", str(repo)],
        "audit": ["audit", str(repo), "-f", f"json={readonly / 'a.json'}"],
        "upgrade": ["upgrade", "--write", str(readonly)],
        "new": ["new", str(readonly / "ana"), "--no-input"],
    }[command]
    if command == "lint":  # stdout on a full disk
        runner = _child(args, stdout=Path("/dev/full"))
    else:
        runner = _child(args, obey_modes=True)
    expected = TABLE["output cannot be written", command]
    assert expected is not None
    _check(runner, expected, command)
