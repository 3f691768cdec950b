"""JUnit XML: one ``<testsuite>`` per project, one ``<testcase>`` per rule, written one suite
at a time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from hepci.audit.model import RepoReport, TargetFailure
from hepci.audit.reports import RunView


def _suite(report: RepoReport) -> ET.Element:
    failed = report.failed()
    suite = ET.Element(
        "testsuite",
        name=report.name,
        tests=str(len(report.results)),
        failures=str(len(failed)),
        errors=str(len(report.errors())),
        skipped=str(sum(r.status == "skip" for r in report.results)),
        time=f"{report.seconds:.3f}",
    )
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{report.name}.{result.family}",
            name=f"{result.id} {result.title}",
        )
        if result.status == "fail":
            body = "\n".join(f"{f.location() or report.name}: {f.message}" for f in result.findings)
            node = ET.SubElement(
                case, "failure", message=result.findings[0].message, type=result.severity
            )
            node.text = body
        elif result.status == "skip":
            ET.SubElement(case, "skipped", message=result.skip_reason or "")
        elif result.status == "error":
            ET.SubElement(case, "error", message=result.skip_reason or "internal error")
    return suite


def _failure_suite(failure: TargetFailure) -> ET.Element:
    suite = ET.Element("testsuite", name=failure.target, tests="1", errors="1")
    case = ET.SubElement(suite, "testcase", classname=failure.target, name="audit")
    ET.SubElement(case, "error", message=failure.message)
    return suite


def _text(suite: ET.Element) -> str:
    ET.indent(suite, space="  ", level=1)
    return "  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n"


def chunks(run: RunView, fail_on: str | None = None) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="hepci audit">\n'
    for report in run.reports:
        yield _text(_suite(report))
    for failure in run.failures:
        yield _text(_failure_suite(failure))
    yield "</testsuites>\n"


def render(run: RunView, fail_on: str | None = None) -> str:
    return "".join(chunks(run, fail_on))
