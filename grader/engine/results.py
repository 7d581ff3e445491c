"""The grading result: what a learner, a UI and a CI job get back (schema in docs/results.md).

Everything here is trusted data built by the runner; nothing in a result was produced by
learner code except `output` (captured, capped, shown as text) and the `actual` values of
visible comparisons (decoded data, never live objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RESULTS_VERSION = 3


class Status(StrEnum):
    """Status of a whole submission or of one test."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    TIMEOUT = "timeout"


class Visibility(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Comparison:
    """Both sides of a failed `assert actual <op> expected`, as JSON data a UI can diff."""

    op: str
    expected: Any
    actual: Any
    expected_repr: str
    actual_repr: str


@dataclass(frozen=True)
class TestResult:
    """One test case (a parametrized test gives one per parameter set)."""

    __test__ = False  # a result, not a pytest test class

    name: str
    task: str | None
    visibility: Visibility
    status: Status
    points: float
    max_points: float
    message: str | None = None
    comparison: Comparison | None = None
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "task": self.task,
            "visibility": self.visibility.value,
            "status": self.status.value,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
            "duration_ms": round(self.duration_ms, 3),
        }
        # Hidden tests never carry values: a comparison could reveal the expected answer.
        if self.comparison is not None and self.visibility is Visibility.VISIBLE:
            data["comparison"] = self.comparison.op
            data["expected"] = self.comparison.expected
            data["actual"] = self.comparison.actual
            data["expected_repr"] = self.comparison.expected_repr
            data["actual_repr"] = self.comparison.actual_repr
        return data


@dataclass(frozen=True)
class Timings:
    prepare_ms: float
    run_ms: float
    total_ms: float

    def to_json(self) -> dict[str, float]:
        return {
            "prepare_ms": round(self.prepare_ms, 3),
            "run_ms": round(self.run_ms, 3),
            "total_ms": round(self.total_ms, 3),
        }


@dataclass(frozen=True)
class CapturedOutput:
    """What the learner's code printed, capped by the sandbox; display text only."""

    stdout: str = ""
    stderr: str = ""
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"stdout": self.stdout, "stderr": self.stderr, "truncated": self.truncated}


@dataclass(frozen=True)
class GradingResult:
    """The verdict on one submission of one exercise."""

    exercise: str
    status: Status
    score: float
    max_score: float
    tests: tuple[TestResult, ...]
    timings: Timings
    isolation: str
    message: str | None = None
    output: CapturedOutput = field(default_factory=CapturedOutput)
    version: int = RESULTS_VERSION

    @property
    def full_marks(self) -> bool:
        return self.status is Status.PASS and self.score >= self.max_score

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "exercise": self.exercise,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "tests": [test.to_json() for test in self.tests],
            "timings": self.timings.to_json(),
            "isolation": self.isolation,
            "output": self.output.to_json(),
        }
