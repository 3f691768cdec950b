"""The rule protocol (repo-review style) and the registry of every rule.

A rule is a small class: its name is its ID (``CI005``), its docstring's first line is its
title and the rest its Markdown rationale; class attributes give the severity, the rules it
``requires``, the upgrade codemods that ``fix`` it, and whether it needs a file listing or
forge metadata, and whether it is ``volatile`` (its result changes with time or
``last_activity_at`` alone, so the findings cache re-runs it on every hit). ``check`` is a
pure function of the shared :class:`~.context.AuditContext`:
it returns the findings (empty: pass) or raises :class:`Skip` when it does not apply.
"""

from __future__ import annotations

import inspect
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from hepci.audit.model import Finding, Severity

if TYPE_CHECKING:
    from hepci.audit.context import AuditContext

DOCS_PAGE = "https://gitlab.cern.ch/hepci/hepci/-/blob/main/docs/rules.md"
_GENERATION = [0]  # bumped whenever a Rule subclass is defined: invalidates the registry cache


class Skip(Exception):
    """Raised by ``check`` when the rule does not apply to this repository."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rule:
    """Base class of every audit rule; subclasses set the class attributes and ``check``."""

    family: ClassVar[str] = ""
    severity: ClassVar[Severity] = "warning"
    requires: ClassVar[frozenset[str]] = frozenset()
    fix: ClassVar[tuple[str, ...]] = ()
    needs_listing: ClassVar[bool] = False
    needs_meta: ClassVar[bool] = False
    volatile: ClassVar[bool] = False  # reads the clock or ``last_activity_at``: never cached

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _GENERATION[0] += 1

    @classmethod
    def id(cls) -> str:
        return cls.__name__

    @classmethod
    def title(cls) -> str:
        return _title(cls.__doc__ or cls.__name__)

    @classmethod
    def rationale(cls) -> str:
        """The Markdown rationale: the class docstring after its first line."""
        lines = inspect.cleandoc(cls.__doc__ or "").splitlines()[1:]
        return "\n".join(lines).strip()

    @classmethod
    def url(cls) -> str:
        return f"{DOCS_PAGE}#{cls.id().lower()}"

    def check(self, ctx: AuditContext) -> list[Finding]:
        raise NotImplementedError


@cache
def _title(doc: str) -> str:
    return inspect.cleandoc(doc).splitlines()[0].strip()


def all_rules() -> dict[str, type[Rule]]:
    """Every rule class by ID, in family order then ID order (a copy: callers may edit it)."""
    from hepci.audit.rules import load_all

    load_all()
    return dict(_registry(_GENERATION[0]))


@lru_cache(maxsize=1)
def _registry(generation: int) -> dict[str, type[Rule]]:
    """The rules defined at ``generation`` (a new subclass makes the next call rebuild it)."""
    from hepci.audit.model import FAMILIES

    found: dict[str, type[Rule]] = {}
    stack = list(Rule.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.family and cls.__name__[:1].isupper() and cls.__name__[-3:].isdigit():
            found[cls.id()] = cls
    order = list(FAMILIES)
    return dict(sorted(found.items(), key=lambda kv: (order.index(kv[1].family), kv[0])))
