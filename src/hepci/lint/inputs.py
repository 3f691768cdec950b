"""``include:`` inputs checked against the template's ``spec:inputs`` (HL201-HL206).

Which includes are checked: a ``project:`` include of the hepci templates project
(``hepci/hepci`` by default) with ``file: /ci-templates/<name>.yml``; a ``component:``
``<host>/hepci/hepci/<name>@<version>``; and any ``local:`` include whose file has a
``spec:`` header (a repository's own templates, or hepci's own ``ci-templates/``).
The rules themselves live in :func:`hepci.core.templates.validate_inputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepci.core.cilocal import LoadedFile, LocalTree, normalize_local
from hepci.core.cimodel import Include, interpolate
from hepci.core.templates import (
    MISSING_INPUT,
    NOT_IN_OPTIONS,
    REGEX_MISMATCH,
    TEMPLATE_FILE_RE,
    UNKNOWN_INPUT,
    WRONG_TYPE,
    TemplateSpec,
    parse_template,
    validate_inputs,
)
from hepci.core.yamledit import Node
from hepci.errors import InputFileError

DEFAULT_TEMPLATES_PROJECT = "hepci/hepci"

PROBLEM_CODES = {
    UNKNOWN_INPUT: "HL201",
    WRONG_TYPE: "HL202",
    NOT_IN_OPTIONS: "HL203",
    REGEX_MISMATCH: "HL204",
    MISSING_INPUT: "HL205",
}

Report = Callable[[LoadedFile, Node | None, str, str], None]


@dataclass
class Catalog:
    """The templates an include can name: the shipped ones and a tree's local ones.

    The shipped templates are loaded on first use (only files that include them pay).
    """

    load_shipped: Callable[[], dict[str, TemplateSpec]]
    project: str = DEFAULT_TEMPLATES_PROJECT
    _local: dict[str, TemplateSpec | None] = field(default_factory=dict)
    _shipped: dict[str, TemplateSpec] | None = None

    @property
    def shipped(self) -> dict[str, TemplateSpec]:
        if self._shipped is None:
            self._shipped = self.load_shipped()
        return self._shipped

    def for_include(self, include: Include, tree: LocalTree) -> list[TemplateSpec | str]:
        """The template(s) an include uses; a string is the name of a missing hepci template."""
        if include.kind == "local":
            spec = self._local_spec(include, tree)
            return [spec] if spec is not None else []
        names: list[str] = []
        if include.kind == "project" and include.location.strip("/") == self.project:
            names = [m.group(1) for f in include.files if (m := TEMPLATE_FILE_RE.match(f))]
        elif include.kind == "component" and include.component_project == self.project:
            names = [include.component_name or ""]
        if not names or not self.shipped:
            return []  # not ours, or no templates installed (a checkout before they exist)
        return [self.shipped.get(name) or name for name in names]

    def _local_spec(self, include: Include, tree: LocalTree) -> TemplateSpec | None:
        path = normalize_local(include.location)
        if path in self._local:
            return self._local[path]
        loaded = next((f for f in tree.files if f.path == path), None)
        spec: TemplateSpec | None = None
        if loaded is not None and loaded.file.header is not None:
            try:
                spec = parse_template(Path(path), loaded.file.text)
            except InputFileError:
                spec = None  # HL102 reports a broken header
        elif loaded is not None and include.inputs:
            spec = TemplateSpec(name=Path(path).stem, path=Path(path), inputs={})
        self._local[path] = spec
        return spec


def template_values(spec: TemplateSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """Input values a template sees: its defaults, overridden by what the include passes."""
    values = {name: decl.default for name, decl in spec.inputs.items() if not decl.required}
    values.update(given)
    return values


def check_includes(
    loaded: LoadedFile, tree: LocalTree, catalog: Catalog, report: Report
) -> tuple[set[str], bool]:
    """Check the inputs of ``loaded``'s includes; return (template job names, all known)."""
    jobs: set[str] = set()
    complete = True
    for include in loaded.config.includes:
        if include.kind == "local" and not include.inputs:
            continue  # followed by cilocal; its jobs are in the tree
        specs = catalog.for_include(include, tree)
        resolved = bool(specs) and all(isinstance(s, TemplateSpec) for s in specs)
        if include.kind != "local" and not resolved:
            complete = False  # jobs may come from a file we cannot see
        for spec in specs:
            if isinstance(spec, str):
                known = ", ".join(sorted(catalog.shipped))
                report(
                    loaded,
                    include.location_node or include.node,
                    "HL206",
                    f"{catalog.project} has no template {spec!r} (known: {known})",
                )
                continue
            _report_problems(loaded, include, spec, report)
            values = template_values(spec, include.inputs)
            for name in spec.jobs:
                expanded = interpolate(name, values)
                jobs.add(str(expanded))
    return jobs, complete


def _report_problems(
    loaded: LoadedFile, include: Include, spec: TemplateSpec, report: Report
) -> None:
    for problem in validate_inputs(spec, include.inputs):
        value = include.inputs.get(problem.input)
        if problem.code != UNKNOWN_INPUT and isinstance(value, str) and "$[[" in value:
            continue  # passed through from the including file's own inputs
        node = include.input_node(problem.input)
        if node is None:
            node = include.inputs_node or include.node
        elif problem.code == UNKNOWN_INPUT and include.inputs_node is not None:
            node = include.inputs_node.key_node(problem.input) or node
        report(loaded, node, PROBLEM_CODES.get(problem.code, "HL201"), problem.message)


__all__ = ["DEFAULT_TEMPLATES_PROJECT", "PROBLEM_CODES", "Catalog", "check_includes"]
