"""``academy grade``: grade a submission locally, exactly as the service does.

    academy grade 01-genserver/counter my_counter.py [--json] [--junit FILE]
    academy grade --all submissions/ [01-genserver/counter]

Exit codes: 0 full marks, 1 graded below full marks (including `error` and `timeout`
verdicts), 2 usage or exercise error, 3 grader failure.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.cli import app

FULL, BELOW, USAGE, FAILURE = 0, 1, 2, 3

_STYLES = {"pass": "green", "fail": "red", "error": "red", "timeout": "yellow"}
_MARKS = {"pass": "✓", "fail": "✗", "error": "!", "timeout": "⏱"}


@dataclass(frozen=True)
class Job:
    """One grading to do: a submission path for an exercise."""

    exercise: Any  # grader.engine.Exercise
    submission: Path


@app.command()
def grade(
    exercise: Annotated[
        str | None,
        typer.Argument(help="Exercise id (01-genserver/counter) or the exercise's folder."),
    ] = None,
    submission: Annotated[
        Path | None,
        typer.Argument(help="A .py file, a folder with the learner's files, or a notebook."),
    ] = None,
    all_: Annotated[
        Path | None,
        typer.Option("--all", help="Grade every submission in this folder (with EXERCISE: "
                     "every .py/.ipynb/folder in it; without: every notebook, for every "
                     "exercise it has cells for)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the result JSON on stdout.")
    ] = False,
    junit: Annotated[Path | None, typer.Option(help="Also write JUnit XML to this file.")] = None,
    exercises: Annotated[
        Path | None,
        typer.Option(help="The exercises folder (default: $ACADEMY_EXERCISES, else the repo's)."),
    ] = None,
) -> None:
    """Grade a submission against an exercise's visible and hidden tests, in the sandbox."""
    console = Console(stderr=as_json)
    try:
        jobs = _jobs(exercise, submission, all_, exercises)
    except _Usage as problem:
        console.print(f"[red]error:[/red] {escape(str(problem))}")
        raise typer.Exit(USAGE) from None
    try:
        graded = asyncio.run(_grade_all(jobs, console, show_progress=all_ is not None))
    except _Usage as problem:
        console.print(f"[red]error:[/red] {escape(str(problem))}")
        raise typer.Exit(USAGE) from None
    except Exception as failure:  # GraderFailure or a bug: never the learner's fault
        text = escape(f"{type(failure).__name__}: {failure}")
        console.print(f"[red]grader failure:[/red] {text}")
        raise typer.Exit(FAILURE) from None
    if junit is not None:
        from grader.engine.junit import to_junit_xml

        junit.write_text(to_junit_xml([(str(job.submission), r) for job, r in graded]))
    if as_json:
        if all_ is None:
            payload: Any = graded[0][1].to_json()
        else:
            payload = {"results": [
                {"submission": str(job.submission), "result": result.to_json()}
                for job, result in graded
            ]}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif all_ is None:
        job, result = graded[0]
        render_result(console, result.to_json())
        if not result.full_marks and job.exercise.hints:
            console.print("[bold]hints[/bold]")
            for hint in job.exercise.hints:
                console.print(f"  - {escape(hint)}")
    else:
        _render_summary(console, graded)
    raise typer.Exit(FULL if all(result.full_marks for _, result in graded) else BELOW)


class _Usage(Exception):
    pass


def _jobs(
    exercise: str | None, submission: Path | None, all_: Path | None, root: Path | None
) -> list[Job]:
    from grader.engine import EngineError, ExerciseError, extract_submission, find_exercise
    from grader.engine.submission import notebook_exercises

    try:
        if all_ is not None:
            if submission is not None:
                raise _Usage("with --all, give at most the EXERCISE argument")
            if not all_.is_dir():
                raise _Usage(f"--all needs a folder, `{all_}` is not one")
            entries = sorted(p for p in all_.iterdir() if not p.name.startswith("."))
            if exercise is not None:
                loaded = find_exercise(exercise, root)
                usable = [p for p in entries if p.is_dir() or p.suffix in (".py", ".ipynb")]
                return [Job(loaded, p) for p in usable]
            jobs = []
            for notebook in (p for p in entries if p.suffix == ".ipynb"):
                for exercise_id in notebook_exercises(notebook):
                    jobs.append(Job(find_exercise(exercise_id, root), notebook))
            if not jobs:
                raise _Usage(f"`{all_}` holds no notebook with exercise cells; name an EXERCISE")
            return jobs
        if exercise is None or submission is None:
            raise _Usage("give EXERCISE and SUBMISSION (or --all DIR); see --help")
        loaded = find_exercise(exercise, root)
        extract_submission(loaded, submission)  # refuse an unusable submission before starting
        return [Job(loaded, submission)]
    except ExerciseError as error:
        raise _Usage(str(error)) from None
    except EngineError as error:
        raise _Usage(str(error)) from None


