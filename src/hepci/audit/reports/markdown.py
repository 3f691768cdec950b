"""Markdown report for a merge request, an issue or a CI job summary."""

from __future__ import annotations

from hepci.audit.model import FAMILIES, AuditRun, RepoReport, RuleResult

ICON = {"pass": "✅", "fail": "❌", "skip": "⏭️", "error": "💥"}
SEVERITY_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _finding_lines(result: RuleResult) -> list[str]:
    lines = []
    for finding in result.findings:
        where = f"`{finding.location()}` " if finding.path else ""
        lines.append(f"  - {where}{_cell(finding.message)}")
    return lines


def _project(report: RepoReport, heading: str) -> list[str]:
    out = [f"{heading} {report.name}", ""]
    score = report.score()
    out.append(f"Score: **{score if score is not None else '–'}**/100")
    out += ["", "| Family | Score | Passed |", "|---|---:|---:|"]
    for fam in report.family_scores():
        shown = "–" if fam.score is None else str(fam.score)
        out.append(
            f"| {FAMILIES[fam.family]} ({fam.family}) | {shown} | {fam.passed}/{fam.applicable} |"
        )
    first = report.fix_first()
    if first:
        out += ["", "**Fix first**", ""]
        for result in first:
            fix = (
                f" — `hepci upgrade` fixes it ({', '.join(result.available_fixes())})"
                if result.available_fixes()
                else ""
            )
            out.append(
                f"- {SEVERITY_ICON[result.severity]} [{result.id}]({result.url}) "
                f"{_cell(result.title)}{fix}"
            )
            out += _finding_lines(result)
    else:
        out += ["", "No findings. 🎉"]
    skipped = [r for r in report.results if r.status in ("skip", "error")]
    if skipped:
        out += ["", "<details><summary>Skipped rules</summary>", ""]
        out += [
            f"- {ICON[r.status]} {r.id} {_cell(r.title)}: {_cell(r.skip_reason or '')}"
            for r in skipped
        ]
        out += ["", "</details>"]
    return [*out, ""]


def render(run: AuditRun, fail_on: str | None = None) -> str:
    out = ["# hepci audit", ""]
    counts = run.counts()
    out.append(
        f"{len(run.reports)} audited, {len(run.failures)} not audited; failed rules: "
        f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info."
    )
    out.append("")
    heading = "##"
    if len(run.reports) > 1:
        families = list(FAMILIES)
        out += ["| Project | Score | " + " | ".join(families) + " |"]
        out += ["|---|---:|" + "---:|" * len(families)]
        for report in run.reports:
            scores = {s.family: s.score for s in report.family_scores()}
            cells = ["–" if scores.get(f) is None else str(scores[f]) for f in families]
            total = report.score()
            out.append(
                f"| {_cell(report.name)} | {'–' if total is None else total} | "
                + " | ".join(cells)
                + " |"
            )
        out.append("")
    for report in run.reports:
        out += _project(report, heading)
    if run.failures:
        out += ["## Not audited", ""]
        out += [f"- `{f.target}`: {_cell(f.message)}" for f in run.failures]
        out.append("")
    if run.skipped:
        out += ["## Skipped", ""]
        out += [f"- `{s.target}`: {_cell(s.reason)}" for s in run.skipped]
        out.append("")
    return "\n".join(out)
