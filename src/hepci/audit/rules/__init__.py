"""The audit rules, one module per family (importing them registers the classes)."""

from __future__ import annotations

import importlib
from functools import cache

MODULES = ("ci", "ci_more", "img", "pin", "wf", "tst", "repo", "pres", "gl")


@cache
def load_all() -> None:
    """Import every rule module, once (``all_rules`` asks on every audited project)."""
    for name in MODULES:
        importlib.import_module(f"hepci.audit.rules.{name}")
