"""Regenerate the generated documentation: ``python -m hepci._docgen [--check]``.

Writes ``docs/templates.md`` from the ``spec:inputs`` headers of ``ci-templates/`` and
``docs/rules.md`` from the audit rule classes. With
``--check`` it writes nothing and exits 1 when a generated file is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hepci.errors import ExitCode

DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"


def _templates_md() -> str:
    from hepci.core.templates import render_templates_markdown

    return render_templates_markdown()


def _rules_md() -> str:
    from hepci.audit.docs import render_rules_markdown

    return render_rules_markdown()


GENERATED: dict[str, Callable[[], str]] = {"templates.md": _templates_md, "rules.md": _rules_md}


def stale_files(docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Generated files whose content differs from what would be generated now."""
    stale = []
    for name, render in GENERATED.items():
        path = docs_dir / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != render():
            stale.append(path)
    return stale


def write_all(docs_dir: Path = DOCS_DIR) -> list[Path]:
    """(Re)write every generated file; return those that changed."""
    changed = []
    docs_dir.mkdir(parents=True, exist_ok=True)
    for name, render in GENERATED.items():
        path = docs_dir / name
        text = render()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            changed.append(path)
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
