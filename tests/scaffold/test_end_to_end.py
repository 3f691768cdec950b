"""The columnar analysis works out of the box: its own tests pass and its workflow runs.

One fresh virtualenv per session (see conftest.py); only the columnar flavour runs here,
the other flavours share the same Python code and are checked by test_render.py.
"""

from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

import pytest
from scaffold.support import pip_install, render, run

pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Z_MASS = 91.1876


@pytest.fixture(scope="session")
def columnar(physics_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = render(tmp_path_factory.mktemp("e2e"), "columnar", "snakemake")
    start = time.monotonic()
    pip_install(physics_venv, "-e", ".", "--group", "test", "--group", "workflow", cwd=repo)
    print(f"physics stack installed in {time.monotonic() - start:.0f} s")
    return repo


def venv_env(env: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env),
        "MPLBACKEND": "Agg",
    }


def test_generated_unit_tests_pass(columnar, physics_venv):
    result = run(
        [physics_venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=columnar,
        env=venv_env(physics_venv),
    )
    assert result.returncode == 0, result.stdout[-4000:]
    summary = result.stdout.strip().splitlines()[-1]
    passed = int(summary.split(" passed")[0].split()[-1])
    assert passed >= 8 and "failed" not in summary and "error" not in summary


def test_snakemake_workflow_makes_the_plot_and_finds_the_z_peak(columnar, physics_venv):
    result = run(
        [physics_venv / "bin" / "snakemake", "--cores", "1"],
        cwd=columnar,
        env=venv_env(physics_venv),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    png = (columnar / "results" / "dimuon_mass.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 400 and height >= 300
    assert len(png) > 20_000
    fit = json.loads((columnar / "results" / "fit.json").read_text())
    assert abs(fit["peak_mass_gev"] - Z_MASS) < 1.0
    assert 0 < fit["peak_mass_error_gev"] < 0.5
    assert fit["chi2"] / fit["ndf"] < 3
    assert fit["entries"] > 1000
    # A second run has nothing to do: the outputs are up to date.
    again = run(
        [physics_venv / "bin" / "snakemake", "--cores", "1", "--dry-run"],
        cwd=columnar,
        env=venv_env(physics_venv),
    )
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
