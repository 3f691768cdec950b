"""The README's "Dry run against a live GitLab" commands work as written (against the double,
with a read_api token) and do what the section says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from gitlab_double.populate import World
from gitlab_double.server import GitLabDouble

from hepci.cli import main
from hepci.gitlab.trace import REDACTED, TOKEN_SHAPE, load

README = Path(__file__).resolve().parents[2] / "README.md"


def section_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Dry run against a live GitLab", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the section shows its commands in an sh block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("hepci ")]


def test_readme_dry_run_commands(
    gitlab_double: GitLabDouble,
    gitlab_world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = section_commands()
    assert [shlex.split(c)[:2] for c in commands] == [["hepci", "audit"], ["hepci", "upgrade"]]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITLAB_TOKEN", gitlab_world.tokens.reader)  # read_api only
    monkeypatch.setenv("HEPCI_CACHE_DIR", str(tmp_path / "cache"))
    codes = []
    for command in commands:
        words = shlex.split(command.replace("https://gitlab.example.org", gitlab_double.url))
        words = ["gitlab:hep" if w == "gitlab:my-group" else w for w in words]
        if ">" in words:  # the shell redirect of the plan
            words = words[: words.index(">")]
        codes.append(main(words[1:]))
    assert codes[0] in (0, 1) and codes[1] == 0, codes
    assert (tmp_path / "report.json").is_file()
    plan = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"\d+ to upgrade, \d+ up to date, \d+ skipped, 0 failed, 0 merge request\(s\) created", plan
    )
    for name in ("audit-trace.jsonl", "upgrade-trace.jsonl"):
        text = (tmp_path / name).read_text()
        assert gitlab_world.tokens.reader not in text
        assert "glpat-" not in text.replace(REDACTED, "")  # the README's grep finds nothing
        assert not [m for m in TOKEN_SHAPE.findall(text) if m != REDACTED]
        assert load(tmp_path / name)
