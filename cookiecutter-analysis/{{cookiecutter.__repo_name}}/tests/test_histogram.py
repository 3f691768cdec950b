"""Unit tests of the histogramming and the fit."""

import numpy as np
import pytest

from {{ cookiecutter.analysis_slug }} import fit, histogram


def test_histogram_counts_values_in_range_only():
    h = histogram.mass_histogram(np.array([59.0, 60.5, 61.5, 90.9, 91.1, 119.9, 121.0]), bins=60)
    counts = h.values()
    assert counts.sum() == 5
    assert counts[0] == 1 and counts[1] == 1 and counts[30] == 1 and counts[-1] == 1


def test_histogram_round_trips_through_a_root_file(tmp_path):
    rng = np.random.default_rng(3)
    h = histogram.mass_histogram(rng.normal(91.0, 3.0, 5000))
    counts, variances, edges = histogram.read_histogram(
        histogram.write_histogram(h, tmp_path / "h.root")
    )
    assert counts == pytest.approx(h.values())
    assert variances == pytest.approx(h.variances())
    assert edges[0] == 60.0 and edges[-1] == 120.0 and len(edges) == 61


def test_fit_recovers_the_injected_peak():
    edges = np.linspace(60.0, 120.0, 61)
    centres = 0.5 * (edges[1:] + edges[:-1])
    expected = fit.model(centres, 20000.0, 90.5, 1.8, 300.0, 0.04)
    rng = np.random.default_rng(7)
    counts = rng.poisson(expected).astype(float)
    results = fit.fit_peak(counts, counts.copy(), edges)
    assert results["peak_mass_gev"] == pytest.approx(90.5, abs=0.2)
    assert results["chi2"] / results["ndf"] < 2.0
