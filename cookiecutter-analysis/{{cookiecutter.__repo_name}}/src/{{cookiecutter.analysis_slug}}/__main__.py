"""Command line: ``python -m {{ cookiecutter.analysis_slug }} {make-sample,select,fit,plot}``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="{{ cookiecutter.analysis_slug }}", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
{%- if cookiecutter.flavour != 'cmssw' %}
    sample = sub.add_parser("make-sample", help="write a synthetic NanoAOD-like ROOT file")
    sample.add_argument("output")
    sample.add_argument("--events", type=int, default=20000)
    sample.add_argument("--seed", type=int, default=42)
    select = sub.add_parser("select", help="select muon pairs and histogram their mass")
    select.add_argument("inputs", nargs="+", help="ROOT files or root:// URLs")
    select.add_argument("-o", "--output", required=True)
    select.add_argument("--pt-min", type=float, default=20.0)
{%- endif %}
    fit = sub.add_parser("fit", help="fit the Z peak of a histogram file")
    fit.add_argument("histograms")
    fit.add_argument("-o", "--output", required=True)
    plot = sub.add_parser("plot", help="plot the histogram and the fit")
    plot.add_argument("histograms")
    plot.add_argument("--fit", help="results of the fit step (JSON)")
    plot.add_argument("-o", "--output", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
{%- if cookiecutter.flavour != 'cmssw' %}
    if args.command == "make-sample":
        from .samples import write_sample

        print(write_sample(args.output, n_events=args.events, seed=args.seed))
    elif args.command == "select":
        from .histogram import mass_histogram, write_histogram
        from .selection import dimuon_mass, load_muons

        masses = dimuon_mass(load_muons(args.inputs), pt_min=args.pt_min)
        write_histogram(mass_histogram(masses), args.output)
        print(f"{len(masses)} opposite-charge pairs -> {args.output}")
    elif args.command == "fit":
{%- else %}
    if args.command == "fit":
{%- endif %}
        from .fit import fit_peak, write_results
        from .histogram import read_histogram

        results = fit_peak(*read_histogram(args.histograms))
        write_results(results, args.output)
        print(f"Z peak at {results['peak_mass_gev']:.3f} GeV -> {args.output}")
    else:
        from .histogram import read_histogram
        from .plot import plot_mass

        counts, _, edges = read_histogram(args.histograms)
        results = json.loads(open(args.fit, encoding="utf-8").read()) if args.fit else None
        print(plot_mass(counts, edges, results, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
