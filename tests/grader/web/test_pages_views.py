"""Pure view models of the pages: grading feedback and the attempts chart."""

from __future__ import annotations

from datetime import UTC, date, datetime

from grader.web.pages.chart import attempts_per_day, bar_chart_svg
from grader.web.pages.feedback import expected_actual_diff, feedback_from_result

RESULT = {
    "status": "fail",
    "score": 1.0,
    "max_score": 3.0,
    "tests": [
        {"name": "test_a", "task": "Push", "status": "pass", "points": 1, "max_points": 1},
        {"name": "test_b", "task": "Pop", "status": "fail", "points": 0, "max_points": 1,
         "message": "wrong total", "expected_repr": "[1, 2]", "actual_repr": "[1, 3]"},
        {"name": "test_hidden", "task": "Pop", "status": "fail", "points": 0, "max_points": 1,
         "message": "the hidden check failed"},
    ],
    "output": {"stdout": "debug\n", "stderr": ""},
}


def test_feedback_opens_only_the_first_failure_and_diffs_expected_against_actual() -> None:
    feedback = feedback_from_result(RESULT, "Visible tests")
    assert [test.open for test in feedback.tests] == [False, True, False]
    assert feedback.tests[1].diff == (("del", "- [1, 2]"), ("ins", "+ [1, 3]"))
    assert feedback.tests[2].diff == ()
    assert feedback.output == "debug\n" and not feedback.full_marks


def test_feedback_sums_points_per_task_in_the_order_tasks_first_appear() -> None:
    tasks = feedback_from_result(RESULT, "Submission #1").tasks
    assert [(t.name, t.points, t.max_points, t.done) for t in tasks] == [
        ("Push", 1.0, 1.0, True),
        ("Pop", 0.0, 2.0, False),
    ]


def test_multi_line_values_diff_line_by_line() -> None:
    diff = expected_actual_diff("a\nb\nc", "a\nB\nc")
    assert diff == (("same", "  a"), ("del", "- b"), ("ins", "+ B"), ("same", "  c"))


def test_attempts_are_counted_per_day_with_empty_days_kept() -> None:
    moments = [datetime(2026, 11, 20, 9, tzinfo=UTC), datetime(2026, 11, 20, 18, tzinfo=UTC),
               datetime(2026, 11, 22, 1, tzinfo=UTC)]
    series = attempts_per_day(moments, days=3, today=date(2026, 11, 22))
    assert series == [(date(2026, 11, 20), 2), (date(2026, 11, 21), 0), (date(2026, 11, 22), 1)]
    svg = bar_chart_svg(series)
    assert svg.startswith("<svg") and svg.count('class="bar"') == 3
    assert "2026-11-20: 2 submissions" in svg
