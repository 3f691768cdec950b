"""Plot the dimuon mass histogram with the fitted model (CMS style via mplhep)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mplhep  # noqa: E402
import numpy as np  # noqa: E402

from .fit import model  # noqa: E402


def plot_mass(
    counts: np.ndarray,
    edges: np.ndarray,
    results: dict[str, Any] | None,
    path: str | Path,
    label: str = "Synthetic sample",
) -> Path:
    """Save the histogram (and the fit, when given) to ``path``.

    ``label`` goes next to the CMS logo: say "Open Data" once the inputs are real CMS files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.style.use(mplhep.style.CMS)
    fig, ax = plt.subplots()
    mplhep.histplot(counts, edges, ax=ax, histtype="errorbar", yerr=True, label="Data", color="k")
    if results:
        x = np.linspace(edges[0], edges[-1], 400)
        y = model(x, **results["parameters"]) * np.diff(edges).mean()
        label = f"Fit: $m_Z$ = {results['peak_mass_gev']:.2f} GeV"
        ax.plot(x, y, color="tab:red", label=label)
    ax.set_xlabel(r"$m_{\mu\mu}$ [GeV]")
    ax.set_ylabel("Events / bin")
    ax.legend()
    mplhep.cms.label(label, data=True, ax=ax, rlabel="")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
