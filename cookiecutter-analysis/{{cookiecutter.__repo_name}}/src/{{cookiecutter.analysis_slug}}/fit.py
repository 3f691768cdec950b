"""Locate the Z peak: a Voigt profile (Breit-Wigner ⊗ resolution) on an exponential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import curve_fit
from scipy.special import voigt_profile


def model(
    x: np.ndarray, n_sig: float, mass: float, sigma: float, n_bkg: float, slope: float
) -> np.ndarray:
    """Events per GeV: Voigt(mass, sigma, Γ_Z) signal on an exponential background."""
    width = 2.4952
    return n_sig * voigt_profile(x - mass, sigma, width / 2) + n_bkg * np.exp(-slope * (x - 60.0))


def fit_peak(counts: np.ndarray, variances: np.ndarray, edges: np.ndarray) -> dict[str, Any]:
    """Least-squares fit of ``model`` to a histogram; returns the fitted peak and its error."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    widths = np.diff(edges)
    density = counts / widths
    errors = np.sqrt(np.maximum(variances, 1.0)) / widths
    start = [counts.sum() * 0.6, centres[np.argmax(counts)], 1.5, density[0], 0.03]
    params, cov = curve_fit(model, centres, density, p0=start, sigma=errors, maxfev=20000)
    chi2 = float((((density - model(centres, *params)) / errors) ** 2).sum())
    names = ["n_sig", "mass", "sigma", "n_bkg", "slope"]
    return {
        "peak_mass_gev": float(params[1]),
        "peak_mass_error_gev": float(np.sqrt(cov[1, 1])),
        "resolution_gev": abs(float(params[2])),
        "chi2": chi2,
        "ndf": int(len(centres) - len(params)),
        "entries": float(counts.sum()),
        "parameters": dict(zip(names, map(float, params), strict=True)),
    }


def write_results(results: dict[str, Any], path: str | Path) -> Path:
    """Write ``results`` as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
