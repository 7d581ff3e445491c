"""``academy bench otp``: the runtime's benchmark figures, side by side with a floor and pykka."""

from __future__ import annotations

import json

import typer

from grader.cli import bench_app


@bench_app.command("otp")
def bench_otp(
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    quick: bool = typer.Option(
        False, "--quick", help="Tiny sizes: checks that everything runs; figures are noise."
    ),
) -> None:
    """Measure the otp runtime against bare asyncio and pykka, in one run (about a minute).

    Exits with status 1 when a target is missed (never with --quick, whose sizes are too small
    to judge).
    """
    from grader.bench.otp_bench import Sizes, all_passed, format_figure, run

    sizes = Sizes.quick() if quick else Sizes()
    progress = None if as_json else (lambda figure: typer.echo(format_figure(figure)))
    figures = run(sizes, progress=progress)
    passed = all_passed(figures)
    if as_json:
        payload = {
            "quick": quick,
            "all_targets_met": passed,
            "figures": [figure.as_dict() for figure in figures],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        typer.echo("all targets met" if passed else "SOME TARGETS MISSED")
    if not passed and not quick:
        raise typer.Exit(1)
