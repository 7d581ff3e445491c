"""``academy bench service``: the service under load beside the engine alone, in one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from grader.cli import bench_app


@bench_app.command("service")
def bench_service(
    exercise: Annotated[str, typer.Option(help="Exercise whose reference solution is sent.")] = (
        "01-genserver/counter"
    ),
    learners: Annotated[int, typer.Option(help="Learners submitting concurrently.")] = 16,
    per_learner: Annotated[int, typer.Option(help="Submissions per learner.")] = 5,
    sequential: Annotated[int, typer.Option(help="Submissions of the 1-learner run.")] = 30,
    workers: Annotated[int, typer.Option(help="Grading worker processes.")] = 2,
    concurrency: Annotated[int, typer.Option(help="Gradings at once per worker.")] = 2,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL: run procrastinate workers against it.")
    ] = None,
    exercises: Annotated[Path | None, typer.Option(help="The exercises folder.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Sustained submissions/s and p50/p95 per phase; exits 1 if overhead > 20 ms p50."""
    from rich.console import Console
    from rich.table import Table

    from grader.bench.service_bench import OVERHEAD_TARGET_MS, run

    report = run(
        exercise_id=exercise,
        learners=learners,
        per_learner=per_learner,
        sequential=sequential,
        workers=workers,
        concurrency=concurrency,
        database_url=database_url,
        exercises_dir=exercises,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        console = Console()
        table = Table(
            title=f"grader service, {report.mode} queue, {report.workers} workers x "
            f"{report.concurrency}: {report.exercise}",
            header_style="bold",
        )
        for column in ("contender", "n", "subs/s", "p50 ms", "p95 ms"):
            table.add_column(column, justify="left" if column == "contender" else "right")
        alone = report.engine_alone
        table.add_row(
            "engine alone", str(alone.n), "", f"{alone.p50_ms:.1f}", f"{alone.p95_ms:.1f}"
        )
        table.add_row(
            f"engine alone, {report.workers} x {report.concurrency} at once",
            str(report.runs[-1].submissions),
            f"{report.engine_per_second:.1f}",
            "",
            "",
        )
        for item in [*report.runs, report.instant]:
            e2e = item.end_to_end
            table.add_row(
                item.label + ": submit -> result",
                str(e2e.n),
                f"{item.per_second:.1f}",
                f"{e2e.p50_ms:.1f}",
                f"{e2e.p95_ms:.1f}",
            )
            table.add_row(
                "  overhead: minus grading time",
                str(item.overhead.n),
                "",
                f"{item.overhead.p50_ms:.1f}",
                f"{item.overhead.p95_ms:.1f}",
            )
            for name, phase in item.phases.items():
                table.add_row(
                    f"  {name}", str(phase.n), "", f"{phase.p50_ms:.1f}", f"{phase.p95_ms:.1f}"
                )
        console.print(table)
        cpu = Table(title="CPU per submission (ms), crowd runs", header_style="bold")
        crowds = [report.runs[-1], report.instant]
        embedded = report.mode == "embedded"  # no PostgreSQL in that deployment
        names = [name for name in crowds[0].cpu_ms if not (embedded and name == "postgres")]
        cpu.add_column("run")
        for name in names:
            cpu.add_column(name, justify="right")
        for item in crowds:
            cpu.add_row(item.label, *(f"{item.cpu_ms.get(name, 0.0):.1f}" for name in names))
        console.print(cpu)
        verdict = "meets" if report.meets_target else "MISSES"
        console.print(
            f"service overhead, 1 learner, p50: {report.overhead_ms:.1f} ms "
            f"({verdict} the <= {OVERHEAD_TARGET_MS:g} ms target); submit-to-result p50 is "
            f"{report.ratio:.2f}x the engine alone"
        )
        console.print(
            f"sustained throughput, {report.runs[-1].label.removeprefix('service, ')}: "
            f"{report.runs[-1].per_second:.1f}/s = {report.throughput_ratio:.2f}x the engine "
            f"alone with the same {report.workers} x {report.concurrency} parallelism; the "
            f"service alone (instant grader) sustains {report.instant.per_second:.1f}/s = "
            f"{report.instant.per_second / report.runs[-1].per_second:.1f}x that"
        )
    raise typer.Exit(0 if report.meets_target else 1)
