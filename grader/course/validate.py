"""Validating the lessons: static checks, then every notebook run twice in a fresh kernel.

1. **Static**: each available section has a source and a committed notebook; the notebook is
   exactly what its source renders to (so it is up to date and carries no outputs); every
   exercise cell names an exercise that exists; every exercise of a section has a cell in its
   lesson; no line of a hidden test appears in a notebook.
2. **As shipped** (starter code in the exercise cells): the notebook runs top to bottom, each
   exercise cell shows its visible tests' results, and those report failures (a starter that
   passes is an exercise already solved).
3. **With reference solutions** in the exercise cells: it runs top to bottom and every visible
   test passes.

Both runs must finish within :data:`NOTEBOOK_BUDGET_SECONDS`.
"""

from __future__ import annotations

import ast
import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.course.catalog import Course, CourseError, Section
from grader.course.execution import DEFAULT_CELL_TIMEOUT, NotebookRun, execute_notebook
from grader.course.sources import (
    ExerciseMaterial,
    exercise_cell_source,
    exercise_id_of,
    notebook_text,
    render_lesson,
)

NOTEBOOK_BUDGET_SECONDS = 60.0

Report = Callable[[str], None]


@dataclass(frozen=True)
class CourseExercises:
    """The exercise catalog as the validator needs it: ids, starters, solutions."""

    catalog: Any  # grader.engine.Catalog

    def ids(self) -> set[str]:
        return {exercise.id for exercise in self.catalog}

    def _get(self, exercise_id: str) -> Any:
        for exercise in self.catalog:
            if exercise.id == exercise_id:
                return exercise
        raise CourseError(f"unknown exercise `{exercise_id}` (no exercises/{exercise_id}/)")

    def starter(self, exercise_id: str) -> str:
        exercise = self._get(exercise_id)
        return exercise.starter[exercise.files[0]]

    def material(self, exercise_id: str) -> ExerciseMaterial:
        exercise = self._get(exercise_id)
        return ExerciseMaterial(
            title=exercise.title,
            prompt=exercise.prompt,
            hints=tuple(exercise.hints),
            starter=exercise.starter[exercise.files[0]],
        )

    def solution(self, exercise_id: str) -> str:
        exercise = self._get(exercise_id)
        return exercise.solution[exercise.files[0]]

    def modules(self, exercise_id: str) -> tuple[str, ...]:
        return tuple(self._get(exercise_id).modules)

    def leaks(self, exercise_id: str, where: str, text: str) -> list[str]:
        from grader.engine.validation import hidden_leaks

        exercise = self._get(exercise_id)
        return [
            str(problem)
            for problem in hidden_leaks(exercise, {where: text})
            if where in str(problem)
        ]


