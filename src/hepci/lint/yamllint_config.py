"""yamllint with a configuration that fits GitLab CI files, or the repository's own ``.yamllint``.

Choices (documented in the README):

* ``document-start`` off: CI files rarely start with ``---``; templates use ``---`` only
  between the ``spec:`` header and the body.
* ``line-length`` 160 and long URLs/words allowed: scripts carry long commands.
* ``truthy`` only ``true``/``false``, keys not checked: GitLab reads YAML 1.1, where
  ``yes``/``no``/``on``/``off`` are booleans, so writing them is ambiguous.
* ``indentation`` consistent (any width, but one per file) and sequences may or may not be
  indented under their key; multi-line strings are not checked (scripts).
* ``comments`` one space before an inline comment; ``comments-indentation`` off.
* ``braces``/``brackets`` allow one space inside (``[ a, b ]`` is common in CI files).
* ``key-duplicates`` off: ``HL303`` reports duplicate keys with both places.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hepci.errors import ConfigError

CI_YAMLLINT_CONFIG = """\
extends: default
rules:
  document-start: disable
  line-length:
    max: 160
    allow-non-breakable-words: true
    allow-non-breakable-inline-mappings: true
  truthy:
    allowed-values: ["true", "false"]
    check-keys: false
  indentation:
    spaces: consistent
    indent-sequences: whatever
    check-multi-line-strings: false
  comments:
    min-spaces-from-content: 1
  comments-indentation: disable
  braces:
    max-spaces-inside: 1
  brackets:
    max-spaces-inside: 1
  key-duplicates: disable
"""

REPO_CONFIG_NAMES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")


def find_repo_config(root: Path) -> Path | None:
    """The repository's own yamllint configuration at ``root``, if any."""
    for name in REPO_CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def load_config(root: Path | None) -> Any:
    """A ``YamlLintConfig``: the repository's own when it has one, ours otherwise."""
    from yamllint.config import YamlLintConfig, YamlLintConfigError

    own = find_repo_config(root) if root is not None else None
    try:
        if own is not None:
            return YamlLintConfig(file=str(own))
        return YamlLintConfig(content=CI_YAMLLINT_CONFIG)
    except (YamlLintConfigError, OSError) as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(f"invalid yamllint configuration: {message}", path=own) from None


def run(text: str, config: Any, relpath: str) -> Iterator[tuple[int, int, str | None, str]]:
    """``(line, column, rule, message)`` for each yamllint problem (syntax errors skipped)."""
    from yamllint import linter

    if config.is_file_ignored(relpath):
        return
    for problem in linter.run(text, config, relpath):
        if problem.rule is None:
            continue  # a syntax error: HL001 reports it
        message = str(problem.desc)
        yield int(problem.line), int(problem.column), problem.rule, f"{message} ({problem.rule})"


__all__ = ["CI_YAMLLINT_CONFIG", "find_repo_config", "load_config", "run"]
