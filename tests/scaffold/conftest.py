"""Fixtures for the scaffold tests: rendered combinations and one physics virtualenv.

Rendering is cheap, so every flavour x workflow combination is rendered once per session.
The physics stack (uproot, awkward, hist, mplhep, scipy, matplotlib, snakemake) is expensive:
one fresh virtualenv per session, reusing pip's cache, shared by the end-to-end tests.
"""

from __future__ import annotations

import venv
from pathlib import Path

import pytest
from scaffold.support import ALL_CASES, combo_id, pip_install, render


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case, rendered once per session: id -> repository path."""
    parent = tmp_path_factory.mktemp("rendered")
    return {combo_id(*case): render(parent, *case) for case in ALL_CASES}


@pytest.fixture(scope="session")
def physics_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with pip >= 25.1 (for --group); packages come per project."""
    path = tmp_path_factory.mktemp("physics-venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    pip_install(path, "--upgrade", "pip>=25.1")
    return path


@pytest.fixture(autouse=True)
def _cookiecutter_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain cookiecutter calls keep their replay files out of the user's home."""
    home = tmp_path_factory.getbasetemp() / "cookiecutter-home"
    home.mkdir(exist_ok=True)
    config = home / "config.yaml"
    config.write_text(f"replay_dir: {home / 'replay'}\ncookiecutters_dir: {home / 'cc'}\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
