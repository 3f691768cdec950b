"""Markdown report for a merge request, an issue or a CI job summary."""

from __future__ import annotations

from collections.abc import Iterator

from hepci.audit.model import FAMILIES, RepoReport, RuleResult
from hepci.audit.reports import RunView

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


def _blocks(run: RunView) -> Iterator[list[str]]:
    """The report's lines, a block at a time (the summary table, then one per project)."""
    counts = run.counts()
    yield [
        "# hepci audit",
        "",
        f"{len(run.reports)} audited, {len(run.failures)} not audited; failed rules: "
        f"{counts['error']} error, {counts['warning']} warning, {counts['info']} info.",
        "",
    ]
    heading = "##"
    if len(run.reports) > 1:
        families = list(FAMILIES)
        yield [
            "| Project | Score | " + " | ".join(families) + " |",
            "|---|---:|" + "---:|" * len(families),
        ]
        for report in run.reports:
            scores = {s.family: s.score for s in report.family_scores()}
            cells = ["–" if scores.get(f) is None else str(scores[f]) for f in families]
            total = report.score()
            yield [
                f"| {_cell(report.name)} | {'–' if total is None else total} | "
                + " | ".join(cells)
                + " |"
            ]
        yield [""]
    for report in run.reports:
        yield _project(report, heading)
    out: list[str] = []
    if run.failures:
        out += ["## Not audited", ""]
        out += [f"- `{f.target}`: {_cell(f.message)}" for f in run.failures]
        out.append("")
    if run.skipped:
        out += ["## Skipped", ""]
        out += [f"- `{s.target}`: {_cell(s.reason)}" for s in run.skipped]
        out.append("")
    if out:
        yield out


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    for number, block in enumerate(_blocks(run)):
        text = "\n".join(block)
        yield "\n" + text if number else text


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
