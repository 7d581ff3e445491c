"""Running an exercise's tests from inside a notebook's kernel.

The kernel's own event loop is busy running the cell, so grading runs on a fresh event loop in
a worker thread while the cell waits; the learner's code itself runs in the grading engine's
sandbox, exactly as it will when graded for real, so a crash or an endless loop in it cannot
take the kernel down.

Where the exercises are: ``ACADEMY_EXERCISES`` (an ``exercises/`` folder, the variable every
``academy`` command reads) if set, else the nearest ``exercises/`` at or above the notebook's
working directory. A learner's copy (``academy course
build``) has no reference solutions and no hidden tests; for visible tests the runner lends the
loader what it needs (see :func:`_learner_copy`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from grader.notebook.report import RESULTS_MIME

__all__ = [
    "RESULTS_MIME",
    "NotebookExerciseError",
    "exercises_root",
    "load_for_notebook",
    "run_visible_tests",
    "submit",
]

T = TypeVar("T")

EXERCISES_VARIABLE = "ACADEMY_EXERCISES"
SERVICE_URL_VARIABLE = "ACADEMY_SERVER"  # the same variables as `academy submit`
SERVICE_TOKEN_VARIABLE = "ACADEMY_TOKEN"


class NotebookExerciseError(Exception):
    """The magic cannot run: unknown exercise, no course found, bad usage. Says what to do."""


def exercises_root(start: Path | None = None) -> Path:
    """The ``exercises/`` folder of the course the notebook belongs to."""
    configured = os.environ.get(EXERCISES_VARIABLE)
    if configured:
        root = Path(configured)
        if not root.is_dir():
            raise NotebookExerciseError(f"{EXERCISES_VARIABLE}={configured} is not a folder")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "exercises").is_dir():
            return folder / "exercises"
    raise NotebookExerciseError(
        f"no exercises/ folder at or above {here}; open the notebook from the course folder "
        f"or set {EXERCISES_VARIABLE}"
    )


def _exercise_folder(exercise_id: str) -> Path:
    folder = exercises_root() / exercise_id
    if not (folder / "exercise.toml").is_file():
        raise NotebookExerciseError(
            f"unknown exercise `{exercise_id}`: {folder}/exercise.toml does not exist"
        )
    return folder


def _learner_copy(folder: Path, scratch: Path) -> Path:
    """A loadable copy of a shipped exercise: the starter stands in for the missing reference
    solution (the loader requires one; grading never runs it) and ``tests/hidden`` is empty."""
    copy = scratch / folder.parent.name / folder.name
    shutil.copytree(folder, copy)
    if not (copy / "solution").is_dir():
        shutil.copytree(copy / "starter", copy / "solution")
    (copy / "tests" / "hidden").mkdir(parents=True, exist_ok=True)
    return copy


def load_for_notebook(exercise_id: str) -> Any:
    """The engine's :class:`~grader.engine.Exercise`, from a full or a learner's copy."""
    from grader.engine import load_exercise

    folder = _exercise_folder(exercise_id)
    if (folder / "solution").is_dir() and (folder / "tests" / "hidden").is_dir():
        return load_exercise(folder, root=folder.parent.parent)
    scratch = _scratch_dir()
    shutil.rmtree(scratch / exercise_id, ignore_errors=True)
    copy = _learner_copy(folder, scratch)
    return load_exercise(copy, root=scratch)


_scratch: Path | None = None


def _scratch_dir() -> Path:
    """One scratch folder per kernel for learner-copy exercises (the loaded exercise keeps
    pointing at its folder, so the copy lives as long as the kernel)."""
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="academy-exercises-"))
    return _scratch


def _in_fresh_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a new event loop in a new thread, and wait for it."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as error:  # handed back to the caller's thread below
            box["error"] = error

    thread = threading.Thread(target=work, name="academy-grading", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _files_for(exercise: Any, code: str) -> dict[str, str]:
    if len(exercise.files) != 1:
        raise NotebookExerciseError(
            f"exercise `{exercise.id}` needs {len(exercise.files)} files "
            f"({', '.join(exercise.files)}); a notebook cell supplies one"
        )
    return {exercise.files[0]: code}


def _grade_locally(exercise: Any, code: str) -> dict[str, Any]:
    from grader.engine import grade

    files = _files_for(exercise, code)
    result = _in_fresh_loop(lambda: grade(exercise, files))
    return result.to_json()


def run_visible_tests(exercise_id: str, code: str, *, exercise: Any = None) -> dict[str, Any]:
    """The results of the exercise's visible tests on ``code`` (docs/results.md shape)."""
    exercise = exercise or load_for_notebook(exercise_id)
    visible = replace(exercise, cases=tuple(c for c in exercise.cases if c.visibility == "visible"))
    return _grade_locally(visible, code)


def submit(exercise_id: str, code: str) -> dict[str, Any]:
    """Grade ``code`` on every test: through the service if one is configured, else here."""
    exercise = load_for_notebook(exercise_id)
    url = os.environ.get(SERVICE_URL_VARIABLE)
    if url:
        from grader.notebook.service_client import submit_to_service

        files = _files_for(exercise, code)
        token = os.environ.get(SERVICE_TOKEN_VARIABLE, "")
        result = _in_fresh_loop(lambda: submit_to_service(url, token, exercise_id, files))
        return {**result, "where": f"graded by {url}"}
    result = _grade_locally(exercise, code)
    hidden = any(case.visibility == "hidden" for case in exercise.cases)
    where = "graded locally" if hidden else (
        f"graded locally on the visible tests only (this copy has no hidden tests; set "
        f"{SERVICE_URL_VARIABLE} to submit to the grader service)"
    )
    return {**result, "where": where}
