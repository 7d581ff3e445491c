"""The engine's exceptions, in one tree.

    EngineError(Exception)
    ├── ExerciseError      an exercise folder is invalid: names exercise, file and field
    ├── SubmissionError    a submission cannot be turned into the learner's files
    └── GraderFailure      the grader itself failed (sandbox would not start, internal bug)

Problems in the learner's *code* are never exceptions here: they are verdicts in a
`GradingResult` (status `error`, `fail` or `timeout`).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the grading engine raises on purpose."""


class ExerciseError(EngineError):
    """An exercise folder is invalid; the message says which exercise, file and field."""

    def __init__(self, exercise: str, file: str, problem: str, *, field: str | None = None):
        self.exercise = exercise
        self.file = file
        self.field = field
        self.problem = problem
        where = f"`{file}`" + (f" field `{field}`" if field else "")
        super().__init__(f"exercise `{exercise}`: {where}: {problem}")


class SubmissionError(EngineError):
    """A submission is unreadable or lacks the learner's file(s); says what to hand in."""


class GraderFailure(EngineError):
    """The grader could not grade at all (not the learner's fault); retry or report it."""
