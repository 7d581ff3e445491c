"""JUnit XML for CI systems: the same verdicts as the result JSON, nothing more."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from grader.engine.results import GradingResult, Status


def to_junit_xml(results: Sequence[tuple[str, GradingResult]]) -> str:
    """One `<testsuite>` per (submission name, result); hidden tests carry no values."""
    suites = ET.Element("testsuites")
    for submission, result in results:
        failures = sum(test.status is Status.FAIL for test in result.tests)
        errors = sum(test.status in (Status.ERROR, Status.TIMEOUT) for test in result.tests)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{result.exercise} ({submission})",
            tests=str(max(len(result.tests), 1)),
            failures=str(failures),
            errors=str(errors + (0 if result.tests else 1)),
            time=f"{result.timings.total_ms / 1000:.3f}",
        )
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("status", result.status.value),
            ("score", f"{result.score:g}"),
            ("max_score", f"{result.max_score:g}"),
            ("isolation", result.isolation),
        ):
            ET.SubElement(properties, "property", name=key, value=value)
        if not result.tests:
            case = ET.SubElement(suite, "testcase", classname=result.exercise, name="load")
            ET.SubElement(case, "error", message=result.message or result.status.value)
        for test in result.tests:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=test.task or result.exercise,
                name=test.name,
                time=f"{test.duration_ms / 1000:.3f}",
            )
            if test.status is Status.FAIL:
                ET.SubElement(case, "failure", message=test.message or "failed")
            elif test.status in (Status.ERROR, Status.TIMEOUT):
                ET.SubElement(case, "error", message=test.message or test.status.value)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
