"""The result JSON and JUnit XML: what each test entry carries, visible or hidden."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.engine import (
    Comparison,
    GradingResult,
    Status,
    TestResult,
    Timings,
    Visibility,
)
from grader.engine.junit import to_junit_xml

COMPARISON = Comparison("==", expected=[1, 2], actual=[2, 1], expected_repr="[1, 2]",
                        actual_repr="[2, 1]")


def result_with(*tests: TestResult) -> GradingResult:
    return GradingResult(
        exercise="basics/calc", status=Status.FAIL, score=1, max_score=3, tests=tests,
        timings=Timings(1.0, 2.0, 3.0), isolation="namespaces",
    )


def failing(name: str, visibility: Visibility) -> TestResult:
    return TestResult(
        name=name, task="Sorting", visibility=visibility, status=Status.FAIL, points=0,
        max_points=1, message="sorted please", comparison=COMPARISON,
    )


def test_a_visible_failed_comparison_carries_both_sides():
    entry = result_with(failing("test_sort", Visibility.VISIBLE)).to_json()["tests"][0]
    assert (entry["comparison"], entry["expected"], entry["actual"]) == ("==", [1, 2], [2, 1])
    assert (entry["expected_repr"], entry["actual_repr"]) == ("[1, 2]", "[2, 1]")


def test_a_hidden_failed_comparison_carries_no_values_even_if_one_was_recorded():
    entry = result_with(failing("test_sort_more", Visibility.HIDDEN)).to_json()["tests"][0]
    assert set(entry) == {
        "name", "task", "visibility", "status", "points", "max_points", "message", "duration_ms",
    }
    assert entry["message"] == "sorted please"


def test_the_result_json_has_the_documented_top_level_fields():
    data = result_with().to_json()
    assert set(data) == {
        "version", "exercise", "status", "score", "max_score", "message", "tests", "timings",
        "isolation", "output",
    }
    assert data["version"] == 3
    assert data["timings"] == {"prepare_ms": 1.0, "run_ms": 2.0, "total_ms": 3.0}


def test_junit_xml_has_one_testcase_per_test_and_no_values_for_hidden_ones():
    passing = TestResult(
        name="test_ok", task="Sorting", visibility=Visibility.VISIBLE, status=Status.PASS,
        points=1, max_points=1,
    )
    xml = to_junit_xml([("ada.py", result_with(passing, failing("test_hid", Visibility.HIDDEN)))])
    suite = ET.fromstring(xml.split("?>", 1)[1]).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == ["test_ok", "test_hid"]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "sorted please"
    assert "[1, 2]" not in xml
