"""One version everywhere: every file that names the hepci release names `hepci.__version__`,
and `python -m hepci._release` prepares, checks and describes a release."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from release._standins import UNRELEASED_CHANGE, add_unreleased_change

from hepci import __version__, _release
from hepci.core.templates import shipped_templates
from hepci.upgrade.versions import KNOWN_RELEASES, parse_version

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_every_version_bearing_file_names_the_package_version() -> None:
    for spot in _release.version_spots(REPO_ROOT):
        match = spot.find((REPO_ROOT / spot.path).read_text(encoding="utf-8"))
        assert match is not None and match["v"] == __version__, spot.path
    templates = shipped_templates(REPO_ROOT / "ci-templates")
    installing = {n for n, t in templates.items() if "hepci-version" in t.inputs}
    assert "lint" in installing  # `pip install hepci==…` in the lint jobs
    assert installing == {Path(s.path).stem for s in _release.version_spots(REPO_ROOT)} & set(
        templates
    )
    for name in installing:
        assert templates[name].inputs["hepci-version"].default == __version__, name
    options = json.loads((REPO_ROOT / "cookiecutter-analysis/cookiecutter.json").read_text())
    assert options["templates_version"] == __version__  # include ref and pre-commit rev
    cff = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text())
    assert str(cff["version"]) == __version__
    assert max(KNOWN_RELEASES, key=parse_version) == __version__  # type: ignore[arg-type]


def test_generated_files_name_the_package_version_only() -> None:
    """README, docs/templates.md and every component README pin this version and no other."""
    texts = {p: p.read_text(encoding="utf-8") for p in [REPO_ROOT / "README.md",
             REPO_ROOT / "docs/templates.md", *REPO_ROOT.glob("templates/*/README.md")]}  # fmt: skip
    pins = re.compile(r'(?:hepci/hepci/[a-z0-9-]+@|ref: ")([0-9][^"\s`]*)')
    for path, text in texts.items():
        found = set(pins.findall(text))
        assert found == {__version__}, f"{path}: {found}"


def test_the_scaffold_pins_the_package_version(tmp_path: Path) -> None:
    from hepci import scaffold

    repo = scaffold.create(tmp_path / "demo", answers={}).path
    ci = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert {i["component"].rsplit("@", 1)[1] for i in ci["include"]} == {__version__}
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks[0]["repo"].endswith("/hepci/hepci") and hooks[0]["rev"] == __version__
    record = json.loads((repo / ".cruft.json").read_text())
    assert record["commit"] == record["checkout"] == __version__


def _release_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "ci-templates", root / "ci-templates")
    for rel in [s.path for s in _release.VERSION_SPOTS] + [
        _release.KNOWN_RELEASES.path,
        _release.CHANGELOG,
    ]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / rel, root / rel)
    add_unreleased_change(root / _release.CHANGELOG)
    return root


def test_prepare_then_check_then_notes(tmp_path: Path) -> None:
    root = _release_tree(tmp_path)
    before = _release.problems("9.8.7", root, generated=False)
    spots = _release.version_spots(root)
    assert len(before) == len(spots) + 2  # every spot, the list, CHANGELOG
    assert all("9.8.7" in line for line in before)
    changed = _release.prepare("9.8.7", root, date="2031-02-03")
    assert sorted(changed) == sorted(
        {s.path for s in spots} | {_release.KNOWN_RELEASES.path, "CHANGELOG.md"}
    )
    assert _release.problems("9.8.7", root, generated=False) == []
    # Only the spots moved: the scaffold's own analysis version (0.1.0) is not hepci's.
    lint = (root / "ci-templates/lint.yml").read_text()
    assert lint == (REPO_ROOT / "ci-templates/lint.yml").read_text().replace(
        f"default: {__version__}\n", "default: 9.8.7\n"
    )
    cff = yaml.safe_load((root / "CITATION.cff").read_text())
    assert cff["version"] == "9.8.7" and cff["date-released"] == "2031-02-03"
    changelog = (root / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [9.8.7] - 2031-02-03\n" in changelog
    notes = _release.changelog_section(changelog, "9.8.7")
    assert notes == UNRELEASED_CHANGE.strip()
    known = (root / _release.KNOWN_RELEASES.path).read_text()
    assert f'("{__version__}", "9.8.7")' in known
    assert _release.prepare("9.8.7", root, date="2031-02-03") == []  # idempotent


def test_prepare_refuses_an_empty_unreleased_section(tmp_path: Path) -> None:
    root = _release_tree(tmp_path)
    _release.prepare("9.8.7", root, date="2031-02-03")
    with pytest.raises(SystemExit, match=r"'## \[Unreleased\]' is empty: nothing to release"):
        _release.prepare("9.8.8", root, date="2031-02-04")
    assert "9.8.8" not in (root / "CHANGELOG.md").read_text()  # nothing written


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.2.3", "is not a release version"),
        ("1.2", "is not a release version"),
        ("1.2.3-rc1", "is not a release version"),
        ("01.2.3", "is not a release version"),
    ],
)
def test_check_refuses_tags_that_are_not_plain_semver(tmp_path: Path, tag: str, expected: str):
    assert expected in _release.problems(tag, _release_tree(tmp_path), generated=False)[0]


def test_check_refuses_a_tag_that_is_not_the_version(tmp_path: Path, capsys) -> None:
    root = _release_tree(tmp_path)
    _release.prepare("9.8.7", root, date="2031-02-03")
    found = _release.problems("9.8.8", root, generated=False)
    assert any(
        line.startswith("src/hepci/__init__.py: the package names '9.8.7'") for line in found
    )
    assert _release.main(["notes", "0.0.1"]) == 1
    assert "no section '## [0.0.1]'" in capsys.readouterr().err
