"""Shared checks for edit tests: which original lines an edit changed, and generated edits.

The generators pick targets deterministically from the parsed tree (first/middle/last job,
script items, include entries, variables) and say which original lines each edit may change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from hepci.core.yamledit import (
    AliasNode,
    DeleteItem,
    DeleteKey,
    Edit,
    InsertItem,
    InsertKey,
    MappingNode,
    Node,
    RenameKey,
    ReplaceValue,
    ScalarNode,
    SequenceNode,
    SetScalar,
    YamlDocument,
    YamlFile,
    document,
)


def changed_lines(old: str, new: str, *, suffix_first: bool = False) -> tuple[set[int], int]:
    """(0-based original lines that were replaced or deleted, number of inserted lines).

    The common prefix and suffix are trimmed first, so repeated identical lines elsewhere in
    the file cannot make difflib attribute a change to the wrong place. Next to identical
    lines a change is ambiguous; ``suffix_first`` trims the suffix greedily instead.
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for lines in (a, b):  # a missing final line break is not a change of that line
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\r\n" if "\r\n" in old else "\n"
    head = tail = 0
    if suffix_first:
        while tail < min(len(a), len(b)) and a[-1 - tail] == b[-1 - tail]:
            tail += 1
        while head < min(len(a), len(b)) - tail and a[head] == b[head]:
            head += 1
    else:
        while head < min(len(a), len(b)) and a[head] == b[head]:
            head += 1
        while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
            tail += 1
    changed: set[int] = set()
    inserted = 0
    matcher = difflib.SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            changed.update(range(head + i1, head + i2))
        if tag in ("replace", "insert"):
            inserted += j2 - j1
    return changed, inserted


def only_lines_changed(old: str, new: str, targets: set[int] | frozenset[int]) -> bool:
    """Whether some reading of the line diff changes only ``targets`` of the original."""
    return any(changed_lines(old, new, suffix_first=first)[0] <= targets for first in (False, True))


def span(node: Node, text: str) -> set[int]:
    """Lines a node's text covers (block scalars without their trailing blank lines)."""
    end = node.end.offset
    while end > node.start.offset and text[end - 1] in " \t\r\n":
        end -= 1
    return set(range(node.start.line, text.count("\n", 0, end) + 1))


@dataclass(frozen=True)
class Planned:
    """A generated edit, the original lines it may change, and whether it only inserts lines."""

    edit: Edit
    targets: frozenset[int]
    insert_only: bool
    kind: str


def _entry_lines(key: Node, value: Node, text: str) -> set[int]:
    lines = span(key, text) | span(value, text)
    return set(range(min(lines), max(lines) + 1))


