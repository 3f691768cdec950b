"""A small GitLab CI linter behind ``/projects/:id/ci/lint``.

It answers what GitLab's lint answers for the common cases, with GitLab's messages: YAML syntax
errors, a non-mapping document, jobs that are not mappings, unknown job keys, jobs without
``script``/``run``/``trigger``, unknown stages, unknown ``extends`` targets, and no visible job.
``include: local`` and ``include: project`` are resolved from the double's own repositories (with
``spec: inputs`` defaults and ``$[[ inputs.x ]]`` interpolation); ``remote``, ``template`` and
``component`` includes cannot be fetched here, so checks that depend on them are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitlab_double.model import Project, State, User

GLOBAL_KEYS = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "spec",
}  # fmt: skip
JOB_KEYS = {
    "after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
    "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity",
    "id_tokens", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages",
    "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets",
    "services", "stage", "start_in", "tags", "timeout", "trigger", "variables", "when", "only",
    "except", "publish",
}  # fmt: skip
DEFAULT_STAGES = [".pre", "build", "test", "deploy", ".post"]
INPUT_RE = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
MAX_INCLUDE_DEPTH = 10


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that accepts GitLab's ``!reference [job, key]`` tag."""


def _reference(loader: Any, node: Any) -> list[Any]:
    return ["!reference", *loader.construct_sequence(node)]


_Loader.add_constructor("!reference", _reference)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Writes merged YAML without anchors, like GitLab's ``merged_yaml``."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class LintError(Exception):
    pass


@dataclass
class LintResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    includes: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    merged_yaml: str | None = None
    unresolved: bool = False


