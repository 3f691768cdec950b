"""What ``hepci audit`` does: resolve targets, audit, write each requested report, exit code.

Reports named ``FMT=PATH`` are written with :func:`hepci.core.safefs.write_output` (atomic,
never through a symbolic link). Whatever the formats, stderr always says how many targets
could not be audited (and why) and where each report file went, so a run whose only output
is a file never ends silently.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from hepci.audit.config import FAIL_ON, AuditConfig, load_config_file
from hepci.audit.model import AuditRun
from hepci.audit.reports import RunView
from hepci.audit.spool import SpooledRun
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
    merge: bool = False  # targets are shard JSON reports to combine (hepci.audit.merge)


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


def _audit_remote(
    targets: list[str], config: AuditConfig, options: AuditOptions, into: SpooledRun
) -> None:
    from hepci.audit.progress import progress_for
    from hepci.audit.remote import audit_remote_targets

    progress = progress_for(enabled=options.progress and not options.quiet)
    audit_remote_targets(targets, config, progress, options.remote, into)


def run_audit(options: AuditOptions) -> int:
    """Run the whole command; returns the exit code (errors raise :class:`HepciError`)."""
    outputs = parse_outputs(options.formats, options.output)
    config = build_config(options)
    if options.merge:
        return _merge(options, outputs)
    remote = [t for t in options.targets if t.startswith(REMOTE_PREFIXES)]
    local = [t for t in options.targets if not t.startswith(REMOTE_PREFIXES)]
    local_run = _audit_local(local, config) if local else AuditRun()
    run = SpooledRun(failures=list(local_run.failures), skipped=list(local_run.skipped))
    try:
        run.reports.extend(local_run.reports)
        del local_run
        if remote:
            _audit_remote(remote, config, options, run)
        return finish(run, outputs, options)
    finally:
        run.close()


def _merge(options: AuditOptions, outputs: list[OutputSpec]) -> int:
    from hepci.audit.merge import merge_reports

    run = SpooledRun()
    try:
        merge_reports(list(options.targets), run)
        return finish(run, outputs, options)
    finally:
        run.close()


def finish(run: RunView, outputs: list[OutputSpec], options: AuditOptions) -> int:
    """Write the reports of a finished run, say where they went; return the exit code."""
    fail_on = options.fail_on  # None: each repository's own (config) threshold
    written: list[OutputSpec] = []
    try:
        write_reports(run, outputs, fail_on, verbose=options.verbose, written=written)
    finally:
        say_outcome(run, written, quiet=options.quiet)
    return run.exit_code(fail_on)


MAX_NAMED_FAILURES = 3


def say_outcome(run: RunView, written: list[OutputSpec], *, quiet: bool = False) -> None:
    """On stderr: the targets that could not be audited, and the report files ``written``."""
    err = sys.stderr
    written = [spec for spec in written if spec.path is not None]
    if run.failures:
        total = len(run.reports) + len(run.failures)
        named = "; ".join(f"{f.target}: {f.message}" for f in run.failures[:MAX_NAMED_FAILURES])
        more = len(run.failures) - MAX_NAMED_FAILURES
        tail = f"; and {more} more" if more > 0 else ""
        where = f" (all listed in {written[0].path})" if written else ""
        err.write(
            f"hepci audit: {len(run.failures)} of {total} target(s) could not be audited"
            f"{where}: {named}{tail}\n"
        )
    if not quiet or run.failures:
        for spec in written:
            err.write(f"hepci audit: {spec.fmt} report written to {spec.path}\n")
    err.flush()


def write_reports(
    run: RunView,
    outputs: list[OutputSpec],
    fail_on: str | None,
    *,
    verbose: bool = False,
    written: list[OutputSpec] | None = None,
) -> None:
    """Write every output as a stream (files atomically); ``written`` collects the files done.

    A file that cannot be written is an :class:`~hepci.errors.OutputError` (exit 2).
    """
    from hepci.audit.reports import chunks
    from hepci.core.safefs import write_output

    for spec in outputs:
        if spec.fmt == "terminal":
            from hepci.audit.reports import terminal

            color = spec.path is None and sys.stdout.isatty()
            pieces = terminal.chunks(run, fail_on, color=color, verbose=verbose)
        else:
            pieces = chunks(run, spec.fmt, fail_on)
        if spec.path is None:
            for piece in pieces:
                sys.stdout.write(piece)
            sys.stdout.flush()
            continue
        write_output(spec.path, (piece.encode("utf-8") for piece in pieces))
        if written is not None:
            written.append(spec)


def exit_code_doc() -> str:
    return (
        f"{int(ExitCode.OK)} clean, {int(ExitCode.FINDINGS)} findings at or above --fail-on, "
        f"{int(ExitCode.USAGE)} usage/config error, {int(ExitCode.INCOMPLETE)} some targets not "
        f"audited, {int(ExitCode.INTERNAL)} internal error"
    )
