"""The grading engine: exercises, submissions, the trusted test runner and its verdicts.

Layering (inner to outer):

- ``errors``, ``results``: the exception tree and the result data (docs/results.md).
- ``exercise``, ``catalog``, ``submission``: the exercise format and what learners hand in.
- ``protocol``: the data-only value encoding spoken over the sandbox's frame channel.
- ``agent``: the only engine code that runs *inside* the sandbox; it imports the learner's
  modules and answers requests. It imports nothing else from the engine but ``protocol``.
- ``proxy``, ``assertions``, ``collect``, ``runner``: the trusted side. Test modules run in
  the grader process against proxies of the learner's modules; verdicts never leave it.
- ``grading``: ``grade()``, which ties a sandbox (``grader.sandbox``) to the runner.
- ``validation``, ``junit``: authors' checks on an exercise, and JUnit XML for CI.
"""

from grader.engine.catalog import Catalog, find_exercise
from grader.engine.errors import (
    EngineError,
    ExerciseError,
    GraderFailure,
    SubmissionError,
)
from grader.engine.exercise import Exercise, ExerciseLimits, Task, load_exercise
from grader.engine.grading import grade
from grader.engine.results import (
    CapturedOutput,
    Comparison,
    GradingResult,
    Status,
    TestResult,
    Timings,
    Visibility,
)
from grader.engine.submission import extract_submission

__all__ = [
    "CapturedOutput",
    "Catalog",
    "Comparison",
    "EngineError",
    "Exercise",
    "ExerciseError",
    "ExerciseLimits",
    "GraderFailure",
    "GradingResult",
    "Status",
    "SubmissionError",
    "Task",
    "TestResult",
    "Timings",
    "Visibility",
    "extract_submission",
    "find_exercise",
    "grade",
    "load_exercise",
]
