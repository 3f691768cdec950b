"""``hepci upgrade --scaffold``: a real template repository with two release tags, a project
rendered at the first, user edits, then a three-way update with one honest conflict."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hepci import __version__, scaffold
from hepci.cli import main
from hepci.core.resources import cookiecutter_dir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]
GIT = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "-c", "tag.gpgsign=false"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def test_scaffold_update_merges_and_reports_conflicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tpl = tmp_path / "templates"
    shutil.copytree(cookiecutter_dir(), tpl / "cookiecutter-analysis")
    _git(tpl, "init", "-q", "-b", "main")
    _git(tpl, "add", "-A")
    _git(tpl, "commit", "-qm", "template")
    _git(tpl, "tag", __version__)
    project = scaffold.create(
        tmp_path / "ana", answers={"workflow": "none"}, no_input=True,
        template_dir=tpl / "cookiecutter-analysis",
    ).path  # fmt: skip

    inner = next((tpl / "cookiecutter-analysis").glob("{{*"))
    (inner / ".dockerignore").write_text(
        (inner / ".dockerignore").read_text() + "template-added-line\n"
    )
    gitignore = (inner / ".gitignore").read_text().splitlines(keepends=True)
    (inner / ".gitignore").write_text("TEMPLATE-CHANGED\n" + "".join(gitignore[1:]))
    (inner / "NEWS.md").write_text("# News\n")
    _git(tpl, "add", "-A")
    _git(tpl, "commit", "-qm", "template 9.9.9")
    _git(tpl, "tag", "9.9.9")

    user_ignore = (project / ".gitignore").read_text().splitlines(keepends=True)
    (project / ".gitignore").write_text("USER-CHANGED\n" + "".join(user_ignore[1:]))
    readme = (project / "README.md").read_text() + "\nUser notes.\n"
    (project / "README.md").write_text(readme)

    args = ["upgrade", str(project), "--scaffold", "--template-repo", str(tpl)]
    assert main(args) == 1  # dry run: reports the conflict, writes nothing
    assert "NEWS.md" in capsys.readouterr().err and not (project / "NEWS.md").exists()

    assert main([*args, "--write"]) == 1  # conflicts are never a silent success
    err = capsys.readouterr().err
    assert "1 conflict(s)" in err and ".gitignore" in err
    merged = (project / ".gitignore").read_text()
    assert "<<<<<<<" in merged and "USER-CHANGED" in merged and "TEMPLATE-CHANGED" in merged
    assert (project / ".dockerignore").read_text().endswith("template-added-line\n")
    assert (project / "README.md").read_text() == readme  # untouched by the template: kept
    assert (project / "NEWS.md").read_text() == "# News\n"
    record = json.loads((project / ".cruft.json").read_text())
    assert record["commit"] == "9.9.9"

    assert main(args) == 0  # at 9.9.9 already
