"""The exercise magics, registered by ``%load_ext grader.notebook``.

``%%exercise <section>/<slug>`` (first line of an exercise cell)
    runs the cell's code in the notebook's namespace, like any cell, then runs the exercise's
    *visible* tests on that code and shows one line per test, with the first failure
    explained. Failing tests never raise: a lesson keeps running top to bottom with the
    starter code in place.

``%submit [<section>/<slug>]``
    grades the code last run in that exercise cell against all its tests (hidden ones
    included): to the grader service when ``ACADEMY_SERVICE_URL`` is set, otherwise locally
    with the grading engine, as ``academy grade`` does.

Both display their results as HTML and also as ``application/vnd.academy.results+json``,
which is what ``academy course validate`` reads back from executed notebooks.
"""

from __future__ import annotations

import linecache
import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from grader.notebook import runner
from grader.notebook.report import ResultsView

RESULTS_MIME = runner.RESULTS_MIME


@magics_class
class ExerciseMagics(Magics):
    """Remembers, per exercise, the code its cell last ran, so ``%submit`` grades that."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.latest_code: dict[str, str] = {}
        self.latest_exercise: str | None = None

    @cell_magic
    def exercise(self, line: str, cell: str) -> None:
        args = shlex.split(line)
        if len(args) != 1:
            raise runner.NotebookExerciseError(
                "usage: %%exercise <section>/<slug> as the first line of the exercise cell"
            )
        exercise_id = args[0]
        self.latest_code[exercise_id] = cell
        self.latest_exercise = exercise_id
        filename = f"<exercise {exercise_id}>"
        linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
        exec(compile(cell, filename, "exec"), self.shell.user_ns)  # the learner's own cell
        outcome = runner.run_visible_tests(exercise_id, cell)
        display(ResultsView(outcome), raw=False)

    @line_magic
    def submit(self, line: str) -> None:
        args = shlex.split(line)
        exercise_id = args[0] if args else self.latest_exercise
        if exercise_id is None:
            raise runner.NotebookExerciseError(
                "nothing to submit yet: run an exercise cell (one starting with %%exercise) first"
            )
        code = self.latest_code.get(exercise_id)
        if code is None:
            raise runner.NotebookExerciseError(
                f"run the cell of exercise `{exercise_id}` before submitting it"
            )
        outcome = runner.submit(exercise_id, code)
        display(ResultsView(outcome, kind="submission"), raw=False)


def register(ipython: Any) -> None:
    ipython.register_magics(ExerciseMagics)