def _pick(items: list[Any]) -> list[Any]:
    """First, middle and last (without repeats)."""
    if not items:
        return []
    picked = [items[0], items[len(items) // 2], items[-1]]
    return [x for i, x in enumerate(picked) if x not in picked[:i]]


def _jobs(root: MappingNode) -> list[tuple[ScalarNode, MappingNode]]:
    return [
        (k, v)
        for k, v in root.items
        if isinstance(k, ScalarNode) and isinstance(v, MappingNode) and k.value != "<<"
    ]


def generate(file: YamlFile, doc: YamlDocument) -> Iterator[Planned]:
    """Deterministic edits for a CI document (scalar, rename, add key, delete/insert items)."""
    root = doc.mapping()
    if root is None:
        return
    text = file.text
    for key, job in _pick(_jobs(root)):
        name = key.value
        yield Planned(
            RenameKey((name,), f"{name}-renamed"), frozenset(span(key, text)), False, "rename"
        )
        yield Planned(
            InsertKey((name,), "hepci_added", {"when": "manual", "list": ["a b", "x: y"]}),
            frozenset(),
            not job.flow,
            "insert-key",
        )
        scalars = [
            (k, v) for k, v in job.items if isinstance(v, ScalarNode) and isinstance(k, ScalarNode)
        ]
        for k, v in _pick(scalars)[:2]:
            yield Planned(
                SetScalar((name, k.value), "edited value: 1"),
                frozenset(span(k, text) | span(v, text)),
                False,
                "set",
            )
        own = [(k, v) for k, v in job.items if isinstance(k, ScalarNode) and k.value != "<<"]
        if len(job.items) > 1 and own:
            k, v = own[-1]
            targets = frozenset(_entry_lines(k, v, text))
            yield Planned(DeleteKey((name, k.value)), targets, False, "delete-key")
        yield from _script_edits(name, job, text)
    yield from _section_edits(root, text)


def _script_edits(name: str, job: MappingNode, text: str) -> Iterator[Planned]:
    for section in ("script", "before_script", "needs"):
        seq = job.get(section)
        key = job.key_node(section)
        if not isinstance(seq, SequenceNode) or key is None or not seq.items:
            continue
        index = len(seq.items) // 2
        item = seq.items[index]
        targets = span(item, text)
        if len(seq.items) == 1:
            targets |= span(key, text) | span(seq, text)
        elif seq.flow:
            targets |= span(seq, text)
        yield Planned(DeleteItem((name, section, index)), frozenset(targets), False, "delete-item")
        yield Planned(
            InsertItem((name, section), 0, "echo 'inserted' # not a comment"),
            frozenset(span(seq, text) if seq.flow else set()),
            not seq.flow,
            "insert-item",
        )
        return


def _section_edits(root: MappingNode, text: str) -> Iterator[Planned]:
    variables = root.get("variables")
    if isinstance(variables, MappingNode) and variables.items:
        k, v = variables.items[0]
        if isinstance(k, ScalarNode) and not isinstance(v, AliasNode):
            yield Planned(
                ReplaceValue(("variables", k.value), "42"),
                frozenset(span(k, text) | span(v, text)),
                False,
                "replace",
            )
        yield Planned(
            InsertKey(("variables",), "HEPCI_NEW", "on"),
            frozenset(span(variables, text) if variables.flow else set()),
            not variables.flow,
            "insert-key",
        )
    include = root.get("include")
    if isinstance(include, SequenceNode) and len(include.items) > 1:
        item = include.items[0]
        targets = span(item, text) | (span(include, text) if include.flow else set())
        yield Planned(DeleteItem(("include", 0)), frozenset(targets), False, "delete-item")


def generate_header(file: YamlFile) -> Iterator[Planned]:
    """Edits in the ``spec:`` header of a component file (document 0)."""
    header = file.header
    if header is None:
        return
    inputs = header.find(("spec", "inputs"))
    if not isinstance(inputs, MappingNode) or not inputs.items:
        return
    text = file.text
    yield Planned(
        InsertKey(
            ("spec", "inputs"), "hepci_input", {"default": "", "description": "added"}, document=0
        ),
        frozenset(span(inputs, text) if inputs.flow else set()),
        not inputs.flow,
        "insert-key",
    )
    for key, value in inputs.items:
        default = value.get("default") if isinstance(value, MappingNode) else None
        name = key.value if isinstance(key, ScalarNode) else None
        if isinstance(default, ScalarNode) and name is not None and isinstance(value, MappingNode):
            default_key = value.key_node("default")
            assert default_key is not None
            yield Planned(
                SetScalar(("spec", "inputs", name, "default"), "changed", document=0),
                frozenset(span(default_key, text) | span(default, text)),
                False,
                "set",
            )
            return


@contextmanager
def counting_parses() -> Iterator[list[int]]:
    """Sizes of every text parsed (the composer behind every parse_source)."""
    sizes: list[int] = []
    real = document.compose_documents

    def compose(text: str, *args: Any) -> Any:
        sizes.append(len(text))
        return real(text, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(document, "compose_documents", compose)
        yield sizes
