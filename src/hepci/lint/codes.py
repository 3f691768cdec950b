"""Every finding code of ``hepci lint``, in one place: class name = code, docstring = meaning.

Families: ``HL0xx`` the file itself, ``HL1xx`` GitLab's CI JSON schema, ``HL2xx`` inputs
passed to templates, ``HL3xx`` references, includes and duplicate keys, ``YLxxx`` yamllint
rules (the rule name is repeated at the end of the message). ``--select``/``--ignore`` take
code prefixes (``HL3``, ``YL``, ``HL204``).

Output (stable): text ``path:line:col: CODE message``, one per line, sorted by path, line,
column, code; ``--format json`` is an array of ``{"path", "line", "column", "code",
"message"}`` objects in the same order (lines and columns 1-based).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import ClassVar


class Code:
    """Base class of the finding codes."""

    name: ClassVar[str] = ""

    @classmethod
    def id(cls) -> str:
        return cls.__name__

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0].replace("``", "`")


class HL001(Code):
    """YAML syntax error: the file does not parse (GitLab rejects the whole pipeline)."""

    name = "yaml-syntax"


class HL002(Code):
    """The CI configuration is empty or is not a mapping of keywords and jobs."""

    name = "not-a-mapping"


class HL101(Code):
    """The CI configuration does not match GitLab's CI JSON schema."""

    name = "schema"


class HL102(Code):
    """The ``spec:`` header does not match the schema's ``spec`` definition."""

    name = "spec-schema"


class HL103(Code):
    """``spec:`` in the configuration itself: it must be a header document ended by ``---``."""

    name = "spec-in-body"


class HL201(Code):
    """An ``include:`` passes an input the template does not declare."""

    name = "unknown-input"


class HL202(Code):
    """An input value has the wrong type for the template's ``spec:inputs`` (string, number, boolean, array)."""

    name = "input-type"


class HL203(Code):
    """An input value is not one of the template's ``options``."""

    name = "input-options"


class HL204(Code):
    """An input value does not match the template's ``regex``."""

    name = "input-regex"


class HL205(Code):
    """A required input (no ``default``) is missing from the ``include:``."""

    name = "missing-input"


class HL206(Code):
    """An ``include:`` names a hepci template that does not exist."""

    name = "unknown-template"


class HL301(Code):
    """An ``extends:`` target is not defined in the file or its local includes."""

    name = "extends-target"


class HL302(Code):
    """A ``!reference`` target (job or key) is not defined in the file or its local includes."""

    name = "reference-target"


class HL303(Code):
    """A key appears twice in one mapping; GitLab silently keeps the last one."""

    name = "duplicate-key"


class HL304(Code):
    """An ``include: local`` file does not exist (or is not ``.yml``/``.yaml``)."""

    name = "missing-include"


class HL305(Code):
    """``extends:`` forms a cycle or names the job itself."""

    name = "extends-cycle"


class HL306(Code):
    """A ``!reference`` is not a non-empty list of non-empty strings."""

    name = "reference-form"


class HL307(Code):
    """``extends:`` inherits through more than GitLab's 11 levels ("nesting too deep in `extends`")."""

    name = "extends-depth"


class HL308(Code):
    """A ``!reference`` is part of a circular chain (directly, through another one, or through ``extends``)."""

    name = "reference-cycle"


class HL309(Code):
    """``script``/``before_script``/``after_script`` nests more than 10 levels once ``!reference`` tags are resolved."""

    name = "reference-depth"


YAMLLINT_RULES: dict[str, str] = {
    "anchors": "YL001",
    "braces": "YL002",
    "brackets": "YL003",
    "colons": "YL004",
    "commas": "YL005",
    "comments": "YL006",
    "comments-indentation": "YL007",
    "document-end": "YL008",
    "document-start": "YL009",
    "empty-lines": "YL010",
    "empty-values": "YL011",
    "float-values": "YL012",
    "hyphens": "YL013",
    "indentation": "YL014",
    "key-duplicates": "YL015",
    "key-ordering": "YL016",
    "line-length": "YL017",
    "new-line-at-end-of-file": "YL018",
    "new-lines": "YL019",
    "octal-values": "YL020",
    "quoted-strings": "YL021",
    "trailing-spaces": "YL022",
    "truthy": "YL023",
}
"""yamllint rule → code; ``YL999`` is any other (plugin) rule."""

YAMLLINT_OTHER = "YL999"

CODES: dict[str, type[Code]] = {cls.__name__: cls for cls in Code.__subclasses__()}


def yamllint_code(rule: str | None) -> str:
    return YAMLLINT_RULES.get(rule or "", YAMLLINT_OTHER)


@dataclass(frozen=True, order=True)
class Finding:
    """One finding. Sorted by path, line, column, code. JSON fields are stable."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"


def selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether ``code`` passes ``--select`` (prefixes; empty = all) and ``--ignore``."""
    chosen = [s for s in select if s]
    if chosen and not any(code.startswith(p) for p in chosen):
        return False
    return not any(code.startswith(p) for p in ignore if p)


def code_table() -> list[str]:
    """``CODE  summary`` for every code, HL first, then the yamllint rules."""
    lines = [f"{code}  {cls.summary()}" for code, cls in sorted(CODES.items())]
    lines += [
        f"{code}  yamllint rule {rule}"
        for rule, code in sorted(YAMLLINT_RULES.items(), key=lambda x: x[1])
    ]
    lines.append(f"{YAMLLINT_OTHER}  any other yamllint rule (from a repository's own .yamllint)")
    return lines


def render(findings: Iterable[Finding], fmt: str) -> str:
    """Text (``path:line:col: CODE message``) or a JSON array of finding objects."""
    items = sorted(findings)
    if fmt == "json":
        return json.dumps([asdict(f) for f in items], indent=2, ensure_ascii=False)
    return "\n".join(f.text() for f in items)


__all__ = [
    "CODES",
    "YAMLLINT_RULES",
    "Code",
    "Finding",
    "code_table",
    "render",
    "selected",
    "yamllint_code",
]
