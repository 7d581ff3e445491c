"""``academy course``: authors' tools. ``validate`` runs every registered course check.

A check is an async function taking a `CourseContext` and returning problems (strings);
``COURSE_CHECKS`` lists them by name, so the notebook checks plug in beside the exercise
checks without touching this command:

    from grader.cli.course import COURSE_CHECKS
    COURSE_CHECKS["notebooks"] = check_notebooks
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from grader.cli import app

course_app = typer.Typer(help="Authors' tools: check and build the course.", no_args_is_help=True)
app.add_typer(course_app, name="course")


@dataclass
class CourseContext:
    """What the checks share: where things are, the loaded exercises, a warm sandbox."""

    exercises_root: Path
    console: Console
    only: tuple[str, ...] = ()
    launcher: Any = None  # grader.sandbox.SandboxLauncher, started
    catalog: Any = None  # grader.engine.Catalog, loaded by the exercise check
    notes: list[str] = field(default_factory=list)


CourseCheck = Callable[[CourseContext], Awaitable[list[str]]]


async def check_exercises(context: CourseContext) -> list[str]:
    """Every exercise loads; its solution gets full marks, its starter not; nothing leaks."""
    from grader.engine import Catalog, ExerciseError
    from grader.engine.validation import validate_exercise

    try:
        context.catalog = Catalog.load(context.exercises_root)
    except ExerciseError as error:
        return [str(error)]
    problems: list[str] = []
    # The lesson notebooks are shipped too: no hidden test line may appear in them either.
    content = context.exercises_root.parent / "content"
    notebooks = {
        f"content/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(content.glob("*.ipynb"))
    } if content.is_dir() else {}
    for exercise in context.catalog:
        if context.only and not any(exercise.id.startswith(prefix) for prefix in context.only):
            continue
        found = await validate_exercise(exercise, context.launcher, notebooks)
        mark = "[green]ok[/green]" if not found else "[red]problems[/red]"
        context.console.print(f"  {mark}  {escape(exercise.id)}")
        problems.extend(str(problem) for problem in found)
    return problems


COURSE_CHECKS: dict[str, CourseCheck] = {"exercises": check_exercises}


@course_app.command()
def validate(
    only: Annotated[
        list[str] | None,
        typer.Argument(help="Only exercises whose id starts with one of these."),
    ] = None,
    exercises: Annotated[
        Path | None,
        typer.Option(help="The exercises folder (default: $ACADEMY_EXERCISES, else the repo's)."),
    ] = None,
    check: Annotated[
        list[str] | None,
        typer.Option(help="Run only these checks (repeatable); default: all of them."),
    ] = None,
) -> None:
    """Check the course as learners will get it; exit 1 when anything is wrong."""
    from grader.engine.catalog import default_root

    console = Console()
    root = exercises or default_root()
    if root is None or not root.is_dir():
        console.print("[red]error:[/red] cannot find the exercises folder; pass --exercises")
        raise typer.Exit(2)
    unknown = sorted(set(check or ()) - set(COURSE_CHECKS))
    if unknown:
        console.print(f"[red]error:[/red] no check named {unknown[0]} "
                      f"(known: {', '.join(COURSE_CHECKS)})")
        raise typer.Exit(2)
    context = CourseContext(exercises_root=root, console=console, only=tuple(only or ()))
    problems = asyncio.run(_run_checks(context, tuple(check or COURSE_CHECKS)))
    if problems:
        console.print(f"[red]{len(problems)} problem(s):[/red]")
        for problem in problems:
            console.print(f"  - {escape(problem)}")
        raise typer.Exit(1)
    console.print("[green]the course is valid[/green]")


async def _run_checks(context: CourseContext, names: tuple[str, ...]) -> list[str]:
    from grader.sandbox import SandboxLauncher

    problems: list[str] = []
    async with SandboxLauncher() as launcher:
        context.launcher = launcher
        for name in names:
            context.console.print(f"[bold]{name}[/bold]")
            problems.extend(await COURSE_CHECKS[name](context))
    return problems


# The lesson half (notebook checks, render, build, new-exercise) registers itself on import.
from grader.cli import course_lessons  # noqa: E402, F401
