"""JUnit XML: one ``<testsuite>`` per project, one ``<testcase>`` per rule."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hepci.audit.model import AuditRun


def render(run: AuditRun, fail_on: str | None = None) -> str:
    suites = ET.Element("testsuites", name="hepci audit")
    for report in run.reports:
        failed = report.failed()
        suite = ET.SubElement(
            suites,
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
                body = "\n".join(
                    f"{f.location() or report.name}: {f.message}" for f in result.findings
                )
                node = ET.SubElement(
                    case, "failure", message=result.findings[0].message, type=result.severity
                )
                node.text = body
            elif result.status == "skip":
                ET.SubElement(case, "skipped", message=result.skip_reason or "")
            elif result.status == "error":
                ET.SubElement(case, "error", message=result.skip_reason or "internal error")
    for failure in run.failures:
        suite = ET.SubElement(suites, "testsuite", name=failure.target, tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname=failure.target, name="audit")
        ET.SubElement(case, "error", message=failure.message)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
