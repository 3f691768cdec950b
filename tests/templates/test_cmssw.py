"""cmssw-build: the only template not executed for real (it needs CVMFS). Its effective jobs
are checked with `gitlab-ci-local --preview`, and its scripts run on the host against a fake
CMS environment (`cmsset_default.sh`, `scramv1`/`scram`, `git cms-init`) that records calls."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from templates._project import Project

pytestmark = pytest.mark.slow

CI = """\
include:
  - local: /ci-templates/cmssw-build.yml
    inputs:
      job-prefix: zpeak
      release: CMSSW_10_6_30
      scram-arch: slc7_amd64_gcc700
      cms-path: $FAKE_CMS
      git-cms-init: "true"
      cms-packages: PhysicsTools/NanoAOD
      scram-jobs: 2
"""

# What CERN's cmsset_default.sh provides: the cmsrel/cmsenv aliases over scramv1.
CMSSET = """\
export PATH="$FAKE_CMS/bin:$PATH"
alias cmsrel='scramv1 project CMSSW'
alias cmsenv='eval `scramv1 runtime -sh`'
"""

SCRAM = r"""#!/bin/bash
set -eu
rel="${PWD#"$FAKE_ROOT"}"; rel="${rel#/}"
echo "$(basename "$0") $* @ ${rel:-.}" >> "$FAKE_CMS/calls.log"
area() { d="$PWD"; while [ ! -d "$d/.SCRAM" ]; do d="$(dirname "$d")"; [ "$d" != / ] || exit 9; done; echo "$d"; }
case "$1 ${2:-}" in
  "project CMSSW")
    [ -n "${SCRAM_ARCH:-}" ] || { echo "SCRAM_ARCH unset" >&2; exit 2; }
    mkdir -p "$3/src" "$3/.SCRAM/$SCRAM_ARCH"; echo "$3" > "$3/.SCRAM/release" ;;
  "runtime -sh")
    root="$(area)"; echo "export CMSSW_BASE='$root' CMSSW_VERSION='$(cat "$root/.SCRAM/release")'" ;;
  "b -j")
    [ -n "${CMSSW_BASE:-}" ] || { echo "cmsenv was not run" >&2; exit 3; }
    mkdir -p "$CMSSW_BASE/lib/$SCRAM_ARCH"
    find "$CMSSW_BASE/src" -name '*.cc' | sort > "$CMSSW_BASE/lib/$SCRAM_ARCH/compiled.txt"
    chmod -R a-w "$CMSSW_BASE/src" "$CMSSW_BASE/lib" ;;  # artifacts arrive write-protected
  "b ProjectRename") area > /dev/null ;;
  "b runtests")
    echo "tests of $(wc -l < "$CMSSW_BASE/lib/$SCRAM_ARCH/compiled.txt") modules passed" \
      > "$CMSSW_BASE/lib/$SCRAM_ARCH/runtests.log" ;;
  *) echo "fake scram: unexpected $*" >&2; exit 4 ;;
esac
"""

GIT_CMS = """#!/bin/bash
rel="${PWD#"$FAKE_ROOT"}"; rel="${rel#/}"
echo "$(basename "$0") $* @ ${rel:-.}" >> "$FAKE_CMS/calls.log"
"""


def fake_cms(root: Path) -> Path:
    cms = root / "cvmfs-cms"
    (cms / "bin").mkdir(parents=True)
    (cms / "cmsset_default.sh").write_text(CMSSET)
    for name, text in {
        "scramv1": SCRAM,
        "scram": SCRAM,
        "git-cms-init": GIT_CMS,
        "git-cms-addpkg": GIT_CMS,
    }.items():
        path = cms / "bin" / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return cms


FILES = {
    ".gitlab-ci.yml": CI,
    "ZPeakAnalysis/plugins/MyZPeak.cc": "// analyzer\n",
    "ZPeakAnalysis/plugins/BuildFile.xml": '<use name="FWCore/Framework"/>\n',
    "ZPeakAnalysis/test/MyZPeak_cfg.py": "import FWCore.ParameterSet.Config as cms\n",
}


def test_effective_jobs(tmp_path: Path, gcl: str) -> None:
    project = Project.create(tmp_path / "zpeak", FILES, ("cmssw-build",))
    preview = YAML(typ="safe").load(
        project.gcl("--preview", context="default").stdout.split("---", 1)[1]
    )
    build, test = preview["zpeak-build"], preview["zpeak-test"]
    assert build["tags"] == test["tags"] == ["k8s-cvmfs"]
    assert build["stage"] == "build" and test["stage"] == "test"
    assert build["variables"]["CMSSW_RELEASE"] == "CMSSW_10_6_30"
    assert build["variables"]["SCRAM_ARCH"] == "slc7_amd64_gcc700"
    assert (
        build["script"][:3]
        == ['top="$PWD"', "shopt -s expand_aliases", "set +u"][:1] + build["script"][1:3]
    )
    assert "shopt -s expand_aliases" in build["script"] and "cmsenv" in build["script"]
    assert build["artifacts"]["paths"] == ["$CMSSW_RELEASE"]
    assert (
        test["needs"] == [{"job": "zpeak-build", "artifacts": True, "optional": False}]
        or test["needs"][0]["job"] == "zpeak-build"
    )
    assert 'chmod -R +w "run/$CMSSW_RELEASE"' in test["script"]
    assert test["script"][-1] == 'eval "$CMSSW_TEST_COMMAND"'


def test_scripts_against_fake_cms(tmp_path: Path, gcl: str) -> None:
    cms = fake_cms(tmp_path)
    project = Project.create(tmp_path / "zpeak", FILES, ("cmssw-build",))
    project.variables = {"FAKE_CMS": str(cms), "FAKE_ROOT": str(project.path)}
    done = project.gcl("zpeak-build", "zpeak-test", context="default", check=False)
    # Restore write permission so pytest can clean up the "protected" area.
    for base, dirs, _ in os.walk(project.path):
        for d in dirs:
            Path(base, d).chmod(0o755)
    assert done.returncode == 0, done.stdout[-4000:]
    calls = (cms / "calls.log").read_text().splitlines()
    assert calls == [
        "scramv1 project CMSSW CMSSW_10_6_30 @ .",
        "scramv1 runtime -sh @ CMSSW_10_6_30/src",
        "git-cms-init --upstream-only @ CMSSW_10_6_30/src",
        "git-cms-addpkg PhysicsTools/NanoAOD @ CMSSW_10_6_30/src",
        "scram b -j 2 @ CMSSW_10_6_30/src",
        "scram b ProjectRename @ run/CMSSW_10_6_30/src",
        "scramv1 runtime -sh @ run/CMSSW_10_6_30/src",
        "scram b runtests @ run/CMSSW_10_6_30/src",
    ]
    area = project.artifact("zpeak-build", "CMSSW_10_6_30")
    compiled = (area / "lib/slc7_amd64_gcc700/compiled.txt").read_text().splitlines()
    # The build ran in the project directory: CMSSW_BASE is <project>/CMSSW_10_6_30.
    assert [Path(c).relative_to(project.path / "CMSSW_10_6_30") for c in compiled] == [
        Path("src/AnalysisCode/ZPeakAnalysis/plugins/MyZPeak.cc")
    ]
    assert not (area / "src/AnalysisCode/.git").exists()
    assert not (area / "src/AnalysisCode/CMSSW_10_6_30").exists()
    runtests = project.path / "run/CMSSW_10_6_30/lib/slc7_amd64_gcc700/runtests.log"
    assert runtests.read_text() == "tests of 1 modules passed\n"
