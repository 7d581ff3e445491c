"""``academy worker``: a grading worker, for deployments that run workers apart from the web."""

from __future__ import annotations

import typer

from grader.cli import app


@app.command()
def worker(
    concurrency: int = typer.Option(None, help="Submissions graded at once [default: 2]."),
    heartbeat: float = typer.Option(5.0, help="Seconds between heartbeats (procrastinate)."),
    stalled_after: float = typer.Option(
        15.0, help="Retry jobs of workers silent this long (procrastinate)."
    ),
    poll: float = typer.Option(
        5.0,
        help="Seconds between looks at the queue when no news of a job arrives; new jobs "
        "wake the worker at once through LISTEN/NOTIFY (procrastinate).",
    ),
) -> None:
    """Grade submissions from the queue until SIGTERM/SIGINT.

    With ACADEMY_QUEUE=procrastinate (PostgreSQL) this is a procrastinate worker; otherwise it
    claims queued submissions from the database like the workers `academy serve` starts."""
    import asyncio
    import signal

    from grader.service.queue.embedded import EmbeddedWorker, worker_name
    from grader.service.settings import QueueMode, Settings

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _wait_for_schema(settings.resolved_database_url)
    if concurrency:
        settings = settings.with_changes(worker_concurrency=concurrency)
    if settings.queue is QueueMode.PROCRASTINATE:
        from grader.service.queue.distributed import run_worker

        asyncio.run(
            run_worker(
                settings,
                heartbeat_seconds=heartbeat,
                stalled_after_seconds=stalled_after,
                poll_seconds=poll,
            )
        )
        return

    async def main() -> None:
        embedded = EmbeddedWorker(settings, worker_name("cli"))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, embedded.stop)
        await embedded.run()

    asyncio.run(main())


def _wait_for_schema(url: str, timeout: float = 60.0) -> None:
    """Workers may start before the one-shot migration finished (compose starts them together)."""
    import time

    from grader.service import migrate

    deadline = time.monotonic() + timeout
    head = migrate.head_revision()
    while True:
        try:
            if migrate.current_revision(url) == head:
                return
        except Exception:  # the database itself may still be starting
            pass
        if time.monotonic() > deadline:
            typer.echo(
                f"error: the database at revision {head} was not ready after {timeout:g} s; "
                "run `academy db upgrade`",
                err=True,
            )
            raise typer.Exit(3)
        time.sleep(1.0)
