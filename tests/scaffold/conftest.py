"""Fixtures for the scaffold tests: rendered combinations and one physics virtualenv.

Rendering is cheap, so every flavour x workflow combination is rendered once per session.
The physics stack (uproot, awkward, hist, mplhep, scipy, matplotlib, snakemake) is expensive:
one fresh virtualenv per session, reusing pip's cache, shared by the end-to-end tests.
"""

from __future__ import annotations

import shutil
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
from scaffold.support import ALL_CASES, REPO_ROOT, combo_id, git, pip_install, render
from templates._gitserver import GitServer, git_http_server

from hepci import __version__


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


@pytest.fixture(scope="session")
def templates_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """`hepci/hepci` at tag `__version__`: this checkout's components and templates."""
    work = tmp_path_factory.mktemp("hepci-project")
    source = work / "hepci"
    source.mkdir()
    git(source, "init", "-q", "-b", "main")
    for folder in ("templates", "ci-templates"):
        shutil.copytree(REPO_ROOT / folder, source / folder)
    shutil.copy(REPO_ROOT / "README.md", source / "README.md")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", f"hepci {__version__}")
    git(source, "tag", __version__)
    with git_http_server(work / "served") as server:
        server.publish("hepci/hepci", source, (__version__,))
        yield server
