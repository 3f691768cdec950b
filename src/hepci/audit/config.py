"""Audit configuration: ``[tool.hepci]`` in ``pyproject.toml``, ``.hepci.toml``, ``--config``.

Precedence, lowest first: built-in defaults, the group-wide ``--config FILE``, the repository's
own ``pyproject.toml`` ``[tool.hepci]`` then ``.hepci.toml``, then ``--select``/``--ignore`` on
the command line. Audit keys may also live in a ``[tool.hepci.audit]`` (``[audit]`` in
``.hepci.toml``) table, which wins over the top level. Keys::

    select = ["CI", "IMG001"]                 # ID prefixes; empty = every rule
    ignore = ["REPO003"]                      # or {"IMG005" = "we run as root on purpose"}
    severity = {"CI011" = "warning"}          # error | warning | info
    fail-on = "warning"                       # error | warning | info | never
    inactive-months = 12                      # GL004
    large-file-mb = 10                        # REPO005
    templates-project = "hepci/hepci"         # where the hepci templates live

Invalid values raise :class:`~hepci.errors.ConfigError` naming ``path:line``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hepci import __version__
from hepci.audit.model import SEVERITIES, Severity
from hepci.errors import ConfigError

FAIL_ON = ("error", "warning", "info", "never")
AUDIT_KEYS = frozenset(
    {
        "select",
        "ignore",
        "severity",
        "fail-on",
        "inactive-months",
        "large-file-mb",
        "templates-project",
    }
)


@dataclass(frozen=True)
class AuditConfig:
    """Effective settings for auditing one repository."""

    select: tuple[str, ...] = ()
    ignore: Mapping[str, str | None] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    fail_on: str = "warning"
    inactive_months: int = 12
    large_file_mb: int = 10
    templates_project: str = "hepci/hepci"
    templates_version: str = __version__
    cli_select: tuple[str, ...] | None = None
    cli_ignore: tuple[str, ...] = ()

    def selected_prefixes(self) -> tuple[str, ...]:
        """The rule ID prefixes selected (empty: every rule); ``--select`` wins."""
        return tuple(self.cli_select if self.cli_select is not None else self.select)

    def ignored_prefixes(self) -> tuple[str, ...]:
        """Every ignored rule ID prefix, with or without a reason."""
        return (*self.cli_ignore, *self.ignore)

    def is_selected(self, rule_id: str) -> bool:
        select = self.selected_prefixes()
        return not select or rule_id.startswith(select)

    def ignore_reason(self, rule_id: str) -> tuple[bool, str | None]:
        """(ignored?, reason shown in the report); CLI ``--ignore`` has no reason."""
        if any(rule_id.startswith(p) for p in self.cli_ignore):
            return True, None
        for prefix, reason in self.ignore.items():
            if rule_id.startswith(prefix):
                return True, reason
        return False, None

    def severity_of(self, rule_id: str, default: Severity) -> Severity:
        best: tuple[int, Severity] | None = None
        for prefix, severity in self.severity.items():
            if rule_id.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), severity)
        return best[1] if best else default

    def merged(self, values: Mapping[str, Any]) -> AuditConfig:
        """A copy with validated ``values`` (keys as in the file) applied on top."""
        changes: dict[str, Any] = {}
        if "select" in values:
            changes["select"] = tuple(values["select"])
        if "ignore" in values:
            changes["ignore"] = {**self.ignore, **values["ignore"]}
        if "severity" in values:
            changes["severity"] = {**self.severity, **values["severity"]}
        for key in ("fail-on", "inactive-months", "large-file-mb", "templates-project"):
            if key in values:
                changes[key.replace("-", "_")] = values[key]
        return replace(self, **changes)


def _line_of(text: str, key: str) -> int | None:
    """The line of ``key = ...``, looking after the ``[tool.hepci`` header when there is one."""
    start = max(text.find("[tool.hepci"), 0)
    pattern = rf"(?m)^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*="
    match = re.compile(pattern).search(text, start) or re.search(pattern, text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _parse_toml(text: str, path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        if line is None and "end of document" in str(exc):
            line = max(len(text.splitlines()), 1)
        message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {message}", path=path, line=line) from None
    return data


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def unknown_prefixes(prefixes: Iterable[str]) -> list[str]:
    """The prefixes that match no audit rule (typos, or another tool's codes)."""
    from hepci.audit.rule import all_rules

    ids = list(all_rules())
    return [p for p in prefixes if not any(rule_id.startswith(p) for rule_id in ids)]


def _known(prefixes: Iterable[str]) -> None:
    unknown = unknown_prefixes(prefixes)
    if unknown:
        raise ValueError(f"no audit rule matches {unknown[0]!r}")


def _check_select(value: Any) -> Any:
    items = _string_list(value)
    if items is None:
        raise ValueError("expected a list of rule ID prefixes")
    _known(items)
    return items


def _check_ignore(value: Any) -> Any:
    if isinstance(value, dict):
        if not all(isinstance(v, str) for v in value.values()):
            raise ValueError('expected {"RULE" = "reason"} with string reasons')
        _known(value)
        return dict(value)
    items = _string_list(value)
    if items is None:
        raise ValueError("expected a list of rule ID prefixes or a table of reasons")
    _known(items)
    return dict.fromkeys(items)


def _check_severity(value: Any) -> Any:
    if not isinstance(value, dict) or not all(v in SEVERITIES for v in value.values()):
        raise ValueError('expected {"RULE" = "error" | "warning" | "info"}')
    _known(value)
    return dict(value)


def _check_fail_on(value: Any) -> Any:
    if value not in FAIL_ON:
        raise ValueError(f"expected one of {', '.join(FAIL_ON)}, got {value!r}")
    return value


def _check_positive(value: Any) -> Any:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("expected a positive integer")
    return value


def _check_project(value: Any) -> Any:
    if not isinstance(value, str) or "/" not in value:
        raise ValueError("expected a project path like 'hepci/hepci'")
    return value.strip("/")


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "select": _check_select,
    "ignore": _check_ignore,
    "severity": _check_severity,
    "fail-on": _check_fail_on,
    "inactive-months": _check_positive,
    "large-file-mb": _check_positive,
    "templates-project": _check_project,
}


def _validate(table: Mapping[str, Any], text: str, path: str) -> dict[str, Any]:
    """Validated audit keys; other keys of [tool.hepci] belong to other commands."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        check = _CHECKS.get(key)
        if check is None:
            continue
        try:
            out[key] = check(value)
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}", path=path, line=_line_of(text, key)) from None
    return out


def parse_config_text(text: str, path: str, *, pyproject: bool) -> dict[str, Any]:
    """Validated audit settings from a TOML document (``{}`` when it has none)."""
    data = _parse_toml(text, path)
    table: Any = data.get("tool", {}).get("hepci") if pyproject else data
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigError("[tool.hepci] must be a table", path=path, line=_line_of(text, "hepci"))
    merged = {k: v for k, v in table.items() if not isinstance(v, dict) or k in AUDIT_KEYS}
    audit = table.get("audit")
    if isinstance(audit, dict):
        unknown = sorted(set(audit) - AUDIT_KEYS)
        if unknown:
            raise ConfigError(
                f"audit: unknown key {unknown[0]!r} (known: {', '.join(sorted(AUDIT_KEYS))})",
                path=path,
                line=_line_of(text, unknown[0]),
            )
        merged.update(audit)
    return _validate(merged, text, path)


def load_config_file(path: str, base: AuditConfig | None = None) -> AuditConfig:
    """A group-wide ``--config FILE`` (``.hepci.toml`` layout, or a ``pyproject.toml``)."""
    from pathlib import Path

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no such config file", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", path=path) from None
    values = parse_config_text(text, path, pyproject=file.name == "pyproject.toml")
    return (base or AuditConfig()).merged(values)


def repo_config(read: Any, base: AuditConfig, name: str = "") -> AuditConfig:
    """``base`` plus the repository's own ``pyproject.toml`` and ``.hepci.toml`` settings.

    ``read(path) -> bytes | None`` reads from the repository (local or remote).
    """
    config = base
    for filename, pyproject in (("pyproject.toml", True), (".hepci.toml", False)):
        raw = read(filename)
        if raw is None:
            continue
        shown = f"{name.rstrip('/')}/{filename}" if name else filename
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ConfigError("config file is not UTF-8 text", path=shown) from None
        config = config.merged(parse_config_text(text, shown, pyproject=pyproject))
    return config
