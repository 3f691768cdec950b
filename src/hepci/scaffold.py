"""Create a new analysis repository from the shipped ``cookiecutter-analysis`` template.

The template keeps all file logic in Jinja file names (no deletion hooks), so cruft and
copier can render it too; its ``pre_gen_project`` hook only validates answers. This service
validates the same answers first, so a bad ``--set`` is a one-line :class:`UsageError`
rather than a hook failure, renders into a temporary sibling directory, moves the result into
place and writes a cruft-compatible ``.cruft.json`` provenance record.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepci import __version__
from hepci.core.resources import COOKIECUTTER, cookiecutter_dir
from hepci.errors import HepciError, InputFileError, UsageError
from hepci.scaffold_answers import check_values, reserved_names, resolve

CRUFT_FILE = ".cruft.json"
TEMPLATE_HOST = "gitlab.cern.ch"
CRUFT_SKIP = ["data", "results", ".snakemake"]


@dataclass(frozen=True, kw_only=True)
class NewAnalysis:
    """The result of :func:`create`: where the repository is and the answers used."""

    path: Path
    answers: dict[str, Any]


def template_options(template_dir: Path | None = None) -> dict[str, Any]:
    """The questions of the template (``cookiecutter.json``), in order."""
    path = (template_dir or cookiecutter_dir()) / "cookiecutter.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read the template options: {exc}", path=path) from exc
    if not isinstance(data, dict):
        raise InputFileError("the template options are not a JSON object", path=path)
    return data


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` → ``{KEY: VALUE}``; a malformed item is a :class:`UsageError`."""
    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        answers[key] = value
    return answers


def check_answers(
    options: Mapping[str, Any], answers: Mapping[str, str], template_dir: Path | None = None
) -> None:
    """Reject unknown or private keys, values outside a key's choices and bad values."""
    public = [key for key in options if not key.startswith("_")]
    for key, value in answers.items():
        if key not in public:
            raise UsageError(f"unknown option {key!r}; known options: {', '.join(public)}")
        choices = options[key]
        if isinstance(choices, list) and value not in choices:
            raise UsageError(
                f"invalid value {value!r} for {key}; choose one of: {', '.join(choices)}"
            )
    check_values(answers, reserved_names(template_dir or cookiecutter_dir()))


def default_name(target: Path) -> str:
    """A human analysis name from a directory name: ``demo-analysis`` → ``Demo analysis``."""
    words = re.sub(r"[-_.\s]+", " ", target.name).strip()
    return words[:1].upper() + words[1:] if words else "Analysis"


def check_target(target: Path) -> None:
    """The target must not exist, or be an empty directory."""
    if target.is_dir():
        if any(target.iterdir()):
            raise UsageError("directory exists and is not empty", path=target)
    elif target.exists() or target.is_symlink():
        raise UsageError("exists and is not a directory", path=target)
    if not target.parent.is_dir():
        raise UsageError("parent directory does not exist", path=target.parent)


def render_context(
    template_dir: Path, answers: Mapping[str, str], *, no_input: bool
) -> dict[str, Any]:
    """Cookiecutter's context for ``answers`` (asking for the rest unless ``no_input``).

    The answers stay data: see :mod:`hepci.scaffold_answers`.
    """
    options = template_options(template_dir)
    resolved = resolve(options, answers, no_input=no_input)
    final = {k: str(v) for k, v in resolved.items() if not k.startswith("_")}
    check_answers(options, final, template_dir)
    raw = {k: v for k, v in options.items() if not k.startswith("_")}
    return {"cookiecutter": resolved, "_cookiecutter": {**raw, **final}}


def safe_context(template_dir: Path, recorded: Mapping[str, Any]) -> dict[str, Any]:
    """The context to re-render ``template_dir`` with answers recorded in ``.cruft.json``.

    Only the template's own questions are taken from the record (validated like ``--set``);
    its settings (``_extensions``, ``_copy_without_render`` ...) and computed values come from
    the template, never from the record.
    """
    options = template_options(template_dir)
    known = {
        k: str(v)
        for k, v in recorded.items()
        if k in options and not k.startswith("_") and isinstance(v, str | int | float)
    }
    context = render_context(template_dir, known, no_input=True)
    for key in ("_template", "_checkout"):
        if isinstance(recorded.get(key), str):
            context["cookiecutter"][key] = recorded[key]
    return context


