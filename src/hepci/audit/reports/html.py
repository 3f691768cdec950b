"""The group dashboard: one self-contained HTML page, projects × families, sortable columns,
per-project details in ``<details>``. No external assets."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from html import escape

from hepci import __version__
from hepci.audit.model import FAMILIES, RepoReport
from hepci.audit.reports import RunView

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px}
th{background:#f0f0f0;cursor:pointer;user-select:none}th.sorted-asc::after{content:" ▲"}
th.sorted-desc::after{content:" ▼"}td.num{text-align:right;font-variant-numeric:tabular-nums}
.s-good{background:#c8f0c8}.s-mid{background:#fbe7a6}.s-bad{background:#f6b8b8}.s-na{color:#999}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
.error{color:#b00020}.warning{color:#a05a00}.info{color:#2255aa}li{margin:.15em 0}
code{background:#f4f4f4;padding:0 3px}.fail-box{background:#fff0f0;padding:.5em 1em}
"""

SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var table = th.closest('table'), body = table.tBodies[0];
    var asc = !th.classList.contains('sorted-asc');
    table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
      return asc ? c : -c;
    });
    rows.forEach(function(r){body.appendChild(r);});
  });
});
"""


def _score_cell(score: int | None) -> str:
    if score is None:
        return '<td class="num s-na" data-v="-1">–</td>'
    css = "s-good" if score >= 80 else "s-mid" if score >= 50 else "s-bad"
    return f'<td class="num {css}" data-v="{score}">{score}</td>'


def _row(report: RepoReport) -> str:
    scores = {s.family: s.score for s in report.family_scores()}
    name = escape(report.name)
    link = f'<a href="{escape(report.web_url)}">{name}</a>' if report.web_url else name
    cells = [f'<td data-v="{name}">{link}</td>', _score_cell(report.score())]
    cells += [_score_cell(scores.get(f)) for f in FAMILIES]
    errors = sum(r.severity == "error" for r in report.failed())
    cells.append(f'<td class="num" data-v="{errors}">{errors}</td>')
    cells.append(f'<td class="num" data-v="{len(report.failed())}">{len(report.failed())}</td>')
    return "<tr>" + "".join(cells) + "</tr>"


def _details(report: RepoReport) -> str:
    items = []
    for result in report.fix_first():
        fix = (
            f" <em>(fix: {escape(', '.join(result.available_fixes()))})</em>"
            if result.available_fixes()
            else ""
        )
        findings = "".join(
            f"<li><code>{escape(f.location())}</code> {escape(f.message)}</li>"
            if f.path
            else f"<li>{escape(f.message)}</li>"
            for f in result.findings
        )
        items.append(
            f'<li class="{result.severity}"><a href="{escape(result.url)}">{result.id}</a> '
            f"{escape(result.title)} [{result.severity}]{fix}<ul>{findings}</ul></li>"
        )
    skipped = "".join(
        f"<li>{r.id} {escape(r.title)}: {escape(r.skip_reason or '')}</li>"
        for r in report.results
        if r.status in ("skip", "error")
    )
    body = f"<ol>{''.join(items)}</ol>" if items else "<p>No findings.</p>"
    if skipped:
        body += f"<details><summary>Skipped</summary><ul>{skipped}</ul></details>"
    score = report.score()
    return (
        f"<details><summary>{escape(report.name)} — score "
        f"{'–' if score is None else score}, {len(report.failed())} failed</summary>{body}</details>"
    )


def _not_audited(run: RunView) -> str:
    failures = ""
    if run.failures:
        items = "".join(
            f"<li><code>{escape(f.target)}</code>: {escape(f.message)}</li>" for f in run.failures
        )
        failures = f'<div class="fail-box"><h2>Not audited ({len(run.failures)})</h2><ul>{items}</ul></div>'
    if run.skipped:
        items = "".join(
            f"<li><code>{escape(s.target)}</code>: {escape(s.reason)}</li>" for s in run.skipped
        )
        failures += (
            f"<details><summary>Skipped ({len(run.skipped)})</summary><ul>{items}</ul></details>"
        )
    return failures


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    """The page in pieces. The table rows and the details come from one pass over the
    projects: the details go to a temporary file meanwhile, so neither part is kept in memory."""
    head = "".join(f"<th title='{escape(v)}'>{k}</th>" for k, v in FAMILIES.items())
    counts = run.counts()
    yield f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hepci audit dashboard</title>
<style>{STYLE}</style></head><body>
<h1>hepci audit</h1>
<p>{len(run.reports)} projects audited, {len(run.failures)} not audited. Failed rules:
<span class="error">{counts["error"]} error</span>, <span class="warning">{counts["warning"]} warning</span>,
<span class="info">{counts["info"]} info</span>. Click a column to sort.</p>
<table class="sortable"><thead><tr><th>Project</th><th>Score</th>{head}<th>Errors</th><th>Failed</th></tr></thead>
<tbody>"""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as details:
        for report in run.reports:
            yield _row(report)
            details.write(_details(report))
        yield f"</tbody></table>\n{_not_audited(run)}\n<h2>Details</h2>"
        details.seek(0)
        while block := details.read(1 << 16):
            yield block
    yield f"""
<p><small>hepci {__version__}</small></p>
<script>{SCRIPT}</script>
</body></html>
"""


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
