"""Histogram the dimuon mass and store it as a ROOT TH1 (the same format CMSSW writes)."""

from __future__ import annotations

from pathlib import Path

import hist
import numpy as np
import uproot

HIST_NAME = "dimuon_mass"


def mass_histogram(
    masses: np.ndarray, bins: int = 60, low: float = 60.0, high: float = 120.0
) -> hist.Hist:
    """A 1D histogram of ``masses`` in GeV with sum-of-weights storage."""
    h = hist.Hist(
        hist.axis.Regular(bins, low, high, name="mass", label=r"$m_{\mu\mu}$ [GeV]"),
        storage=hist.storage.Weight(),
    )
    h.fill(mass=masses)
    return h


def write_histogram(h: hist.Hist, path: str | Path) -> Path:
    """Write ``h`` to ``path`` as ``dimuon_mass``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with uproot.recreate(path) as out:
        out[HIST_NAME] = h
    return path


def read_histogram(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (counts, variances, edges) of ``dimuon_mass`` in ``path``.

    The histogram may sit in a folder, as TFileService writes it (``dimuon/dimuon_mass``).
    """
    with uproot.open(path) as infile:
        names = [key.split(";")[0] for key in infile.keys(recursive=True)]
        matches = [name for name in names if name.split("/")[-1] == HIST_NAME]
        if not matches:
            raise KeyError(f"{path}: no histogram named {HIST_NAME}")
        th1 = infile[matches[0]]
        counts, edges = th1.to_numpy()
        return counts, th1.variances(), edges