def cruft_record(context: Mapping[str, Any]) -> dict[str, Any]:
    """A ``.cruft.json`` for the rendered context, pointing at this release of the template."""
    answers = dict(context["cookiecutter"])
    template = f"https://{TEMPLATE_HOST}/{answers['templates_project']}.git"
    kept = {k: v for k, v in answers.items() if k not in {"_output_dir", "_repo_dir"}}
    kept.update(_template=template, _checkout=__version__)
    return {
        "template": template,
        "commit": __version__,
        "checkout": __version__,
        "context": {"cookiecutter": kept},
        "directory": COOKIECUTTER,
        "skip": CRUFT_SKIP,
    }


def prune_empty_dirs(root: Path) -> None:
    """Remove directories left empty by file names that rendered to nothing."""
    for dirpath, _dirnames, _filenames in os.walk(root, topdown=False):
        path = Path(dirpath)
        if path != root and not any(path.iterdir()):
            path.rmdir()


def create(
    target: Path | None,
    *,
    answers: Mapping[str, str] | None = None,
    no_input: bool = True,
    template_dir: Path | None = None,
) -> NewAnalysis:
    """Render the analysis template into ``target`` and record its provenance."""
    template_dir = template_dir or cookiecutter_dir()
    given = dict(answers or {})
    check_answers(template_options(template_dir), given, template_dir)
    if target is not None:
        target = target.expanduser().absolute()
        check_target(target)
        given.setdefault("analysis_name", default_name(target))
    context = render_context(template_dir, given, no_input=no_input)
    if target is None:
        target = Path.cwd() / context["cookiecutter"]["__repo_name"]
        check_target(target)
    context["cookiecutter"].update(_template=str(template_dir), _checkout=__version__)
    try:
        _render_into(template_dir, context, target)
    except OSError as exc:
        raise UsageError(f"cannot write the new repository: {exc.strerror}", path=target) from exc
    public = {k: v for k, v in context["cookiecutter"].items() if not k.startswith("_")}
    return NewAnalysis(path=target, answers=public)


_JINJA_OPENERS = re.compile(r"\{[{%#]")


def _render_parent(target: Path) -> Path:
    """Where to render: next to ``target`` unless its path would be read as Jinja.

    Cookiecutter renders the absolute path of every directory it creates as a template, so a
    parent such as ``/data/{{ ... }}/`` would run as code. Such a parent is never used: the
    tree is rendered in the system temporary directory and moved (copied) into place.
    """
    if not _JINJA_OPENERS.search(str(target.parent)):
        return target.parent
    fallback = Path(tempfile.gettempdir()).absolute()
    if _JINJA_OPENERS.search(str(fallback)):
        raise UsageError("the path and $TMPDIR contain Jinja delimiters ({{, {%, {#)", path=target)
    return fallback


def _render_into(template_dir: Path, context: dict[str, Any], target: Path) -> None:
    """Render next to ``target`` (same file system), add ``.cruft.json``, move into place."""
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_files

    with tempfile.TemporaryDirectory(prefix=".hepci-new-", dir=_render_parent(target)) as tmp:
        context["cookiecutter"]["_output_dir"] = tmp
        try:
            rendered = Path(generate_files(str(template_dir), context, output_dir=tmp))
        except CookiecutterException as exc:
            raise HepciError(f"the template did not render: {exc}", path=template_dir) from exc
        prune_empty_dirs(rendered)
        record = json.dumps(cruft_record(context), indent=2, sort_keys=True) + "\n"
        from hepci.core.safefs import write_atomic

        write_atomic(rendered / CRUFT_FILE, record.encode("utf-8"))
        if target.is_dir():  # empty (checked): fill it in place, it may be someone's cwd
            for child in rendered.iterdir():
                shutil.move(str(child), str(target / child.name))
        else:
            shutil.move(str(rendered), str(target))


__all__ = [
    "NewAnalysis",
    "check_answers",
    "create",
    "parse_assignments",
    "safe_context",
    "template_options",
]