def bound_names(code: str) -> set[str]:
    """Names a lesson cell binds at top level (IPython magic lines ignored)."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def name_clashes(notebook: NotebookNode, exercises: CourseExercises) -> list[str]:
    """Lesson names that an exercise cell would rebind: the ``%%exercise`` magic binds the
    exercise's module (``rooms.py`` -> ``rooms``) in the notebook's namespace."""
    modules = {
        module: exercise_id
        for exercise_id in {exercise_id_of(cell) for cell in notebook.cells} - {None}
        if exercise_id in exercises.ids()
        for module in exercises.modules(exercise_id)  # type: ignore[arg-type]
    }
    problems: list[str] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or exercise_id_of(cell) is not None:
            continue
        for name in sorted(bound_names(str(cell.source)) & set(modules)):
            problems.append(
                f"cell {number} binds `{name}`, the module name of exercise "
                f"`{modules[name]}`, which its exercise cell rebinds; rename the lesson's `{name}`"
            )
    return problems


def static_problems(course: Course, exercises: CourseExercises, section: Section) -> list[str]:
    problems: list[str] = []
    source, notebook_path = course.source_path(section), course.notebook_path(section)
    if not source.is_file():
        return [f"{section.slug}: section is available but {source} does not exist"]
    try:
        rendered = notebook_text(render_lesson(source, section, exercises.material))
    except CourseError as error:
        return [f"{section.slug}: {error}"]
    if not notebook_path.is_file():
        problems.append(
            f"{section.slug}: {notebook_path} is missing; run `academy course render`"
        )
    elif notebook_path.read_text(encoding="utf-8") != rendered:
        problems.append(
            f"{section.slug}: {notebook_path.name} differs from {source.name} rendered "
            "(edited by hand, executed with outputs, or stale); run `academy course render`"
        )
    notebook = nbformat.reads(rendered, as_version=4)
    linked = [exercise_id_of(cell) for cell in notebook.cells]
    in_notebook = {exercise_id for exercise_id in linked if exercise_id}
    for exercise_id in sorted(in_notebook - exercises.ids()):
        problems.append(f"{section.slug}: a cell is linked to unknown exercise `{exercise_id}`")
    for exercise_id in sorted(exercises.ids()):
        if exercise_id.startswith(f"{section.slug}/") and exercise_id not in in_notebook:
            problems.append(
                f"{section.slug}: exercise `{exercise_id}` has no exercise cell in the lesson "
                f"(add ```python exercise={exercise_id} to {source.name})"
            )
    for exercise_id in sorted(in_notebook & exercises.ids()):
        problems.extend(exercises.leaks(exercise_id, notebook_path.name, rendered))
    problems.extend(f"{section.slug}: {clash}" for clash in name_clashes(notebook, exercises))
    return problems


def with_solutions(notebook: NotebookNode, exercises: CourseExercises) -> NotebookNode:
    """A copy of ``notebook`` whose exercise cells hold the reference solutions."""
    solved = copy.deepcopy(notebook)
    for cell in solved.cells:
        exercise_id = exercise_id_of(cell)
        if exercise_id is not None:
            cell.source = exercise_cell_source(exercise_id, exercises.solution(exercise_id))
    return solved


def _first_failure(result: dict[str, Any] | None) -> str:
    for test in (result or {}).get("tests", []):
        if test.get("status") != "pass":
            return f"{test.get('name')}: {test.get('message') or test.get('status')}"
    return (result or {}).get("message") or "no test results"


def judge_run(label: str, section: Section, run: NotebookRun, *, solved: bool) -> list[str]:
    """Problems found in one executed pass (``solved``: reference solutions in place)."""
    where = f"{section.notebook_name} ({label})"
    problems: list[str] = []
    if run.failure is not None:
        problems.append(f"{where}: {run.failure.describe()}")
        if run.failure.traceback:
            problems.append(f"{where}: traceback:\n{run.failure.traceback[-1500:]}")
    for outcome in run.exercises:
        if not outcome.ran_tests:
            problems.append(
                f"{where}: the cell of `{outcome.exercise_id}` (cell {outcome.cell_number}) "
                f"showed no visible-test results: {_first_failure(outcome.result)}"
            )
        elif solved and not outcome.all_passed:
            problems.append(
                f"{where}: the reference solution of `{outcome.exercise_id}` fails a visible "
                f"test: {_first_failure(outcome.result)}"
            )
        elif not solved and outcome.all_passed:
            problems.append(
                f"{where}: the starter of `{outcome.exercise_id}` passes every visible test; "
                "the exercise is solved before the learner starts"
            )
    if run.seconds > NOTEBOOK_BUDGET_SECONDS:
        problems.append(
            f"{where}: took {run.seconds:.1f} s, over the {NOTEBOOK_BUDGET_SECONDS:.0f} s "
            f"budget (slowest: cell {run.slowest_cell[0]}, {run.slowest_cell[1]:.1f} s)"
        )
    return problems


async def run_section(
    course: Course,
    exercises: CourseExercises,
    section: Section,
    *,
    cell_timeout: float,
    report: Report,
) -> list[str]:
    """Both executed passes of one lesson."""
    path = course.notebook_path(section)
    shipped = nbformat.read(path, as_version=4)
    env = {"ACADEMY_EXERCISES": str(course.root / "exercises")}
    problems: list[str] = []
    for label, notebook, solved in (
        ("as shipped", shipped, False),
        ("with solutions", with_solutions(shipped, exercises), True),
    ):
        run = await execute_notebook(
            notebook, name=section.slug, cwd=course.content_dir, cell_timeout=cell_timeout,
            env=env,
        )
        found = judge_run(label, section, run, solved=solved)
        mark = "ok" if not found else "problems"
        report(
            f"{mark:>8}  {section.notebook_name} {label}: {run.seconds:.1f} s, "
            f"{len(run.exercises)} exercise cell(s)"
        )
        problems.extend(found)
    return problems


async def validate_notebooks(
    course: Course,
    exercises: CourseExercises,
    *,
    only: tuple[str, ...] = (),
    cell_timeout: float = DEFAULT_CELL_TIMEOUT,
    concurrency: int = 2,
    report: Report = print,
) -> list[str]:
    """Every problem found in the lessons (empty when they are all valid)."""
    sections = [
        section
        for section in course.available_sections()
        if not only or any(section.slug.startswith(p) or p.startswith(section.slug) for p in only)
    ]
    problems: list[str] = []
    runnable: list[Section] = []
    for section in sections:
        found = static_problems(course, exercises, section)
        problems.extend(found)
        if not any("is missing" in p or "does not exist" in p for p in found):
            runnable.append(section)
    gate = asyncio.Semaphore(concurrency)

    async def one(section: Section) -> list[str]:
        async with gate:
            return await run_section(
                course, exercises, section, cell_timeout=cell_timeout, report=report
            )

    for found in await asyncio.gather(*(one(section) for section in runnable)):
        problems.extend(found)
    return problems


def load_exercises(root: Path) -> CourseExercises:
    from grader.engine import Catalog

    return CourseExercises(Catalog.load(root / "exercises"))
