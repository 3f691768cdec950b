"""What ``hepci audit`` does: resolve targets, audit, write each requested report, exit code."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from hepci.audit.config import FAIL_ON, AuditConfig, load_config_file
from hepci.audit.model import AuditRun
from hepci.errors import ExitCode, UsageError

REMOTE_PREFIXES = ("gitlab:", "http://", "https://")


@dataclass(frozen=True)
class OutputSpec:
    fmt: str
    path: str | None  # None: stdout


@dataclass
class AuditOptions:
    targets: list[str] = field(default_factory=lambda: ["."])
    formats: list[str] = field(default_factory=list)
    output: str | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    config_file: str | None = None
    fail_on: str | None = None
    progress: bool = True
    verbose: bool = False
    quiet: bool = False
    remote: dict[str, object] = field(default_factory=dict)  # resolve_settings() options


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_outputs(formats: list[str], output: str | None) -> list[OutputSpec]:
    """``["json=r.json,html=d.html", "terminal"]`` + ``--output`` → output specs."""
    from hepci.audit.reports import FORMATS, canonical

    specs: list[OutputSpec] = []
    for item in _split(formats) or ["terminal"]:
        name, eq, path = item.partition("=")
        fmt = canonical(name)
        if fmt is None:
            raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
        specs.append(
            OutputSpec(fmt, path.strip() if eq and path.strip() not in ("", "-") else None)
        )
    to_stdout = [s for s in specs if s.path is None]
    if output is not None:
        if len(to_stdout) != 1:
            raise UsageError("--output needs exactly one --format without '=PATH'")
        specs = [OutputSpec(s.fmt, output) if s.path is None else s for s in specs]
    elif len(to_stdout) > 1:
        raise UsageError("only one format can go to stdout: give the others '=PATH'")
    return specs


def build_config(options: AuditOptions) -> AuditConfig:
    config = AuditConfig()
    if options.config_file:
        config = load_config_file(options.config_file, config)
    from dataclasses import replace

    from hepci.audit.config import unknown_prefixes

    select = [p.upper() for p in _split(options.select or [])]
    ignore = [p.upper() for p in _split(options.ignore)]
    for flag, values in (("--select", select), ("--ignore", ignore)):
        unknown = unknown_prefixes(values)
        if unknown:
            raise UsageError(f"{flag} {unknown[0]}: no audit rule matches (see --list-rules)")
    if options.select is not None:
        config = replace(config, cli_select=tuple(select))
    if ignore:
        config = replace(config, cli_ignore=tuple(ignore))
    if options.fail_on is not None:
        if options.fail_on not in FAIL_ON:
            raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
        config = replace(config, fail_on=options.fail_on)
    return config


def _audit_local(targets: list[str], config: AuditConfig) -> AuditRun:
    from hepci.audit.engine import audit_repo
    from hepci.core.repo import LocalRepo

    repos = [LocalRepo(target) for target in targets]  # bad paths: usage error before any work
    return AuditRun.of(audit_repo(repo, config) for repo in repos)


def _audit_remote(targets: list[str], config: AuditConfig, options: AuditOptions) -> AuditRun:
    from hepci.audit.progress import progress_for
    from hepci.audit.remote import audit_remote_targets

    progress = progress_for(enabled=options.progress and not options.quiet)
    return audit_remote_targets(targets, config, progress, options.remote)


def run_audit(options: AuditOptions) -> int:
    """Run the whole command; returns the exit code (errors raise :class:`HepciError`)."""
    outputs = parse_outputs(options.formats, options.output)
    config = build_config(options)
    remote = [t for t in options.targets if t.startswith(REMOTE_PREFIXES)]
    local = [t for t in options.targets if not t.startswith(REMOTE_PREFIXES)]
    run = _audit_local(local, config) if local else AuditRun()
    if remote:
        other = _audit_remote(remote, config, options)
        run.reports.extend(other.reports)
        run.failures.extend(other.failures)
        run.skipped.extend(other.skipped)
    fail_on = options.fail_on  # None: each repository's own (config) threshold
    write_reports(run, outputs, fail_on, verbose=options.verbose)
    return run.exit_code(fail_on)


def write_reports(
    run: AuditRun, outputs: list[OutputSpec], fail_on: str | None, *, verbose: bool = False
) -> None:
    from hepci.audit.reports import render

    for spec in outputs:
        if spec.fmt == "terminal":
            from hepci.audit.reports import terminal

            color = spec.path is None and sys.stdout.isatty()
            text = terminal.render(run, fail_on, color=color, verbose=verbose)
        else:
            text = render(run, spec.fmt, fail_on)
        if spec.path is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            continue
        target = Path(spec.path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.hepci-tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        except OSError as exc:
            raise UsageError(
                f"cannot write report: {exc.strerror or exc}", path=spec.path
            ) from None


def exit_code_doc() -> str:
    return (
        f"{int(ExitCode.OK)} clean, {int(ExitCode.FINDINGS)} findings at or above --fail-on, "
        f"{int(ExitCode.USAGE)} usage/config error, {int(ExitCode.INCOMPLETE)} some targets not "
        f"audited, {int(ExitCode.INTERNAL)} internal error"
    )
