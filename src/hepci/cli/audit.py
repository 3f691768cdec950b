"""`hepci audit`: placeholder registration, replaced by the real command."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Nothing yet."""
