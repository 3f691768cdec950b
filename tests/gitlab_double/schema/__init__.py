"""GitLab's GraphQL schema as GitLab publishes it, for the double and the contract tests.

GitLab generates ``doc/api/graphql/reference/_index.md`` from its schema on every release (the
SDL/JSON dumps stopped being committed in 13.x). The ``gitlab-*.md`` files next to this module
are verbatim extracts of that reference (see ``README.md`` and ``cut.py``); this module reads
them and writes the equivalent SDL, which graphql-core builds. Nothing here names a type or a
field: every one comes from the vendored text.

Reading rules (the reference's own layout):

* ``## `Query` type``: ``### `Query.f``` sections with ``Returns [`T`]`` and an
  ``#### Arguments`` table;
* ``## Connections``: ``#### `T``` with ``##### Fields`` rows and ``###### `T.f``` fields with
  arguments (``Arguments:`` or ``####### Arguments``);
* ``## Object types``: ``### `T``` with ``#### Fields`` rows and ``##### `T.f``` fields with
  ``###### Arguments``;
* ``## Enumeration types``: ``### `E``` with ``| Value | Description |`` rows;
* a field documented as "returns a connection" (or a row ending "(see Connections)") takes the
  four standard pagination arguments ``before``, ``after``, ``first``, ``last``;
* a name that is referenced but not documented in the extract, and is not a GraphQL built-in,
  is one of GitLab's custom scalars (``implied_scalars`` lists them; a test pins the set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSIONS = {"19.0": "gitlab-19.0.md", "17.10": "gitlab-17.10.md"}
LATEST, OLDEST = "19.0", "17.10"
BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}
PAGINATION = (("before", "String"), ("after", "String"), ("first", "Int"), ("last", "Int"))

NAME = r"<a id=\"[^\"]*\"></a>`(\w+)`(?: \{\{< icon [^}]*>\}\})?"
FIELD_ROW = re.compile(rf"^\| {NAME} \| \[`([^`]+)`\]\(#[^)]*\) \| (.*) \|$")
VALUE_ROW = re.compile(rf"^\| {NAME} \| (.*) \|$")
HEADING = re.compile(r"^(#{2,7}) (.*)$")
TICKED = re.compile(r"^`([\w.]+)`(?: type)?$")
RETURNS = re.compile(r"^Returns \[`([^`]+)`\]")
CONNECTION_NOTE = "This field returns a [connection](#connections)."
SEE_CONNECTIONS = "(see [Connections](#connections))"


@dataclass
class Field:
    name: str
    type: str  # GraphQL type reference, e.g. ``[String!]!``
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class TypeDef:
    name: str
    kind: str  # "type" | "enum"
    fields: dict[str, Field] = field(default_factory=dict)
    values: list[str] = field(default_factory=list)


@dataclass
class Reference:
    """The types documented in one extract (or more, overlaid)."""

    types: dict[str, TypeDef] = field(default_factory=dict)

    def overlay(self, other: Reference) -> Reference:
        """These types, with every type ``other`` documents replaced by its definition."""
        return Reference({**self.types, **other.types})

    @property
    def implied_scalars(self) -> set[str]:
        referenced = {
            _base(t)
            for typedef in self.types.values()
            for f in typedef.fields.values()
            for t in (f.type, *f.args.values())
        }
        return referenced - set(self.types) - BUILTIN

    def sdl(self) -> str:
        out = [f"scalar {name}" for name in sorted(self.implied_scalars)]
        for typedef in self.types.values():
            if typedef.kind == "enum":
                out.append(f"enum {typedef.name} {{ {' '.join(typedef.values)} }}")
                continue
            lines = [f"  {f.name}{_args(f)}: {f.type}" for f in typedef.fields.values()]
            out.append(f"type {typedef.name} {{\n" + "\n".join(lines) + "\n}")
        return "\n".join(out) + "\n"


def _base(type_ref: str) -> str:
    return type_ref.strip("[]!")


def _args(f: Field) -> str:
    if not f.args:
        return ""
    return "(" + ", ".join(f"{name}: {t}" for name, t in f.args.items()) + ")"


def parse(text: str) -> Reference:
    """The types documented in a reference (the whole ``_index.md`` or an extract)."""
    ref = Reference()
    section = typedef = current = None
    in_args = False
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            ticked = TICKED.match(title)
            in_args = title == "Arguments"
            if level == 2:
                section, typedef, current = title, None, None
                if section == "`Query` type":
                    typedef = ref.types.setdefault("Query", TypeDef("Query", "type"))
                continue
            if ticked is None:
                continue
            name = ticked.group(1)
            if "." in name:  # a field with arguments, or a Query field
                owner, fname = name.split(".", 1)
                typedef = ref.types.setdefault(owner, TypeDef(owner, "type"))
                current = typedef.fields.setdefault(fname, Field(fname, ""))
            elif section in ("Connections", "Object types", "Enumeration types"):
                kind = "enum" if section == "Enumeration types" else "type"
                typedef, current = ref.types.setdefault(name, TypeDef(name, kind)), None
            continue
        if line == "Arguments:":
            in_args = True
            continue
        _read_line(line, typedef, current, in_args)
    return ref


def _read_line(line: str, typedef: TypeDef | None, current: Field | None, in_args: bool) -> None:
    if typedef is None:
        return
    returns = RETURNS.match(line)
    if returns and current is not None:
        current.type = returns.group(1)
        return
    if line.startswith(CONNECTION_NOTE) and current is not None:
        for name, t in PAGINATION:
            current.args.setdefault(name, t)
        return
    row = FIELD_ROW.match(line)
    if row is not None:
        name, type_ref, description = row.groups()
        if in_args and current is not None:
            current.args[name] = type_ref
        elif typedef.kind == "type":
            f = typedef.fields.setdefault(name, Field(name, type_ref))
            f.type = type_ref
            if description.endswith(SEE_CONNECTIONS):
                f.args.update(dict(PAGINATION))
        return
    value = VALUE_ROW.match(line)
    if value is not None and typedef.kind == "enum" and not line.startswith("| Value"):
        typedef.values.append(value.group(1))


@cache
def reference(version: str = LATEST) -> Reference:
    """The published reference of ``version``; an older extract overlays the latest one for
    the types it does not document itself (see README.md)."""
    ref = parse((HERE / VERSIONS[version]).read_text(encoding="utf-8"))
    if version == LATEST:
        return ref
    return reference(LATEST).overlay(ref)


def sdl(version: str = LATEST) -> str:
    return reference(version).sdl()
