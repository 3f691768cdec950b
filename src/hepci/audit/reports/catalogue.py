"""The preservation catalogue of a group: one self-contained HTML page, one row per analysis.

Each row shows the analysis's preservation record next to its audit: the image and its
digest (read from the crate of the latest default-branch pipeline, through the summary line
its metadata job logs, see :mod:`hepci.gitlab.artifacts`; else from the files, which rarely
know it), the declared datasets with their DOIs
and CERN Open Data records, the workflow engine, the citation, the latest default-branch
pipeline and the crate its metadata job kept, and what the record lacks. Columns sort on a
click; a search box and filters (incomplete records, no crate, no persistent identifiers, an
engine) narrow the rows, for a maintainer of hundreds of analyses. The records come with the
reports (``RepoReport.preservation``, see :mod:`hepci.metadata.summary`); rows are rendered one
project at a time, as the reports stream by.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

from hepci import __version__
from hepci.audit.model import RepoReport
from hepci.audit.reports import RunView
from hepci.audit.reports.html import SCRIPT as SORT_SCRIPT

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0;width:100%}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f0f0f0;cursor:pointer;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
td.num{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#176317}.bad{color:#b00020}
.muted{color:#888}code{background:#f4f4f4;padding:0 3px;font-size:12px}
.controls{display:flex;gap:1em;align-items:center;flex-wrap:wrap}.controls input{width:22em}
details summary{cursor:pointer}ul{margin:.2em 0;padding-left:1.2em}tr.hidden{display:none}
.s-success{color:#176317}.s-failed{color:#b00020}.s-canceled,.s-skipped{color:#888}
"""

# Sorting is the audit page's (``table.sortable``); the filters are the catalogue's own.
SCRIPT = (
    SORT_SCRIPT
    + """
var body = document.querySelector('table.catalogue').tBodies[0];
function applyFilters(){
  var text = document.getElementById('search').value.toLowerCase();
  var only = document.getElementById('only').value, engine = document.getElementById('engine').value;
  var shown = 0;
  Array.prototype.forEach.call(body.rows, function(row){
    var ok = (!text || row.dataset.search.indexOf(text) >= 0)
      && (!only || row.dataset[only] === '1') && (!engine || row.dataset.engine === engine);
    row.classList.toggle('hidden', !ok);
    if (ok) shown++;
  });
  document.getElementById('shown').textContent = shown;
}
var ids = {q: 'search', only: 'only', engine: 'engine'};
function saveFilters(){
  var params = new URLSearchParams();
  Object.keys(ids).forEach(function(k){ var v = document.getElementById(ids[k]).value; if (v) params.set(k, v); });
  history.replaceState(null, '', '#' + params.toString());
}
Object.keys(ids).forEach(function(k){
  document.getElementById(ids[k]).addEventListener('input', function(){ applyFilters(); saveFilters(); });
});
// a filtered view is a link: #only=nocrate&engine=snakemake&q=higgs
var preset = new URLSearchParams(location.hash.slice(1));
Object.keys(ids).forEach(function(k){ if (preset.get(k)) document.getElementById(ids[k]).value = preset.get(k); });
applyFilters();
"""
)