async def _grade_all(jobs: list[Job], console: Console, *, show_progress: bool) -> list[Any]:
    from grader.engine import SubmissionError, extract_submission, grade
    from grader.engine.results import GradingResult
    from grader.sandbox import SandboxLauncher

    results: list[tuple[Job, GradingResult]] = []
    async with SandboxLauncher() as launcher:
        progress = Progress(
            TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=console, disable=not show_progress,
        )
        with progress:
            task = progress.add_task("", total=len(jobs))
            for job in jobs:
                progress.update(task, description=escape(job.submission.name))
                try:
                    files = extract_submission(job.exercise, job.submission)
                except SubmissionError as error:
                    if not show_progress:
                        raise _Usage(str(error)) from None
                    results.append((job, _unreadable(job, str(error))))
                else:
                    results.append((job, await grade(job.exercise, files, launcher=launcher)))
                progress.advance(task)
    return results


def _unreadable(job: Job, message: str) -> Any:
    from grader.engine.results import GradingResult, Status, Timings

    return GradingResult(
        exercise=job.exercise.id, status=Status.ERROR, score=0.0,
        max_score=job.exercise.max_score, tests=(), timings=Timings(0.0, 0.0, 0.0),
        isolation="none", message=message,
    )


def render_result(console: Console, result: dict[str, Any]) -> None:
    """Print a result JSON (docs/results.md) for a person; shared with `academy submit`."""
    status = result["status"]
    style = _STYLES.get(status, "white")
    console.print(
        f"[bold]{escape(result['exercise'])}[/bold]  [{style}]{status.upper()}[/{style}]  "
        f"score [bold]{result['score']:g}[/bold] / {result['max_score']:g}"
    )
    if result.get("message"):
        console.print(f"[{style}]{escape(result['message'])}[/{style}]")
    if result["tests"]:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("")
        table.add_column("test", overflow="fold", ratio=3)
        table.add_column("task", style="dim", overflow="fold", ratio=1)
        table.add_column("points", justify="right", no_wrap=True)
        table.add_column("message", overflow="fold", ratio=3)
        for test in result["tests"]:
            test_style = _STYLES.get(test["status"], "white")
            name = escape(test["name"])
            if test["visibility"] == "hidden":
                name += " [dim](hidden)[/dim]"
            table.add_row(
                f"[{test_style}]{_MARKS.get(test['status'], '?')}[/{test_style}]",
                name,
                escape(test.get("task") or ""),
                f"{test['points']:g}/{test['max_points']:g}",
                escape(test.get("message") or ""),
            )
        console.print(table)
        for test in result["tests"]:
            if "expected" in test:
                console.print(f"[bold]{escape(test['name'])}[/bold]")
                console.print(f"  expected ({test['comparison']}): {escape(test['expected_repr'])}")
                console.print(f"  actual:        {escape(test['actual_repr'])}")
    output = result.get("output") or {}
    for stream in ("stdout", "stderr"):
        if output.get(stream):
            console.print(f"[dim]--- your code's {stream} ---[/dim]")
            console.print(escape(output[stream].rstrip()), highlight=False)
    if output.get("truncated"):
        console.print("[dim](output was cut at the limit)[/dim]")
    if result.get("isolation") != "namespaces":
        console.print(
            f"[yellow]isolation: {escape(str(result.get('isolation')))} — REDUCED: the sandbox "
            "ran without Linux namespaces (see docs/grading-security.md)[/yellow]"
        )
    timings = result["timings"]
    console.print(
        f"[dim]{timings['total_ms']:.0f} ms (prepare {timings['prepare_ms']:.0f} ms, "
        f"tests {timings['run_ms']:.0f} ms), isolation {escape(str(result.get('isolation')))}[/dim]"
    )


def _render_summary(console: Console, graded: list[Any]) -> None:
    table = Table(title="Grades", header_style="bold")
    table.add_column("submission")
    table.add_column("exercise")
    table.add_column("status")
    table.add_column("score", justify="right")
    table.add_column("ms", justify="right")
    for job, result in graded:
        style = _STYLES.get(result.status.value, "white")
        table.add_row(
            escape(job.submission.name), escape(result.exercise),
            f"[{style}]{result.status.value}[/{style}]",
            f"{result.score:g}/{result.max_score:g}", f"{result.timings.total_ms:.0f}",
        )
    console.print(table)
    full = sum(result.full_marks for _, result in graded)
    console.print(f"{full} of {len(graded)} submissions with full marks")