def load(text: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(spec header or None, body) of a CI file; raises LintError with Psych-like messages."""
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        context = f" {exc.context}" if exc.context else ""
        raise LintError(" ".join(f"(<unknown>): {exc.problem}{context}{where}".split())) from None
    except yaml.YAMLError as exc:
        raise LintError(" ".join(f"(<unknown>): {exc}".split())) from None
    header = None
    if len(docs) == 2 and isinstance(docs[0], dict) and "spec" in docs[0]:
        header, docs = docs[0], docs[1:]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        if len(docs) == 1 and docs[0] is None:
            raise LintError("Please provide content of .gitlab-ci.yml")
        raise LintError("Invalid configuration format")
    return header, docs[0]


def interpolate(text: str, header: dict[str, Any] | None, given: dict[str, Any], where: str) -> str:
    specs = ((header or {}).get("spec") or {}).get("inputs") or {}
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            values[name] = given[name]
        elif "default" in (spec or {}):
            values[name] = spec["default"]
        else:
            raise LintError(f"`{where}`: `{name}` input: required value has not been provided")
    for name in given:
        if name not in specs:
            raise LintError(f"`{where}`: unknown input name provided: `{name}`")
    return INPUT_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _as_includes(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            kind = "remote" if item.startswith(("http://", "https://")) else "local"
            out.append({kind: item})
        elif isinstance(item, dict):
            out.append(item)
        else:
            raise LintError("Included file `{item}` does not have YAML extension!")
    return out


@dataclass
class _Context:
    state: State
    project: Project
    user: User | None
    result: LintResult


def _read(ctx: _Context, project: Project, ref: str | None, path: str, label: str) -> str:
    commit = project.repo.resolve(ref or project.default_branch)
    if commit is None:
        raise LintError(f"Project `{project.full_path}` reference `{ref}` does not exist!")
    sha = commit.files.get(path.lstrip("/"))
    if sha is None:
        if project is ctx.project:
            raise LintError(f"Local file `{path}` does not exist!")
        raise LintError(f"Project `{label}` file `{path}` does not exist!")
    return ctx.state.blobs[sha].decode(errors="replace")


def _expand(ctx: _Context, config: dict[str, Any], depth: int) -> dict[str, Any]:
    """Merge ``include:`` files under ``config`` (the including file wins)."""
    if "include" not in config:
        return config
    if depth > MAX_INCLUDE_DEPTH:
        raise LintError(f"Maximum of {MAX_INCLUDE_DEPTH} nested includes are allowed!")
    merged: dict[str, Any] = {}
    for inc in _as_includes(config["include"]):
        given = inc.get("inputs") or {}
        if "local" in inc:
            text, where = _read(ctx, ctx.project, None, inc["local"], ""), inc["local"]
            ctx.result.includes.append({"type": "local", "location": inc["local"]})
            files = [(text, where)]
        elif "project" in inc:
            target = ctx.state.find_project(str(inc["project"]))
            label = str(inc["project"])
            if target is None or not ctx.state.can_read_code(ctx.user, target):
                raise LintError(
                    f"Project `{label}` not found or access denied! Make sure any includes in "
                    "the pipeline configuration are correctly defined."
                )
            names = inc.get("file") or []
            names = names if isinstance(names, list) else [names]
            ref = inc.get("ref")
            files = [(_read(ctx, target, ref, str(n), label), str(n)) for n in names]
            for name in names:
                ctx.result.includes.append(
                    {"type": "file", "location": name, "extra": {"project": label, "ref": ref}}
                )
        else:
            kind = next(iter(inc), "unknown")
            ctx.result.unresolved = True
            ctx.result.includes.append({"type": kind, "location": str(inc.get(kind))})
            continue
        for text, where in files:
            header, _ = load(text)
            _, body = load(interpolate(text, header, given, where))
            merged = _deep_merge(merged, _expand(ctx, body, depth + 1))
    own = {k: v for k, v in config.items() if k != "include"}
    return _deep_merge(merged, own)


def _resolve_extends(
    config: dict[str, Any], name: str, seen: tuple[str, ...] = ()
) -> dict[str, Any]:
    job = config[name]
    parents = job.get("extends") or []
    parents = parents if isinstance(parents, list) else [parents]
    merged: dict[str, Any] = {}
    for parent in parents:
        if parent in seen:
            raise LintError(f"{name}: circular dependency detected in `extends`")
        if not isinstance(config.get(parent), dict):
            raise LintError(f"{name}: unknown keys in `extends` ({parent})")
        merged = _deep_merge(merged, _resolve_extends(config, parent, (*seen, name)))
    return _deep_merge(merged, {k: v for k, v in job.items() if k != "extends"})


def _check_jobs(config: dict[str, Any], result: LintResult) -> None:
    stages = config.get("stages") or DEFAULT_STAGES[1:4]
    if not isinstance(stages, list):
        result.errors.append("stages config should be an array of strings")
        return
    available = [".pre", *stages, ".post"]
    for name, job in config.items():
        if name in GLOBAL_KEYS or str(name).startswith("."):
            continue
        if not isinstance(job, dict):
            result.errors.append(f"jobs:{name} config should be a hash")
            continue
        unknown = sorted(set(job) - JOB_KEYS)
        if unknown:
            result.errors.append(f"jobs:{name} config contains unknown keys: {', '.join(unknown)}")
        try:
            full = _resolve_extends(config, name)
        except LintError as exc:
            if not result.unresolved:
                result.errors.append(str(exc))
            continue
        if not ({"script", "run", "trigger"} & set(full)) and not result.unresolved:
            result.errors.append(
                f"jobs:{name} config should implement the script:, run:, or trigger: keyword"
            )
        stage = full.get("stage", "test")
        if stage not in available:
            result.errors.append(
                f"{name} job: chosen stage {stage} does not exist; available stages are "
                + ", ".join(available)
            )
        result.jobs.append(str(name))
    if not result.jobs and not result.unresolved and not result.errors:
        result.errors.append("jobs config should contain at least one visible job")


def lint(content: str, state: State, project: Project, user: User | None) -> LintResult:
    result = LintResult()
    ctx = _Context(state, project, user, result)
    try:
        _, config = load(content)
        config = _expand(ctx, config, 0)
    except LintError as exc:
        result.errors.append(str(exc))
        return result
    _check_jobs(config, result)
    if not result.errors:
        result.merged_yaml = yaml.dump(config, Dumper=_Dumper, sort_keys=False)
    return result