def _cell(value: str | int | float, html: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<td{klass} data-v="{escape(str(value))}">{html}</td>'


def _link(url: str | None, text: str) -> str:
    return f'<a href="{escape(url)}">{text}</a>' if url else text


def _image(entry: dict[str, Any]) -> str:
    image, digest, crate = entry.get("image"), entry.get("image_digest"), entry.get("crate")
    if digest:
        source = entry.get("digest_source")
        note = {"crate": "from the pipeline's crate", "files": "pinned in the files"}.get(
            str(source), ""
        )
        shown = (
            f"<code>{escape(str(image))}</code><br>"
            f'<code class="digest" title="{escape(digest)}">{escape(digest[:19])}…</code>'
        )
        return _cell(digest, shown + (f' <small class="muted">{note}</small>' if note else ""))
    if crate:
        shown = f"<code>{escape(str(image))}</code><br>" if image else ""
        return _cell("1 crate", shown + _link(crate.get("url"), "digest in the crate ↗"))
    if image:
        return _cell(
            "2 " + str(image),
            f'<code>{escape(str(image))}</code><br><span class="bad">no digest</span>',
        )
    return _cell("3", '<span class="muted">no image build</span>')


def _datasets(entry: dict[str, Any]) -> str:
    items = []
    for data in entry.get("datasets") or []:
        name = escape(str(data.get("name")))
        if data.get("doi"):
            items.append(f"<li>{_link('https://doi.org/' + escape(str(data['doi'])), name)}</li>")
        elif data.get("kind") == "synthetic":
            items.append(f'<li>{name} <span class="muted">(synthetic)</span></li>')
        else:
            items.append(f'<li>{name} <span class="bad">(no PID)</span></li>')
    if not items:
        return _cell(0, '<span class="bad">none declared</span>')
    return _cell(len(items), f"<ul>{''.join(items)}</ul>")


def _citation(entry: dict[str, Any]) -> str:
    cite = entry.get("citation") or {}
    if not cite.get("file"):
        return _cell(0, '<span class="bad">no CITATION.cff</span>')
    parts = [f"{cite.get('authors', 0)} author(s)"]
    if cite.get("license"):
        parts.append(escape(str(cite["license"])))
    if cite.get("doi"):
        parts.append(_link("https://doi.org/" + escape(str(cite["doi"])), "DOI"))
    return _cell(int(cite.get("authors") or 0) + 1, ", ".join(parts))


def _pipeline(entry: dict[str, Any]) -> str:
    pipe = entry.get("pipeline")
    if not pipe:
        return _cell("", '<span class="muted">—</span>')
    status = escape(str(pipe.get("status") or "?"))
    when = escape(str(pipe.get("created_at") or "")[:10])
    shown = _link(pipe.get("url"), f'<span class="s-{status}">{status}</span>')
    return _cell(str(pipe.get("created_at") or ""), f"{shown}<br><small>{when}</small>")


def _crate(entry: dict[str, Any]) -> str:
    crate = entry.get("crate")
    if not crate:
        return _cell(0, '<span class="muted">none</span>')
    size = crate.get("size")
    label = f"ro-crate ({size:,} B zip)" if isinstance(size, int) else "ro-crate"
    sha = crate.get("sha256")
    extra = (
        f'<br><small class="muted" title="{escape(str(sha))}">sha256 of the crate file: {escape(str(sha)[7:19])}…</small>'
        if sha
        else ""
    )
    return _cell(1, _link(crate.get("url"), label) + extra)


def _missing(entry: dict[str, Any]) -> str:
    gaps = entry.get("missing") or []
    if not gaps:
        return _cell(0, '<span class="ok">complete</span>')
    items = "".join(f"<li>{escape(str(g))}</li>" for g in gaps)
    return _cell(
        len(gaps), f"<details><summary>{len(gaps)} missing</summary><ul>{items}</ul></details>"
    )


def _flags(entry: dict[str, Any]) -> dict[str, str]:
    datasets = entry.get("datasets") or []
    pid = any(d.get("doi") or d.get("recid") or d.get("kind") == "synthetic" for d in datasets)
    return {
        "incomplete": "1" if entry.get("missing") else "0",
        "nocrate": "0" if entry.get("crate") else "1",
        "nopid": "0" if pid else "1",
    }


def row(report: RepoReport) -> str:
    """One analysis (a project audited without the PRES rules gets a placeholder row)."""
    entry = report.preservation
    name = escape(report.name)
    score = report.score()
    pres = next((s.score for s in report.family_scores() if s.family == "PRES"), None)
    audit = f"{'–' if score is None else score}" + (
        f" <small>(PRES {pres})</small>" if pres is not None else ""
    )
    head = _cell(name, _link(report.web_url, name)) + _cell(
        -1 if score is None else score, audit, "num"
    )
    if entry is None:
        return (
            f'<tr data-search="{name.lower()}" data-engine="" data-incomplete="1" data-nocrate="1"'
            f' data-nopid="1">{head}<td colspan="7" class="muted">no preservation record '
            "(PRES rules not selected)</td></tr>"
        )
    engine = escape(str(entry.get("engine") or ""))
    words = " ".join(
        [report.name, engine, *(str(d.get("name")) for d in entry.get("datasets") or [])]
    )
    flags = "".join(f' data-{k}="{v}"' for k, v in _flags(entry).items())
    cells = [
        _image(entry), _datasets(entry),
        _cell(engine, f"{engine or '<span class=bad>none</span>'}"),
        _citation(entry), _pipeline(entry), _crate(entry), _missing(entry),
    ]  # fmt: skip
    return (
        f'<tr data-search="{escape(words.lower())}" data-engine="{engine}"{flags}>'
        f"{head}{''.join(cells)}</tr>"
    )


ENGINES = (
    "snakemake",
    "reana-serial",
    "reana-snakemake",
    "reana-yadage",
    "reana-cwl",
    "yadage",
    "cwl",
)


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    """The page in pieces: the head, one row per project as the reports stream by, the end."""
    options = "".join(f'<option value="{e}">{e}</option>' for e in ENGINES)
    yield f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hepci preservation catalogue</title>
<style>{STYLE}</style></head><body>
<h1>Preservation catalogue</h1>
<p>{len(run.reports)} analyses, {len(run.failures)} not audited. Each row is the analysis's
preservation record (what <code>hepci metadata</code> writes into its RO-Crate) next to its
audit score; the crate is the one the metadata job of the latest default-branch pipeline kept.
Click a column to sort.</p>
<div class="controls"><input id="search" type="search" placeholder="Search analyses, datasets, engines">
<label>Show <select id="only"><option value="">all</option>
<option value="incomplete">incomplete records</option><option value="nocrate">no crate</option>
<option value="nopid">no dataset with a PID</option></select></label>
<label>Engine <select id="engine"><option value="">any</option>{options}</select></label>
<span><span id="shown">{len(run.reports)}</span> shown</span></div>
<table class="catalogue sortable"><thead><tr><th>Analysis</th><th>Audit</th><th>Image</th>
<th>Datasets</th><th>Engine</th><th>Citation</th><th>Default-branch pipeline</th><th>Crate</th>
<th>Missing</th></tr></thead><tbody>
"""
    for report in run.reports:
        yield row(report) + "\n"
    failed = "".join(
        f"<li><code>{escape(f.target)}</code>: {escape(f.message)}</li>" for f in run.failures
    )
    yield "</tbody></table>\n" + (f"<h2>Not audited</h2><ul>{failed}</ul>" if failed else "")
    yield f"""<p><small>hepci {__version__}</small></p>
<script>{SCRIPT}</script>
</body></html>
"""


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
