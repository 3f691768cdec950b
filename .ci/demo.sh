#!/usr/bin/env bash
# `make demo`: from nothing to a fitted Z peak, offline except for the package registries.
# fresh virtualenv → install hepci (a real wheel) → hepci new demo-analysis → its unit tests →
# its Snakemake workflow → where the plot and the results are → hepci lint and hepci audit →
# its preservation record (hepci metadata: an RO-Crate of the run), where it is and its summary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
DEMO_DIR="${DEMO_DIR:-$ROOT/build/demo}"
VENV="$DEMO_DIR/venv"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Fresh virtualenv: $VENV"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip>=25.1"
export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" MPLBACKEND=Agg

step "Install hepci (a wheel built from $ROOT, with the metadata extra for RO-Crates)"
python -m pip install --quiet "$ROOT[metadata]"
hepci --version

step "hepci new demo-analysis --no-input"
cd "$DEMO_DIR"
hepci new demo-analysis --no-input
cd demo-analysis

step "Install the analysis with its test and workflow tools (uproot, awkward, hist, mplhep, snakemake)"
python -m pip install --quiet -e . --group test --group workflow

step "Unit tests of the analysis"
python -m pytest -q -p no:cacheprovider

step "Snakemake workflow: synthetic NanoAOD sample → select → histogram → fit → plot"
snakemake --cores 1 --quiet rules

step "Results"
python - <<'PY'
import json
fit = json.load(open("results/fit.json"))
print(f"Z peak: {fit['peak_mass_gev']:.2f} ± {fit['peak_mass_error_gev']:.2f} GeV "
      f"(PDG 91.19 GeV), resolution {fit['resolution_gev']:.2f} GeV, "
      f"chi2/ndf {fit['chi2']:.1f}/{fit['ndf']}, {fit['entries']:.0f} events")
PY
echo "plot:    $PWD/results/dimuon_mass.png"
echo "results: $PWD/results/fit.json"
echo "repo:    $PWD"

step "hepci lint demo-analysis"
cd "$DEMO_DIR"
hepci lint demo-analysis

step "hepci audit demo-analysis"
hepci audit demo-analysis

step "hepci metadata demo-analysis: the preservation record of this run (RO-Crate)"
cd demo-analysis
git init -q -b main
git add -A
git -c user.name="Jane Analyst" -c user.email=jane.analyst@cern.ch commit -q -m "hepci new demo-analysis"
hepci metadata . --run-output results/ | tee "$DEMO_DIR/metadata.txt"
echo
echo "crate:   $PWD/ro-crate-metadata.json"
echo "summary: $(head -n 1 "$DEMO_DIR/metadata.txt")"
