"""Fixtures for the metadata tests: the template tests' registry and tools, and a validator."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from templates._tools import tool_bin
from templates.conftest import base_image, registry, snakemake_bin, venv_bin

__all__ = ["base_image", "registry", "snakemake_bin", "venv_bin"]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def validate_crate() -> Any:
    """``validate(crate_dir, profile) -> {"passed", "issues", "offline_misses"}`` with
    roc-validator (its own virtualenv; the RO-Crate context served offline)."""
    try:
        python = tool_bin("rocrate-validator") / "python"
    except RuntimeError as exc:
        pytest.fail(str(exc))
    import rocrate

    context = Path(rocrate.__file__).parent / "data" / "ro-crate.jsonld"

    def validate(crate: Path, profile: str) -> dict[str, Any]:
        done = subprocess.run(
            [str(python), str(HERE / "_offline_validate.py"), str(crate), profile, str(context)],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    return validate


def required_issues(result: dict[str, Any]) -> list[str]:
    return [
        f"{i['check']}: {i['message']}" for i in result["issues"] if i["severity"] == "REQUIRED"
    ]
