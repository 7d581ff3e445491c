"""The lesson half of ``academy course``: notebook checks for ``validate``, and the commands
``render`` (sources -> notebooks), ``build`` (the learners' copy) and ``new-exercise``.

Imported by :mod:`grader.cli.course`, whose ``validate`` runs every entry of
``COURSE_CHECKS``; this module adds the ``notebooks`` check there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from grader.cli.course import COURSE_CHECKS, CourseContext, course_app


def _repo_root() -> Path:
    from grader.engine.catalog import default_root

    exercises = default_root()
    if exercises is None:
        raise typer.BadParameter("cannot find the course (no exercises/ folder); pass --root")
    return exercises.parent


@contextmanager
def _exit_2_on(console: Console, *errors: type[Exception]) -> Iterator[None]:
    """Turn ``errors`` (a course or exercise the author must fix) into a printed message and
    exit code 2: the command could not run at all."""
    try:
        yield
    except errors as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None


async def check_notebooks(context: CourseContext) -> list[str]:
    """Each lesson renders from its source, runs as shipped and with the solutions."""
    from grader.course import Course, CourseError
    from grader.course.validate import CourseExercises, validate_notebooks
    from grader.engine import Catalog, ExerciseError

    try:
        course = Course.load(context.exercises_root.parent)
        catalog = context.catalog or Catalog.load(context.exercises_root)
    except (CourseError, ExerciseError) as error:
        return [str(error)]
    return await validate_notebooks(
        course,
        CourseExercises(catalog),
        only=context.only,
        report=lambda line: context.console.print(f"  {escape(line)}"),
    )


COURSE_CHECKS["notebooks"] = check_notebooks

RootOption = Annotated[
    Path | None, typer.Option(help="The course's root folder (holds content/ and exercises/).")
]


@course_app.command()
def render(
    check: Annotated[
        bool, typer.Option("--check", help="Only report stale notebooks; write nothing.")
    ] = False,
    root: RootOption = None,
) -> None:
    """Render content/_src/<slug>.md into content/<slug>.ipynb for every available lesson."""
    from grader.course import Course, CourseError
    from grader.course.sources import render_course
    from grader.course.validate import load_exercises
    from grader.engine import ExerciseError

    console = Console()
    course_root = root or _repo_root()
    with _exit_2_on(console, CourseError, ExerciseError):
        course = Course.load(course_root)
        rendered = render_course(course, load_exercises(course_root).material)
    stale = [
        path
        for path, text in rendered.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    if check:
        for path in stale:
            console.print(f"stale: {path}")
        raise typer.Exit(1 if stale else 0)
    for path in stale:
        path.write_text(rendered[path], encoding="utf-8")
        console.print(f"wrote {path}")
    console.print(f"{len(rendered)} notebook(s), {len(stale)} rewritten")


@course_app.command()
def build(
    out: Annotated[Path, typer.Argument(help="Where to write the learners' copy.")],
    force: Annotated[bool, typer.Option(help="Replace OUT if it is not empty.")] = False,
    root: RootOption = None,
) -> None:
    """Write what learners get: notebooks, starters, visible tests; no solutions or hidden tests."""
    from grader.course import Course, CourseError
    from grader.course.build import build_course
    from grader.course.validate import load_exercises
    from grader.engine import ExerciseError

    console = Console()
    course_root = root or _repo_root()
    with _exit_2_on(console, CourseError, ExerciseError):
        course = Course.load(course_root)
        report = build_course(course, load_exercises(course_root), out, force=force)
    console.print(
        f"built {out}: {len(report.notebooks)} notebook(s), {len(report.exercises)} exercise(s)"
    )


@course_app.command("new-exercise")
def new_exercise(
    exercise_id: Annotated[str, typer.Argument(help="<section>/<slug>, e.g. 02-supervisor/pool")],
    title: Annotated[str | None, typer.Option(help="The exercise's title.")] = None,
    difficulty: Annotated[str, typer.Option(help="easy, medium or hard.")] = "easy",
    module: Annotated[
        str | None, typer.Option(help="The learner's module name (default: from the slug).")
    ] = None,
    root: RootOption = None,
) -> None:
    """Scaffold exercises/<section>/<slug>/: a small working exercise to replace piece by piece."""
    from grader.course import Course, CourseError
    from grader.course.scaffold import new_exercise as scaffold

    console = Console()
    with _exit_2_on(console, CourseError):
        course = Course.load(root or _repo_root())
        folder = scaffold(course, exercise_id, title=title, difficulty=difficulty, module=module)
    section = exercise_id.split("/")[0]
    console.print(f"created {folder}")
    console.print(
        "next: edit prompt.md, starter/, solution/ and tests/; add an exercise cell to "
        f"content/_src/{section}.md:\n\n    ```python exercise={exercise_id}\n    ```\n\n"
        "then `academy course render` and `academy course validate`."
    )
