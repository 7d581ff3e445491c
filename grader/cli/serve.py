"""``academy serve``: the whole platform on one machine, embedded defaults, nothing to set up."""

from __future__ import annotations

from pathlib import Path

import typer

from grader.cli import app


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to listen on [default: 127.0.0.1]."),
    port: int = typer.Option(None, help="Port [default: 8000]."),
    workers: int = typer.Option(None, help="Grading worker processes (embedded queue)."),
    data_dir: Path = typer.Option(
        None, help="Where the SQLite file and secrets live [default: ./var or $ACADEMY_DATA_DIR]."
    ),
) -> None:
    """Run the grader service: migrations applied, accounts created on first run, workers
    started, lessons and API on http://HOST:PORT."""
    import uvicorn

    from grader.engine import ExerciseError
    from grader.service.bootstrap import prepare
    from grader.service.settings import QueueMode, Settings
    from grader.web.app import create_app

    settings = Settings.from_env(host=host, port=port, workers=workers, data_dir=data_dir)
    try:
        prepared = prepare(settings)
    except ExerciseError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for credentials in prepared.created:
        typer.echo(
            f"created {credentials.role.value} {credentials.username!r} with password "
            f"{credentials.password!r} (shown once; change it or keep it safe)"
        )
    embedded = settings.queue is QueueMode.EMBEDDED
    typer.echo(
        f"{prepared.catalog.exercises} exercises in {prepared.catalog.sections} sections; "
        f"queue: {settings.queue.value}"
        + (f" with {settings.workers} worker processes" if embedded else "")
    )
    typer.echo(f"serving on http://{settings.host}:{settings.port}", err=False)
    application = create_app(
        settings, start_workers=settings.workers if embedded else 0, pages=settings.pages
    )
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning")
