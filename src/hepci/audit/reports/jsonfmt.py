"""The JSON report (schema documented in docs/audit-json.md; bump SCHEMA_VERSION on change).

Written as a stream, one project at a time (:func:`chunks`), so a group of 10,000 projects
never sits in memory as one document. :func:`project_dict` / :func:`project_from_dict` are the
one codec between a :class:`RepoReport` and its JSON form: the report spool, the findings
cache and ``hepci audit --merge`` use them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, cast

from hepci import __version__
from hepci.audit.model import Finding, RepoReport, RuleResult, Severity, Status
from hepci.audit.reports import RunView, run_scope
from hepci.core import fastjson

SCHEMA_VERSION = 1


def result_dict(result: RuleResult) -> dict[str, Any]:
    """``projects[].results[]`` for one rule result."""
    return {
        "id": result.id,
        "family": result.family,
        "title": result.title,
        "severity": result.severity,
        "status": result.status,
        "url": result.url,
        "fix": list(result.fix),
        "skip_reason": result.skip_reason,
        "findings": [
            {"message": f.message, "path": f.path, "line": f.line, "fix": f.fix}
            for f in result.findings
        ],
    }


def _project_head(report: RepoReport) -> dict[str, Any]:
    return {
        "name": report.name,
        "web_url": report.web_url,
        "score": report.score(),
        "families": {
            s.family: {"score": s.score, "passed": s.passed, "applicable": s.applicable}
            for s in report.family_scores()
        },
        "seconds": round(report.seconds, 4),
        "fail_on": report.fail_on,
    }


def project_dict(report: RepoReport) -> dict[str, Any]:
    """``projects[]`` of the JSON report for one repository."""
    return {
        **_project_head(report),
        "results": [result_dict(r) for r in report.results],
        **({"preservation": report.preservation} if report.preservation is not None else {}),
    }


_FRAGMENTS: dict[int, tuple[RuleResult, bytes]] = {}  # shared results' JSON, by identity
MAX_FRAGMENTS = 4096


def _result_json(result: RuleResult) -> bytes:
    """:func:`result_dict` as JSON; a result without findings is usually one the engine
    shares between projects, so its text is made once."""
    if result.findings:
        return fastjson.dumps(result_dict(result))
    known = _FRAGMENTS.get(id(result))
    if known is not None and known[0] is result:
        return known[1]
    text = fastjson.dumps(result_dict(result))
    if len(_FRAGMENTS) < MAX_FRAGMENTS:
        _FRAGMENTS[id(result)] = (result, text)
    return text


def project_json(report: RepoReport) -> bytes:
    """``fastjson.dumps(project_dict(report))``, byte for byte, from pieces made once."""
    parts = [
        fastjson.dumps(_project_head(report))[:-1],
        b',"results":[',
        b",".join(_result_json(r) for r in report.results),
        b"]",
    ]
    if report.preservation is not None:
        parts += [b',"preservation":', fastjson.dumps(report.preservation)]
    parts.append(b"}")
    return b"".join(parts)


_PLAIN: dict[tuple[Any, ...], RuleResult] = {}  # results without findings, shared
MAX_PLAIN = 4096


def result_from_dict(data: Mapping[str, Any]) -> RuleResult:
    """The inverse of :func:`result_dict`."""
    if not data["findings"]:  # pass/skip: the same few results in every project of a group
        key = (data["id"], data["family"], data["title"], data["severity"], data["status"],
               data["url"], data.get("skip_reason"), tuple(data.get("fix", ())))  # fmt: skip
        found = _PLAIN.get(key)
        if found is None:
            found = _make_result(data)
            if len(_PLAIN) < MAX_PLAIN:
                _PLAIN[key] = found
        return found
    return _make_result(data)


def _make_result(data: Mapping[str, Any]) -> RuleResult:
    return RuleResult(
        id=str(data["id"]),
        family=str(data["family"]),
        title=str(data["title"]),
        severity=cast(Severity, str(data["severity"])),
        status=cast(Status, str(data["status"])),
        url=str(data["url"]),
        findings=tuple(
            Finding(str(f["message"]), f.get("path"), f.get("line"), f.get("fix"))
            for f in data["findings"]
        ),
        skip_reason=data.get("skip_reason"),
        fix=tuple(str(fix) for fix in data.get("fix", ())),
    )


def project_from_dict(data: Mapping[str, Any]) -> RepoReport:
    """The :class:`RepoReport` behind one ``projects[]`` entry (the inverse of
    :func:`project_dict`); raises ``KeyError``/``TypeError``/``ValueError`` on a bad entry."""
    return RepoReport(
        name=str(data["name"]),
        results=tuple(result_from_dict(r) for r in data["results"]),
        web_url=data.get("web_url"),
        seconds=float(data.get("seconds", 0.0)),
        fail_on=str(data.get("fail_on", "warning")),
        preservation=data.get("preservation"),
    )


def head_dict(run: RunView, fail_on: str | None = None) -> dict[str, Any]:
    """Everything but the ``projects[]`` list (which :func:`chunks` streams)."""
    head: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "hepci", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fail_on": fail_on,
        "exit_code": run.exit_code(fail_on),
        "summary": {
            "targets": len(run.reports) + len(run.failures),
            "audited": len(run.reports),
            "not_audited": len(run.failures),
            "failed_rules": run.counts(),
        },
    }
    scope = run_scope(run)
    if scope is not None:
        head["scope"] = scope
    return head


def _indented(value: Any, level: int) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + " " * level)


def _project_lines(run: RunView) -> Iterator[str]:
    """Each project as one compact JSON line (straight from the spool when there is one:
    its lines are already this text)."""
    raw = getattr(run.reports, "raw_lines", None)
    if callable(raw):
        yield from raw()
        return
    for report in run.reports:
        yield project_json(report).decode("utf-8")


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    """The report as pieces of text: the head (indented), one line per project, the tail.

    Projects are compact (one line each): json's indenting encoder is pure Python and cost
    10 ms per project, more than auditing it."""
    head = head_dict(run, fail_on)
    yield "{\n"
    for key, value in head.items():
        yield f"  {json.dumps(key)}: {_indented(value, 2)},\n"
    yield '  "projects": ['
    for index, line in enumerate(_project_lines(run)):
        yield ("," if index else "") + "\n    " + line
    yield "\n  ],\n" if len(run.reports) else "],\n"
    failures = [
        {"target": f.target, "error": f.message, "exit_code": f.exit_code} for f in run.failures
    ]
    skipped = [{"target": s.target, "reason": s.reason} for s in run.skipped]
    yield f'  "failures": {_indented(failures, 2)},\n'
    yield f'  "skipped_targets": {_indented(skipped, 2)}\n'
    yield "}\n"


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
