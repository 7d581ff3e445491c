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
    setup: bool = typer.Option(
        True,
        help="Migrate, load the catalog and create the first accounts before serving; "
        "deployments with several web replicas leave that to a one-shot `academy db upgrade` "
        "and `academy db sync` and pass --no-setup.",
    ),
) -> None:
    """Run the grader service: migrations applied, accounts created on first run, workers
    started, lessons and API on http://HOST:PORT."""
    import uvicorn

    from grader.engine import ExerciseError
    from grader.service.bootstrap import prepare
    from grader.service.settings import QueueMode, Settings
    from grader.web.app import create_app

    try:
        settings = Settings.from_env(host=host, port=port, workers=workers, data_dir=data_dir)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    embedded = settings.queue is QueueMode.EMBEDDED
    if setup:
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
        typer.echo(
            f"{prepared.catalog.exercises} exercises in {prepared.catalog.sections} sections; "
            f"queue: {settings.queue.value}"
            + (f" with {settings.workers} worker processes" if embedded else "")
        )
    else:
        _require_migrated(settings.resolved_database_url)
    typer.echo(f"serving on http://{settings.host}:{settings.port}", err=False)
    application = create_app(
        settings, start_workers=settings.workers if embedded else 0, pages=settings.pages
    )
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning")


def _require_migrated(url: str) -> None:
    from grader.service import migrate

    head = migrate.head_revision()
    current = migrate.current_revision(url)
    if current != head:
        typer.echo(
            f"error: the database is at revision {current}, not {head}: "
            "run `academy db upgrade` (and `academy db sync`) first",
            err=True,
        )
        raise typer.Exit(3)
