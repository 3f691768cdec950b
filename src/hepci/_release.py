"""Release tooling for maintainers and the tag pipeline: ``python -m hepci._release CMD``.

* ``prepare X.Y.Z [--date YYYY-MM-DD]`` -- write the version into every file that names it
  (below), turn CHANGELOG's ``[Unreleased]`` section into ``[X.Y.Z] - date`` (a new empty
  ``[Unreleased]`` above it) and regenerate the generated files (``python -m hepci._docgen``).
* ``check X.Y.Z`` -- exit 1, one line per problem, unless the tag is a plain semver version,
  equals ``hepci.__version__``, every version-bearing file names it, CHANGELOG has a
  non-empty section for it and the generated files are current. The tag pipeline runs it
  before anything is built or published.
* ``notes X.Y.Z`` -- print that CHANGELOG section: the GitLab release's description.

The version is written by hand in one place, ``src/hepci/__init__.py`` (hatchling reads it
for the wheel); ``prepare`` copies it to the files GitLab and the scaffold read as they are
(each template's ``hepci-version`` input, the scaffold's ``templates_version``, CITATION.cff,
the list of known releases), because those must name the release *inside* the tagged
commit. The tag is the release: ``check`` refuses a tag that differs from the version.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hepci.errors import ExitCode

ROOT = Path(__file__).resolve().parent.parent.parent
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True)
class VersionSpot:
    """A place in a file that names the hepci release (group ``v`` of ``pattern``)."""

    path: str
    pattern: str
    what: str

    def find(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text, flags=re.MULTILINE)


HEPCI_VERSION_INPUT = r"^    hepci-version:\n(?:      .*\n)*?      default: \"?(?P<v>[^\"\s]+)\"?$"
"""The default of a template's ``hepci-version`` input: the hepci its jobs ``pip install``."""

