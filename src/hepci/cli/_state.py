"""Process-wide CLI settings set by the root callback (verbosity, debug)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CliState:
    verbosity: int = 0  # -1 quiet, 0 normal, >0 verbose
    debug: bool = False


STATE = CliState()
