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

import json
import re
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
        if candidate.is_file() or candidate.is_symlink():
            return candidate
    return None


MAX_CONFIG_BYTES = 256 * 1024
_BUILTIN = re.compile(r"[A-Za-z0-9_-]+")


def _own_content(root: Path, own: Path) -> str:
    """The repository's config as yamllint content, read under the root rule.

    yamllint itself would follow ``extends: PATH`` and ``ignore-from-file`` anywhere (and
    read ``/dev/zero`` forever): only built-in ``extends`` names are accepted, and the
    ignore files must be inside the repository.
    """
    from hepci.core.safefs import read_regular, resolve_inside
    from hepci.core.yamledit import Limits, parse_bytes

    data = read_regular(resolve_inside(root, own.name), MAX_CONFIG_BYTES, shown=own)
    parsed = parse_bytes(data or b"", own, Limits(max_bytes=MAX_CONFIG_BYTES, max_nodes=20_000))
    conf = parsed.body.data if parsed.body is not None else None
    if not isinstance(conf, dict):
        return (data or b"").decode("utf-8", "replace")  # yamllint explains what is wrong
    conf = dict(conf)
    extends = conf.get("extends")
    if extends is not None and not (isinstance(extends, str) and _BUILTIN.fullmatch(extends)):
        raise ConfigError(
            f"extends: {extends!r}: only yamllint's built-in configurations can be extended "
            "(hepci reads no file outside this one)",
            path=own,
        )
    ignore_files = conf.get("ignore-from-file")
    if isinstance(ignore_files, str | list):
        names = [ignore_files] if isinstance(ignore_files, str) else ignore_files
        conf["ignore-from-file"] = [
            str(resolve_inside(root, str(name))) for name in names if isinstance(name, str)
        ]
    return json.dumps(conf, default=str)


def load_config(root: Path | None) -> Any:
    """A ``YamlLintConfig``: the repository's own when it has one, ours otherwise."""
    from yamllint.config import YamlLintConfig, YamlLintConfigError

    own = find_repo_config(root) if root is not None else None
    try:
        if own is not None and root is not None:
            return YamlLintConfig(content=_own_content(root, own))
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
