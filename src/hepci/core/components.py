"""The CI/CD components tree (``templates/``) generated from ``ci-templates/``.

GitLab takes the components of a project from its ``templates/`` folder at the released tag
(``templates/<name>.yml`` or ``templates/<name>/template.yml``), so the tree must be in the
tagged commit of the project that runs the release job. hepci's single source stays
``ci-templates/``; ``python -m hepci._docgen`` writes ``templates/<name>/template.yml`` as a
byte copy of ``ci-templates/<name>.yml`` and ``templates/<name>/README.md`` from its spec
header, removes folders of templates that no longer exist, and ``--check`` (a test) fails
when the tree is stale. Every template of ``ci-templates/`` becomes a component: no list to
keep in step.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from hepci.core.templates import TemplateSpec

COMPONENTS_DIR = "templates"
ENTRY = "template.yml"
README = "README.md"
MAX_COMPONENTS = 30  # GitLab: at most 30 components per project (16.9)


def component_files(templates: Mapping[str, TemplateSpec]) -> dict[str, bytes]:
    """Relative path under the repository root -> content, for every component."""
    from hepci.core._templates_doc import render_component_readme

    if len(templates) > MAX_COMPONENTS:
        raise ValueError(f"{len(templates)} templates: GitLab allows {MAX_COMPONENTS} components")
    files: dict[str, bytes] = {}
    for spec in templates.values():
        folder = f"{COMPONENTS_DIR}/{spec.name}"
        files[f"{folder}/{ENTRY}"] = spec.path.read_bytes()
        files[f"{folder}/{README}"] = render_component_readme(spec).encode("utf-8")
    return files


def _present(root: Path) -> dict[str, bytes]:
    tree = root / COMPONENTS_DIR
    if not tree.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file()
    }


def stale_components(root: Path, templates: Mapping[str, TemplateSpec]) -> list[str]:
    """Paths under ``templates/`` that are missing, differ, or should not be there."""
    wanted, present = component_files(templates), _present(root)
    return sorted(p for p in set(wanted) | set(present) if wanted.get(p) != present.get(p))


def write_components(root: Path, templates: Mapping[str, TemplateSpec]) -> list[str]:
    """Bring ``root/templates/`` up to date; return the paths written or removed."""
    wanted, present = component_files(templates), _present(root)
    changed: list[str] = []
    for rel, data in wanted.items():
        if present.get(rel) != data:
            target = root / rel
            from hepci.core.safefs import write_output  # atomic, unpredictable temp, no links

            write_output(target, data)
            changed.append(rel)
    for rel in sorted(set(present) - set(wanted)):
        (root / rel).unlink()
        changed.append(rel)
    tree = root / COMPONENTS_DIR
    if tree.is_dir():
        for folder in sorted(tree.iterdir()):
            if folder.is_dir() and not any(folder.rglob("*")):
                shutil.rmtree(folder)
    return changed


__all__ = [
    "COMPONENTS_DIR",
    "ENTRY",
    "MAX_COMPONENTS",
    "README",
    "component_files",
    "stale_components",
    "write_components",
]
