"""The audit rules, one module per family (importing them registers the classes)."""

from __future__ import annotations

import importlib

MODULES = ("ci", "ci_more", "img", "pin", "wf", "tst", "repo", "pres", "gl")


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"hepci.audit.rules.{name}")
