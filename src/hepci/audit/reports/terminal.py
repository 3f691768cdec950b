"""The terminal report: per family a score and the rule marks, then what to fix first.

Plain text with ANSI colours when writing to a terminal. It does not import rich: rich costs
~0.1 s of start-up, a third of the local-audit budget (rich draws only the group progress bar).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from hepci.audit.model import FAMILIES, SEVERITY_RANK, RepoReport
from hepci.audit.reports import RunView

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


@dataclass
class _Failing:
    """One rule's failures over a group: how often, and the codemods that fix them."""

    severity: str
    title: str
    count: int = 0
    fixes: dict[str, None] = field(default_factory=dict)


def _group(paint: _Painter, run: RunView) -> list[str]:
    """Many projects: one line each, then the rules failing most often (``-v``: everything).

    One pass over the projects, keeping a small row for each (not its report)."""
    rows: list[tuple[int, str, dict[str, int | None], int | None, int]] = []
    failing: dict[str, _Failing] = {}
    for report in run.reports:
        scores = {s.family: s.score for s in report.family_scores()}
        failed = report.failed()
        rows.append((report.score() or -1, report.name, scores, report.score(), len(failed)))
        for result in failed:
            entry = failing.setdefault(result.id, _Failing(result.severity, result.title))
            entry.count += 1
            entry.fixes.update(dict.fromkeys(result.available_fixes()))
    width = min(max(len(row[1]) for row in rows), 50)
    head = f"{'project':<{width}} score " + " ".join(f"{f:>4}" for f in FAMILIES) + "  failed"
    lines = [paint(head, "bold")]
    for _, name, scores, score, nfailed in sorted(rows, key=lambda row: (row[0], row[1])):
        cells = " ".join(paint.score(scores.get(f), 4) for f in FAMILIES)
        shown = name if len(name) <= width else "…" + name[-width + 1 :]
        lines.append(f"{shown:<{width}} {paint.score(score, 5)} {cells}  {nfailed:>6}")
    if failing:
        lines += ["", paint("Failing most often:", "bold")]
        ranked = sorted(
            failing.items(), key=lambda kv: (-SEVERITY_RANK[kv[1].severity], -kv[1].count)
        )
        for rule_id, entry in ranked:
            fix = (
                paint(f"  (hepci upgrade: {', '.join(entry.fixes)})", "cyan") if entry.fixes else ""
            )
            lines.append(
                f"  {paint(rule_id, SEVERITY_STYLE[entry.severity])} [{entry.severity}] "
                f"{entry.title}: {entry.count} of {len(rows)} projects{fix}"
            )
    lines.append("")
    return lines


def _thresholds(run: RunView) -> str:
    return "/".join(sorted({r.fail_on for r in run.reports})) or "warning"


def chunks(
    run: RunView, fail_on: str | None = None, *, color: bool = False, verbose: bool = False
) -> Iterator[str]:
    """The report in pieces: the group table at once, or one project at a time."""
    paint = _Painter(color)
    if len(run.reports) > 1 and not verbose:
        yield "\n".join(_group(paint, run)) + "\n"
    else:
        for report in run.reports:
            yield "\n".join(_report(paint, report, verbose)) + "\n"
    lines: list[str] = []
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
    yield "\n".join(lines) + "\n"


def render(
    run: RunView, fail_on: str | None = None, *, color: bool = False, verbose: bool = False
) -> str:
    return "".join(chunks(run, fail_on, color=color, verbose=verbose))
