"""Regenerate the generated files: ``python -m hepci._docgen [--check]``.

Writes ``docs/templates.md`` from the ``spec:inputs`` headers of ``ci-templates/``,
``docs/rules.md`` from the audit rule classes, the template table and the include example
between the ``<!-- templates-table:start/end -->`` and ``<!-- include-example:start/end -->``
markers of ``README.md``, and the CI/CD components tree ``templates/`` (a byte copy of
``ci-templates/`` plus a README per component, :mod:`hepci.core.components`). With
``--check`` it writes nothing and exits 1 when a generated file is stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hepci.errors import ExitCode

if TYPE_CHECKING:
    from hepci.core.templates import TemplateSpec

ROOT_DIR = Path(__file__).resolve().parent.parent.parent
DOCS_DIR = ROOT_DIR / "docs"
README = ROOT_DIR / "README.md"
_TABLE_REGION = re.compile(
    r"(<!-- templates-table:start -->\n).*?(<!-- templates-table:end -->)", re.DOTALL
)
_EXAMPLE_REGION = re.compile(
    r"(<!-- include-example:start -->\n).*?(<!-- include-example:end -->)", re.DOTALL
)


def _templates_md() -> str:
    from hepci.core.templates import render_templates_markdown

    return render_templates_markdown()


def _rules_md() -> str:
    from hepci.audit.docs import render_rules_markdown

    return render_rules_markdown()


GENERATED: dict[str, Callable[[], str]] = {"templates.md": _templates_md, "rules.md": _rules_md}


def readme_with_table(text: str) -> str:
    """``text`` with the template table between its markers brought up to date."""
    from hepci.core._templates_doc import render_include_example
    from hepci.core.templates import render_readme_table

    table = render_readme_table().rstrip("\n") + "\n"
    text = _TABLE_REGION.sub(lambda m: m.group(1) + table + m.group(2), text, count=1)
    example = render_include_example().rstrip("\n") + "\n"
    return _EXAMPLE_REGION.sub(lambda m: m.group(1) + example + m.group(2), text, count=1)


Render = Callable[[str | None], str]
"""Given a file's current text (``None`` when absent), its generated text."""


def _whole_file(render: Callable[[], str]) -> Render:
    return lambda _current: render()


def _readme_region(current: str | None) -> str:
    return readme_with_table(current or "")


def _targets(docs_dir: Path, readme: Path | None) -> list[tuple[Path, Render]]:
    targets = [(docs_dir / name, _whole_file(render)) for name, render in GENERATED.items()]
    if readme is not None and readme.is_file():
        targets.append((readme, _readme_region))
    return targets


def _shipped() -> dict[str, TemplateSpec]:
    from hepci.core.templates import shipped_templates

    return shipped_templates()


def stale_files(
    docs_dir: Path = DOCS_DIR, readme: Path | None = README, components: Path | None = ROOT_DIR
) -> list[Path]:
    """Generated files whose content differs from what would be generated now."""
    from hepci.core.components import stale_components

    stale = []
    for path, render in _targets(docs_dir, readme):
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != render(current):
            stale.append(path)
    if components is not None:
        stale += [components / rel for rel in stale_components(components, _shipped())]
    return stale


def write_all(
    docs_dir: Path = DOCS_DIR, readme: Path | None = README, components: Path | None = ROOT_DIR
) -> list[Path]:
    """(Re)write every generated file; return those that changed (or were removed)."""
    from hepci.core.components import write_components

    changed = []
    docs_dir.mkdir(parents=True, exist_ok=True)
    for path, render in _targets(docs_dir, readme):
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        text = render(current)
        if current != text:
            from hepci.core.safefs import write_output

            write_output(path, text.encode("utf-8"))
            changed.append(path)
    if components is not None:
        changed += [components / rel for rel in write_components(components, _shipped())]
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--check" in args:
        stale = stale_files()
        for path in stale:
            print(f"{path}: stale, run `python -m hepci._docgen`", file=sys.stderr)
        return int(ExitCode.FINDINGS) if stale else int(ExitCode.OK)
    for path in write_all():
        print(f"wrote {path}")
    return int(ExitCode.OK)


if __name__ == "__main__":
    raise SystemExit(main())
