"""The exercise magics, registered by ``%load_ext grader.notebook``.

``%%exercise <section>/<slug>`` (first line of an exercise cell)
    runs the cell's code as the exercise's module (``pipeline.py`` becomes the module
    ``pipeline``, bound in the notebook and importable), so an exercise never overwrites the
    lesson's own names; then runs the exercise's *visible* tests on that code and shows one
    line per test, with the first failure explained. Failing tests never raise: a lesson keeps
    running top to bottom with the starter code in place.

``%submit [<section>/<slug>]``
    grades the code last run in that exercise cell against all its tests (hidden ones
    included): by the grader service when ``ACADEMY_SERVER`` (and ``ACADEMY_TOKEN``) are set,
    as ``academy submit`` does; otherwise locally with the grading engine, as ``academy grade``
    does (a learner's copy has no hidden tests, and says so).

Both display their results as HTML and also as ``application/vnd.academy.results+json``,
which is what ``academy course validate`` reads back from executed notebooks.
"""

from __future__ import annotations

import linecache
import shlex
import sys
import types
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
        exercise = runner.load_for_notebook(exercise_id)
        self.latest_code[exercise_id] = cell
        self.latest_exercise = exercise_id
        self._run_as_module(exercise.modules[0], exercise_id, cell)
        outcome = runner.run_visible_tests(exercise_id, cell, exercise=exercise)
        display(ResultsView(outcome), raw=False)

    def _run_as_module(self, name: str, exercise_id: str, code: str) -> None:
        """Execute the learner's code as module ``name``; an exception propagates like any
        cell's (that is the learner's own bug, shown with its traceback)."""
        filename = f"<exercise {exercise_id}: {name}.py>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        module = types.ModuleType(name, f"Your code for exercise {exercise_id}.")
        module.__file__ = filename
        sys.modules[name] = module
        self.shell.user_ns[name] = module
        exec(compile(code, filename, "exec"), module.__dict__)

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