VERSION_SPOTS: tuple[VersionSpot, ...] = (
    VersionSpot("src/hepci/__init__.py", r'^__version__ = "(?P<v>[^"]+)"$', "the package"),
    VersionSpot(
        "cookiecutter-analysis/cookiecutter.json",
        r'^  "templates_version": "(?P<v>[^"]+)",$',
        "the include version and pre-commit rev of `hepci new`",
    ),
    VersionSpot("CITATION.cff", r'^version: "?(?P<v>[^"\s]+)"?$', "the citation"),
)
KNOWN_RELEASES = VersionSpot(
    "src/hepci/upgrade/versions.py",
    r"^KNOWN_RELEASES: tuple\[str, \.\.\.\] = \((?P<v>[^)]*)\)",
    "the releases `hepci upgrade` knows",
)
CHANGELOG = "CHANGELOG.md"
_SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\][^\n]*\n(?P<body>.*?)(?=^## \[|\Z)", re.M | re.S)


def version_spots(root: Path = ROOT) -> tuple[VersionSpot, ...]:
    """Every place that names the release: the fixed ones and each template with an input
    ``hepci-version`` (found anew each time, so a new template cannot be forgotten)."""
    templates = tuple(
        VersionSpot(
            f"ci-templates/{path.name}",
            HEPCI_VERSION_INPUT,
            f"`pip install hepci==…` of the {path.stem} jobs (input hepci-version)",
        )
        for path in sorted((root / "ci-templates").glob("*.yml"))
        if re.search(r"^    hepci-version:$", path.read_text(encoding="utf-8"), re.MULTILINE)
    )
    return VERSION_SPOTS + templates


def changelog_section(text: str, version: str) -> str | None:
    """The body of ``## [version]`` (stripped), or ``None`` when there is none."""
    for match in _SECTION.finditer(text):
        if match["name"] == version:
            return match["body"].strip()
    return None


def _read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def _known(text: str) -> list[str]:
    match = KNOWN_RELEASES.find(text)
    return re.findall(r'"([^"]+)"', match["v"]) if match else []


def problems(version: str, root: Path = ROOT, *, generated: bool = True) -> list[str]:
    """Everything that keeps ``version`` from being released from ``root``."""
    if not SEMVER.match(version):
        return [f"tag {version!r} is not a release version X.Y.Z (semver, no 'v')"]
    found: list[str] = []
    for spot in version_spots(root):
        match = spot.find(_read(root, spot.path))
        named = match["v"] if match else None
        if named != version:
            found.append(f"{spot.path}: {spot.what} names {named!r}, not {version!r}")
    known = _known(_read(root, KNOWN_RELEASES.path))
    if version not in known:
        found.append(f"{KNOWN_RELEASES.path}: {version!r} missing from KNOWN_RELEASES")
    if not changelog_section(_read(root, CHANGELOG), version):
        found.append(f"{CHANGELOG}: no section '## [{version}]' with release notes")
    if generated:
        from hepci._docgen import stale_files

        stale = stale_files(root / "docs", root / "README.md", root)
        found += [f"{p.relative_to(root)}: stale, run `python -m hepci._docgen`" for p in stale]
    return found


def _set_version(text: str, spot: VersionSpot, version: str) -> str:
    match = spot.find(text)
    if match is None:
        raise SystemExit(f"{spot.path}: cannot find {spot.what}")
    return text[: match.start("v")] + version + text[match.end("v") :]


def _roll_changelog(text: str, version: str, date: str) -> str:
    if changelog_section(text, version) is not None:
        return text
    heading = re.search(r"^## \[Unreleased\][^\n]*\n", text, flags=re.MULTILINE)
    if heading is None:
        raise SystemExit(f"{CHANGELOG}: no '## [Unreleased]' section to release")
    if not changelog_section(text, "Unreleased"):
        raise SystemExit(f"{CHANGELOG}: '## [Unreleased]' is empty: nothing to release")
    new = f"## [Unreleased]\n\n## [{version}] - {date}\n"
    return text[: heading.start()] + new + text[heading.end() :]


def prepare(version: str, root: Path = ROOT, date: str | None = None) -> list[str]:
    """Name ``version`` everywhere, roll the CHANGELOG, regenerate; return the files changed."""
    if not SEMVER.match(version):
        raise SystemExit(f"{version!r} is not a release version X.Y.Z")
    date = date or dt.date.today().isoformat()
    edits: dict[str, str] = {}
    for spot in version_spots(root):
        edits[spot.path] = _set_version(
            edits.get(spot.path) or _read(root, spot.path), spot, version
        )
    cff = re.sub(
        r"^date-released: .*$", f'date-released: "{date}"', edits["CITATION.cff"], flags=re.M
    )
    edits["CITATION.cff"] = cff
    versions_py = _read(root, KNOWN_RELEASES.path)
    known = sorted({*_known(versions_py), version}, key=lambda v: tuple(map(int, v.split("."))))
    listed = ", ".join(f'"{v}"' for v in known) + ("," if len(known) == 1 else "")
    edits[KNOWN_RELEASES.path] = _set_version(versions_py, KNOWN_RELEASES, listed)
    edits[CHANGELOG] = _roll_changelog(_read(root, CHANGELOG), version, date)
    changed = []
    for rel, text in edits.items():
        if text != _read(root, rel):
            from hepci.core.safefs import write_inside

            write_inside(root, rel, text.encode("utf-8"))
            changed.append(rel)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or args[0] not in {"check", "notes", "prepare"}:
        print("usage: python -m hepci._release check|notes|prepare X.Y.Z", file=sys.stderr)
        return int(ExitCode.USAGE)
    command, version = args[0], args[1]
    if command == "check":
        found = problems(version)
        for line in found:
            print(f"release {version}: {line}", file=sys.stderr)
        return int(ExitCode.FINDINGS) if found else int(ExitCode.OK)
    if command == "notes":
        notes = changelog_section(_read(ROOT, CHANGELOG), version)
        if not notes:
            print(f"{CHANGELOG}: no section '## [{version}]'", file=sys.stderr)
            return int(ExitCode.FINDINGS)
        print(f"hepci {version}\n\n{notes}")
        return int(ExitCode.OK)
    date = args[args.index("--date") + 1] if "--date" in args else None
    for rel in prepare(version, date=date):
        print(f"wrote {rel}")
    # A new interpreter: this one imported the old __version__, which the docs would name.
    done = subprocess.run([sys.executable, "-m", "hepci._docgen"], cwd=ROOT, check=False)
    return int(ExitCode.OK) if done.returncode == 0 else int(ExitCode.FINDINGS)


if __name__ == "__main__":
    raise SystemExit(main())
