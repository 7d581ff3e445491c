"""``academy bench grade``: grading latency through the sandbox beside a fresh-pytest baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from grader.cli import bench_app


@bench_app.command("grade")
def bench_grade(
    exercise: Annotated[str, typer.Option(help="The lesson-1 exercise to grade.")] = (
        "01-genserver/counter"
    ),
    submissions: Annotated[int, typer.Option(help="Submissions graded through the sandbox.")] = 60,
    baseline: Annotated[
        int, typer.Option(help="Submissions graded by a fresh `python -m pytest` each.")
    ] = 12,
    exercises: Annotated[Path | None, typer.Option(help="The exercises folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure p50/p95 latency and throughput with 1 and 2 workers against the baseline.

    Exits with status 1 when a target is missed (p50 <= 50 ms with namespaces, >= 4x faster
    than a fresh pytest process per submission).
    """
    from grader.bench.grade_bench import P50_TARGET_MS, SPEEDUP_TARGET, run

    report = run(exercise, submissions, baseline, exercises)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        console = Console()
        table = Table(title=f"grading {report.exercise}", header_style="bold")
        for column in ("contender", "n", "p50 ms", "p95 ms", "per second", "isolation",
                       "full marks"):
            table.add_column(column, justify="left" if column == "contender" else "right")
        for figure in report.figures:
            table.add_row(
                figure.contender, str(figure.submissions), f"{figure.p50_ms:.1f}",
                f"{figure.p95_ms:.1f}", f"{figure.per_second:.1f}", figure.isolation,
                str(figure.full_marks),
            )
        console.print(table)

        def verdict(met: bool) -> str:
            return "[green]met[/green]" if met else "[red]MISSED[/red]"

        console.print(
            f"p50 {report.figures[0].p50_ms:.1f} ms (target <= {P50_TARGET_MS:g} ms with "
            f"namespaces): {verdict(report.p50_met)}"
        )
        console.print(
            f"{report.speedup:.1f}x faster than a fresh pytest process (target >= "
            f"{SPEEDUP_TARGET:g}x): {verdict(report.speedup_met)}"
        )
    if not report.all_met:
        raise typer.Exit(1)
