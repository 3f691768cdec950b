"""A small physics analysis repository that includes every hepci template (`include: local`)."""

from __future__ import annotations

ALL_TEMPLATES = (
    "image-build", "image-retag", "python-tests", "cmssw-build", "snakemake", "reana", "lint",
)  # fmt: skip

CI_ALL = """\
include:
  - local: /ci-templates/image-build.yml
  - local: /ci-templates/image-retag.yml
    inputs:
      unpacked: "true"
  - local: /ci-templates/python-tests.yml
  - local: /ci-templates/cmssw-build.yml
    inputs:
      job-prefix: zpeak
      release: CMSSW_10_6_30
      scram-arch: slc7_amd64_gcc700
  - local: /ci-templates/snakemake.yml
  - local: /ci-templates/reana.yml
  - local: /ci-templates/lint.yml
    inputs:
      audit: "true"
"""

FILES = {
    ".gitlab-ci.yml": CI_ALL,
    "Dockerfile": "FROM python:3.12-slim\nCOPY . /analysis\n",
    "analysis/__init__.py": "",
    "analysis/select.py": "def passes(pt: float) -> bool:\n    return pt > 25.0\n",
    "tests/test_select.py": "from analysis.select import passes\n\n\ndef test_cut():\n    assert passes(30.0)\n",
    "ZPeakAnalysis/plugins/BuildFile.xml": '<use name="FWCore/Framework"/>\n',
    "ZPeakAnalysis/plugins/MyZPeak.cc": "// analyzer\n",
    "Snakefile": 'rule all:\n    output: "results/n.txt"\n    shell: "echo 1 > {output}"\n',
    "reana.yaml": "version: 0.9.0\nworkflow:\n  type: snakemake\n  file: Snakefile\n",
    "docs/index.md": "# Z peak analysis\n",
    "README.md": "# Z peak\n",
}
