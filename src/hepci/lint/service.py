"""The lint service: every check on every target file and the files it includes locally.

Per file (once, even when several targets include it): HL001 syntax, yamllint (``YL``),
HL002/HL101/HL102/HL103 schema, HL303 duplicate keys, HL306 ``!reference`` form. Per target
tree: HL304 local includes (missing, over 150, a loop), HL2xx include inputs, HL301/HL305/HL307
``extends`` (target, cycle, depth) and HL302/HL308/HL309 ``!reference`` (target, loop, nesting).
Hostile or unreadable input raises :class:`~hepci.errors.InputFileError`
(exit 2); a YAML syntax error is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hepci.core.cilocal import IncludeProblem, LoadedFile, LocalTree, follow_local_includes
from hepci.core.cimodel import header_defaults, interpolate
from hepci.core.templates import TemplateSpec
from hepci.core.yamledit import Limits, Node, YamlFile, load_file, parse_bytes
from hepci.errors import ExitCode, InputFileError, YamlSyntaxError
from hepci.lint import references, schema
from hepci.lint.codes import Finding, selected, yamllint_code
from hepci.lint.inputs import DEFAULT_TEMPLATES_PROJECT, Catalog, check_includes
from hepci.lint.targets import CI_FILE_NAMES, RepoFiles, Target, display, resolve_targets

_PROBLEM_TEXT = {
    "missing": "included file {path!r} does not exist",
    "not-yaml": "included file {path!r} is not a .yml/.yaml file",
    "no-glob": "cannot expand wildcard {path!r}",
    "too-many": "more than 150 includes (GitLab's limit) at {path!r}",
    "cycle": "include cycle: {path!r} is already being included (GitLab follows the loop"
    " until its limit of 150 includes)",
}


@dataclass(frozen=True)
class LintOptions:
    """``--select``/``--ignore`` code prefixes, the templates project, the input caps."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    templates_project: str = DEFAULT_TEMPLATES_PROJECT
    templates_dir: Path | None = None  # default: the shipped ci-templates/
    limits: Limits = field(default_factory=Limits)


@dataclass
class LintReport:
    """The sorted findings and the files that were linted."""

    findings: list[Finding]
    files: list[str]

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.findings else ExitCode.OK


def lint_paths(paths: list[Path], options: LintOptions | None = None) -> LintReport:
    """Lint the files and directories in ``paths`` (the current directory when empty)."""
    session = _Session(options or LintOptions())
    for target in resolve_targets(paths):
        session.lint_target(target)
    return LintReport(sorted(session.findings), sorted(session.linted))


@lru_cache(maxsize=8)
def _load_shipped(directory: Path | None) -> dict[str, TemplateSpec]:
    from hepci.core.templates import shipped_templates

    try:
        return shipped_templates(directory)
    except InputFileError:
        return {}  # a source checkout without templates: nothing to check against


