"""A grading result (``docs/results.md``) -> what the feedback panel shows.

Tests keep the engine's order; the first one that did not pass is opened, the others stay
folded. A visible test's failed comparison becomes a line diff of expected against actual
(hidden tests never carry values, so they show their author-written message only).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TestView:
    name: str
    task: str | None
    status: str
    points: float
    max_points: float
    message: str | None
    diff: tuple[tuple[str, str], ...] = ()
    open: bool = False


@dataclass(frozen=True)
class TaskSummary:
    """One task of the exercise (Exercism-style): its points over its tests."""

    name: str
    points: float
    max_points: float

    @property
    def done(self) -> bool:
        return self.points >= self.max_points


@dataclass(frozen=True)
class Feedback:
    heading: str
    status: str
    score: float
    max_score: float
    message: str | None
    tests: tuple[TestView, ...] = field(default=())
    output: str = ""
    when: str | None = None
    tasks: tuple[TaskSummary, ...] = ()

    @property
    def full_marks(self) -> bool:
        return self.status == "pass" and self.score >= self.max_score


def expected_actual_diff(expected: str, actual: str) -> tuple[tuple[str, str], ...]:
    """(css class, line) pairs: ``del`` only in expected, ``ins`` only in actual."""
    lines: list[tuple[str, str]] = []
    for line in difflib.ndiff(expected.splitlines() or [""], actual.splitlines() or [""]):
        tag, text = line[:2], line[2:]
        if tag == "- ":
            lines.append(("del", "- " + text))
        elif tag == "+ ":
            lines.append(("ins", "+ " + text))
        elif tag == "  ":
            lines.append(("same", "  " + text))
    return tuple(lines)


def feedback_from_result(
    payload: dict[str, Any], heading: str, *, when: str | None = None
) -> Feedback:
    tests: list[TestView] = []
    opened = False
    for test in payload.get("tests", []) or []:
        status = str(test.get("status", "error"))
        diff: tuple[tuple[str, str], ...] = ()
        if test.get("expected_repr") is not None and test.get("actual_repr") is not None:
            diff = expected_actual_diff(str(test["expected_repr"]), str(test["actual_repr"]))
        first_failure = status != "pass" and not opened
        opened = opened or first_failure
        tests.append(
            TestView(
                name=str(test.get("name", "?")),
                task=test.get("task"),
                status=status,
                points=float(test.get("points", 0) or 0),
                max_points=float(test.get("max_points", 0) or 0),
                message=test.get("message"),
                diff=diff,
                open=first_failure,
            )
        )
    totals: dict[str, list[float]] = {}
    for test in tests:
        if test.task:
            points = totals.setdefault(test.task, [0.0, 0.0])
            points[0] += test.points
            points[1] += test.max_points
    tasks = tuple(TaskSummary(name, got, most) for name, (got, most) in totals.items())
    output = payload.get("output") or {}
    printed = "".join(str(output.get(k, "")) for k in ("stdout", "stderr"))
    return Feedback(
        heading=heading,
        status=str(payload.get("status", "error")),
        score=float(payload.get("score", 0) or 0),
        max_score=float(payload.get("max_score", 0) or 0),
        message=payload.get("message"),
        tests=tuple(tests),
        output=printed,
        when=when,
        tasks=tasks,
    )
