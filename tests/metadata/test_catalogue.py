"""`hepci audit gitlab:GROUP -f catalogue=…` over the GitLab double (200 projects): each row
is the analysis's preservation record, the crates come from the HEAD pipeline's metadata job
inside the sweep's GraphQL batches (no request of their own): the image digest each crate
records is read from the summary line at the end of that job's log (`CiJob.trace
{ htmlSummary }`), and the page works in headless Chromium (screenshot kept under the test's
tmp dir)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import requests
from gitlab_double import GitLabDouble, build_world
from gitlab_double.preservation import add_metadata_jobs

from hepci.cli import main

pytestmark = pytest.mark.slow
N_PROJECTS = 200


def sweep(
    double: GitLabDouble, token: str, out: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> int:
    monkeypatch.setenv("GITLAB_TOKEN", token)
    double.stats.reset()
    code = main(
        ["audit", "gitlab:hep", "--gitlab-url", double.url, "--no-progress", "--no-cache",
         "-f", f"{fmt}={out}", "--fail-on", "never"]
    )  # fmt: skip
    assert code in (0, 3)
    return sum(double.stats.counts().values())


@pytest.fixture(scope="module")
def world():
    world = build_world(n_projects=N_PROJECTS, seed=21)
    truth = add_metadata_jobs(world, share=0.4, failed=0.1, seed=21)
    return world, truth


def rows(html: str) -> dict[str, str]:
    body = html.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    found = {}
    for row in body.split("<tr ")[1:]:
        name = unescape(re.search(r'<td data-v="([^"]+)"', row).group(1))
        found[name] = row
    return found


def test_catalogue_shows_each_record_and_its_crate(world, tmp_path, monkeypatch):
    world, truth = world
    with GitLabDouble(world.state) as double:
        out = tmp_path / "catalogue.html"
        with_crates = sweep(double, world.tokens.owner, out, monkeypatch, "catalogue")
        # The same sweep without the crate fields in the batch: the catalogue costs no request.
        monkeypatch.setattr("hepci.gitlab.graphql.pipeline_fields", lambda summary: "")
        without = sweep(
            double, world.tokens.owner, tmp_path / "plain.html", monkeypatch, "catalogue"
        )
        assert with_crates - without <= N_PROJECTS // 100, (with_crates, without)
        html = out.read_text()
        shown = rows(html)
        assert len(shown) >= N_PROJECTS * 0.8  # archived, empty and hidden projects are not rows
        crates = {name for name, row in shown.items() if "/jobs/artifacts/" in row}
        assert crates == set(truth.with_crate) & set(shown)
        assert crates, "the seeded world must have crates"
        name = sorted(crates)[0]
        url = unescape(re.search(r'href="([^"]*/jobs/artifacts/[^"]*)"', shown[name]).group(1))
        crate = requests.get(url, headers={"PRIVATE-TOKEN": world.tokens.owner}, timeout=10).json()
        assert crate["@graph"][0]["name"] == name  # the link serves that project's crate
        # The digest each crate records is shown, read from its job's log in the same batch;
        # a crate whose job log has no summary line (an older template) is linked instead.
        summarised = set(truth.with_summary) & crates
        assert summarised and crates - summarised, "the world must have both kinds"
        for project in summarised:
            digest = truth.with_summary[project]
            assert f'title="{digest}"' in shown[project], project
            assert "from the pipeline's crate" in shown[project]
            assert "no image digest" not in shown[project]
        for project in crates - summarised:
            assert "digest in the crate ↗" in shown[project], project
        plain = rows((tmp_path / "plain.html").read_text())
        assert not any("from the pipeline's crate" in row for row in plain.values())
        for failed in truth.failed & set(shown):
            assert (
                "latest default-branch pipeline left no crate" in shown[failed]
                or "none" in shown[failed]
            )
    screenshot(out, tmp_path)


def screenshot(page: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (make test installs it when run as root)")
    png = tmp_path / "catalogue.png"
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium-profile'}"]  # fmt: skip
    shot = subprocess.run(
        [*base, f"--screenshot={png}", "--window-size=1600,1000", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shot.returncode == 0 and png.stat().st_size > 20_000, shot.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"catalogue screenshot: {png}")
    # The script ran: a filtered view (#only=nocrate) hides exactly the rows that have a crate.
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri() + "#only=nocrate"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    hidden = dom.stdout.count('class="hidden"')
    with_crate = page.read_text().count('data-nocrate="0"')
    assert hidden == with_crate > 0