@dataclass
class _Session:
    options: LintOptions
    findings: set[Finding] = field(default_factory=set)
    linted: set[str] = field(default_factory=set)
    yamllint_configs: dict[Path, Any] = field(default_factory=dict)
    _catalog: Catalog | None = None
    _root: Path = field(default_factory=Path)

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            directory = self.options.templates_dir
            self._catalog = Catalog(
                lambda: _load_shipped(directory), project=self.options.templates_project
            )
        return self._catalog

    def wants(self, prefix: str) -> bool:
        """Whether any code starting with ``prefix`` can be reported."""
        select = [s for s in self.options.select if s]
        if select and not any(s.startswith(prefix) or prefix.startswith(s) for s in select):
            return False
        return not any(prefix.startswith(i) for i in self.options.ignore if i)

    def add(self, path: str, line: int, column: int, code: str, message: str) -> None:
        if selected(code, self.options.select, self.options.ignore):
            self.findings.add(Finding(path, max(line, 1), max(column, 1), code, message))

    def report(self, loaded: LoadedFile, node: Node | None, code: str, message: str) -> None:
        line, column = (node.start.lineno, node.start.colno) if node is not None else (1, 1)
        self.add(display(self._root / loaded.path), line, column, code, message)

    def lint_target(self, target: Target) -> None:
        self._root = target.root
        limits = self.options.limits
        try:
            root_file = load_file(display(target.path), limits)
        except YamlSyntaxError as exc:
            self._syntax(display(target.path), exc)
            self.linted.add(display(target.path))
            return
        files = RepoFiles(target.root, limits)
        tree = self._follow(root_file, files, target.relpath)
        values = self._values(tree)
        for loaded in tree.files:
            shown = display(target.root / loaded.path)
            if shown not in self.linted:
                self.linted.add(shown)
                self.lint_file(loaded, values.get(loaded.path, {}))
        for problem in tree.problems:
            self._include_problem(tree, problem)
        context = self._context_tree(target, tree, files)
        if context is not None:
            self._tree_checks(context, self._values(context), only=target.relpath)
        else:
            self._tree_checks(tree, values, assume_root=_looks_like_root(target, tree))

    def _follow(self, root_file: YamlFile, files: RepoFiles, relpath: str) -> LocalTree:
        """The local-include tree; input errors in included files name them from the cwd."""
        try:
            return follow_local_includes(
                root_file, files.read, root_path=relpath, glob=files.glob, limits=files.limits
            )
        except InputFileError as exc:
            if exc.path is None or exc.path == root_file.path:
                raise
            shown = display(files.root / exc.path)  # an absolute path stays itself
            raise type(exc)(exc.message, path=shown, line=exc.line, column=exc.column) from None

    def _syntax(self, shown: str, exc: YamlSyntaxError) -> None:
        self.add(shown, exc.line or 1, exc.column or 1, "HL001", exc.message)

    def _values(self, tree: LocalTree) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {}
        for loaded in tree.files:
            own = header_defaults(loaded.file)
            if loaded.via is not None:
                own.update(loaded.via.inputs)
            values[loaded.path] = own
        return values

    def _include_problem(self, tree: LocalTree, problem: IncludeProblem) -> None:
        source = next(f for f in tree.files if f.path == problem.source)
        if problem.kind == "syntax" and isinstance(problem.error, YamlSyntaxError):
            shown = display(self._root / problem.path)
            self.linted.add(shown)
            self._syntax(shown, problem.error)
            return
        where = problem.include.location_node or problem.include.node
        message = _PROBLEM_TEXT.get(problem.kind, "cannot include {path!r}")
        self.report(source, where, "HL304", message.format(path=problem.path))

    def lint_file(self, loaded: LoadedFile, values: dict[str, Any]) -> None:
        if self.wants("YL"):
            self._yamllint(loaded)
        if self.wants("HL0") or self.wants("HL1"):
            self._schema(loaded, values)
        references.check_duplicates(loaded, self.report)
        references.check_reference_form(loaded, self.report)

    def _yamllint(self, loaded: LoadedFile) -> None:
        from hepci.lint import yamllint_config

        config = self.yamllint_configs.get(self._root)
        if config is None:
            config = yamllint_config.load_config(self._root)
            self.yamllint_configs[self._root] = config
        shown = display(self._root / loaded.path)
        for line, column, rule, message in yamllint_config.run(
            loaded.file.text, config, loaded.path
        ):
            self.add(shown, line, column, yamllint_code(rule), message)

    def _schema(self, loaded: LoadedFile, values: dict[str, Any]) -> None:
        header, body = loaded.file.header, loaded.file.body
        if header is not None:
            data = schema.to_json(header.data)
            for node, message in schema.check(schema.header_validator(), data, header):
                self.report(loaded, node, "HL102", message)
        root = body.mapping() if body is not None else None
        if body is None or root is None:
            kind = "empty" if body is None or body.root is None else f"a {body.root.kind}"
            where = body.root if body is not None else None
            self.report(loaded, where, "HL002", f"the CI configuration is {kind}, not a mapping")
            return
        data = dict(body.data)
        if "spec" in data:
            self.report(
                loaded,
                root.key_node("spec"),
                "HL103",
                "spec: must be in a header document, separated from the jobs by ---",
            )
            data.pop("spec")
        plain = schema.to_json(interpolate(data, values))
        for node, message in schema.check(schema.body_validator(), plain, body):
            self.report(loaded, node, "HL101", message)

    def _context_tree(self, target: Target, tree: LocalTree, files: RepoFiles) -> LocalTree | None:
        """The repository's main CI tree when it includes ``target`` (else ``None``)."""
        if target.path.name in CI_FILE_NAMES or tree.root.file.header is not None:
            return None
        for name in CI_FILE_NAMES:
            data = files.read(name)
            if data is None:
                continue
            try:
                main = parse_bytes(data, name, self.options.limits)
            except YamlSyntaxError:
                return None
            main_tree = self._follow(main, files, name)
            if any(f.path == target.relpath for f in main_tree.files):
                return main_tree
        return None

    def _tree_checks(
        self,
        tree: LocalTree,
        values: dict[str, dict[str, Any]],
        *,
        only: str | None = None,
        assume_root: bool = True,
    ) -> None:
        """Include inputs and extends/reference targets (findings in ``only`` if given)."""

        def report(loaded: LoadedFile, node: Node | None, code: str, msg: str) -> None:
            if only is None or loaded.path == only:
                self.report(loaded, node, code, msg)

        template_jobs: set[str] = set()
        complete = assume_root and not tree.problems and not tree.unresolved
        for loaded in tree.files:
            jobs, known = check_includes(loaded, tree, self.catalog, report)
            template_jobs |= jobs
            complete = complete and known
        ctx = references.TargetContext(tree, complete, template_jobs, values)
        if self.wants("HL30"):
            references.check_extends(ctx, report)
            references.check_references(ctx, report)


def _looks_like_root(target: Target, tree: LocalTree) -> bool:
    """A pipeline's main file or a template (not a fragment that other files include).

    Missing ``extends``/``!reference`` targets are only reported in such files: a fragment's
    targets may be defined by the file that includes it.
    """
    if target.path.name.endswith(CI_FILE_NAMES) or tree.root.file.header is not None:
        return True
    return any(key in tree.root.config.data for key in ("stages", "workflow"))


__all__ = ["LintOptions", "LintReport", "lint_paths"]
