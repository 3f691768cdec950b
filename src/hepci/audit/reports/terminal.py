"""The terminal report: per family a score and the rule marks, then what to fix first.

Plain text with ANSI colours when writing to a terminal. It does not import rich: rich costs
~0.1 s of start-up, a third of the local-audit budget (rich draws only the group progress bar).
"""

from __future__ import annotations

from hepci.audit.model import FAMILIES, SEVERITY_RANK, AuditRun, RepoReport, RuleResult

CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "bold red": "1;31",
}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}
STATUS = {
    "pass": ("✓", "green"),
    "fail": ("✗", "red"),
    "skip": ("–", "dim"),
    "error": ("!", "magenta"),
}


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        if not self.color or not style:
            return text
        return f"\x1b[{CODES[style]}m{text}\x1b[0m"

    def score(self, score: int | None, width: int = 3) -> str:
        if score is None:
            return self("–".rjust(width), "dim")
        style = "green" if score >= 80 else "yellow" if score >= 50 else "red"
        return self(str(score).rjust(width), style)


def _report(paint: _Painter, report: RepoReport, verbose: bool) -> list[str]:
    lines = [f"{paint('● ' + report.name, 'bold')}  score {paint.score(report.score(), 0)}"]
    for fam in report.family_scores():
        marks = " ".join(
            paint(STATUS[r.status][0] + r.id, STATUS[r.status][1])
            for r in report.results
            if r.family == fam.family
        )
        label = f"{fam.family:<5}{FAMILIES[fam.family]}"
        lines.append(
            f"  {label:<30} {paint.score(fam.score)}  {fam.passed:>2}/{fam.applicable:<2}  {marks}"
        )
    first = report.fix_first()
    if first:
        lines.append(paint("Fix first:", "bold"))
    for result in first:
        head = f"  {paint(result.id, SEVERITY_STYLE[result.severity])} [{result.severity}] {result.title}"
        fixes = result.available_fixes()
        if fixes:
            head += paint(f"  (hepci upgrade: {', '.join(fixes)})", "cyan")
        lines.append(head)
        for finding in result.findings:
            where = f"{finding.location()}: " if finding.path else ""
            lines.append(f"      {where}{finding.message}")
    for result in report.errors():
        lines.append(paint(f"  {result.id} {result.skip_reason}", "magenta"))
    if verbose:
        for result in report.results:
            if result.status == "skip":
                lines.append(paint(f"  skipped {result.id}: {result.skip_reason}", "dim"))
    lines.append("")
    return lines


def _group(paint: _Painter, run: AuditRun) -> list[str]:
    """Many projects: one line each, then the rules failing most often (``-v``: everything)."""
    width = min(max(len(r.name) for r in run.reports), 50)
    head = f"{'project':<{width}} score " + " ".join(f"{f:>4}" for f in FAMILIES) + "  failed"
    lines = [paint(head, "bold")]
    for report in sorted(run.reports, key=lambda r: (r.score() or -1, r.name)):
        scores = {s.family: s.score for s in report.family_scores()}
        cells = " ".join(paint.score(scores.get(f), 4) for f in FAMILIES)
        name = report.name if len(report.name) <= width else "…" + report.name[-width + 1 :]
        lines.append(
            f"{name:<{width}} {paint.score(report.score(), 5)} {cells}  {len(report.failed()):>6}"
        )
    counts: dict[str, list[RuleResult]] = {}
    for report in run.reports:
        for result in report.failed():
            counts.setdefault(result.id, []).append(result)
    if counts:
        lines += ["", paint("Failing most often:", "bold")]
        ranked = sorted(counts.values(), key=lambda rs: (-SEVERITY_RANK[rs[0].severity], -len(rs)))
        for results in ranked:
            first = results[0]
            fixes = dict.fromkeys(f for r in results for f in r.available_fixes())
            fix = paint(f"  (hepci upgrade: {', '.join(fixes)})", "cyan") if fixes else ""
            lines.append(
                f"  {paint(first.id, SEVERITY_STYLE[first.severity])} [{first.severity}] "
                f"{first.title}: {len(results)} of {len(run.reports)} projects{fix}"
            )
    lines.append("")
    return lines


def _thresholds(run: AuditRun) -> str:
    return "/".join(sorted({r.fail_on for r in run.reports})) or "warning"


def render(
    run: AuditRun, fail_on: str | None = None, *, color: bool = False, verbose: bool = False
) -> str:
    paint = _Painter(color)
    lines: list[str] = []
    if len(run.reports) > 1 and not verbose:
        lines += _group(paint, run)
    else:
        for report in run.reports:
            lines += _report(paint, report, verbose)
    for failure in run.failures:
        lines.append(paint(f"not audited: {failure.target}: {failure.message}", "bold red"))
    for skipped in run.skipped:
        lines.append(paint(f"skipped: {skipped.target}: {skipped.reason}", "dim"))
    counts = run.counts()
    lines.append(
        f"{len(run.reports)} audited, {len(run.failures)} not audited · failed rules: "
        f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info "
        f"· fail-on {fail_on or _thresholds(run)} → exit {run.exit_code(fail_on)}"
    )
    return "\n".join(lines) + "\n"
