"""`.cruft.json` works with the real cruft: no drift after `hepci new`, drift after an edit,
and `cruft update` brings a template change into the project (then `cruft check` is clean).

The template is served from a throwaway git repository holding this checkout's
`cookiecutter-analysis/` tagged with the release, as the hepci repository would be.
"""

from __future__ import annotations

import json
import shutil

import pytest
from scaffold.support import REPO_ROOT, git, render, run, tool_venv

from hepci import __version__

pytestmark = pytest.mark.slow


def test_cruft_diff_update_and_check(tmp_path):
    cruft = tool_venv("cruft", "cruft>=2.16,<3", "cruft")
    template = tmp_path / "hepci"
    shutil.copytree(REPO_ROOT / "cookiecutter-analysis", template / "cookiecutter-analysis")
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", "release")
    git(template, "tag", __version__)

    project = render(tmp_path, "both", "reana-snakemake")
    record = json.loads((project / ".cruft.json").read_text())
    assert record["commit"] == record["checkout"] == __version__
    record["template"] = str(template)  # the local stand-in for the hepci repository
    (project / ".cruft.json").write_text(json.dumps(record, indent=2))
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "hepci new")

    assert run([cruft, "diff", "--exit-code"], cwd=project).returncode == 0
    with (project / "Dockerfile").open("a") as handle:
        handle.write("# local change\n")
    drift = run([cruft, "diff", "--exit-code"], cwd=project)
    assert drift.returncode == 1 and "local change" in drift.stdout
    git(project, "checkout", "-q", "Dockerfile")

    readme = template / "cookiecutter-analysis" / "{{cookiecutter.__repo_name}}" / "README.md"
    readme.write_text(readme.read_text().replace("## Run it locally", "## Run it on your laptop"))
    git(template, "commit", "-q", "-am", "template change")
    updated = run([cruft, "update", "--skip-apply-ask"], cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "## Run it on your laptop" in (project / "README.md").read_text()
    assert run([cruft, "check"], cwd=project).returncode == 0
