"""Which files of a repository are Dockerfiles: one rule for the audit and ``pin-digests``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")


def is_dockerfile(path: str) -> bool:
    """``Dockerfile``, ``Containerfile``, ``Dockerfile.gpu``, ``base.Dockerfile``…"""
    base = path.rsplit("/", 1)[-1]
    return (
        base in DOCKERFILE_NAMES
        or base.startswith(("Dockerfile.", "Containerfile."))
        or base.endswith((".Dockerfile", ".dockerfile", ".Containerfile"))
    )


def is_template_source(path: str) -> bool:
    """A path inside a cookiecutter/copier template (``{{cookiecutter.x}}/…``, ``{% if %}``)."""
    return "{{" in path or "{%" in path


def dockerfile_paths(paths: Iterable[str] | None, exists: Callable[[str], bool]) -> list[str]:
    """The Dockerfiles among ``paths`` (shallowest first; unrendered template files are not the
    repository's), or the root names that ``exists`` when the source cannot list its files."""
    if paths is None:
        return [name for name in DOCKERFILE_NAMES if exists(name)]
    found = [p for p in paths if is_dockerfile(p) and not is_template_source(p)]
    return sorted(found, key=lambda p: (p.count("/"), p))
