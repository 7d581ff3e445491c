"""Deployed queue: procrastinate on PostgreSQL, ``academy worker`` on any number of machines.

Exactly once, in effect:

- *Never lost.* The web process defers the job with ``connection=`` set to the psycopg
  connection of the very transaction that inserts the submission, so the job row and the
  submission row commit together or not at all (no outbox, no window between them).
- *Retried when a worker dies.* Workers heartbeat; every worker also sweeps for jobs whose
  worker stopped heartbeating (``stalled_worker_timeout``) and retries them.
- *Never double-counted.* A retried or duplicated job runs ``grade_claim`` again, but the
  completion is a conditional UPDATE plus a unique result row, so only the first outcome is
  recorded; the second run finds the submission final and does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import procrastinate
from sqlmodel import Session

from grader.service.database import psycopg_conninfo
from grader.service.grading import Grader, build_grader
from grader.service.models import Submission
from grader.service.queue.embedded import worker_name
from grader.service.queue.postgres_store import PostgresWorkerStore, worker_pool
from grader.service.queue.worker import grade_claim
from grader.service.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "academy.grade_submission"
QUEUE_NAME = "grading"


class _WorkerState:
    """What the task function needs in a worker process (set by ``run_worker``)."""

    settings: Settings | None = None
    store: PostgresWorkerStore | None = None
    grader: Grader | None = None


_state = _WorkerState()


def build_app(settings: Settings) -> procrastinate.App:
    """The procrastinate app; a worker opens it on ``worker_pool`` (``run_worker``)."""
    conninfo = psycopg_conninfo(settings.resolved_database_url)
    connector = procrastinate.PsycopgConnector(conninfo=conninfo)
    app = procrastinate.App(connector=connector)

    # A failure around the grading (the database went away mid-job) is retried: completion
    # is idempotent, so a retry can only finish what the failed run did not.
    @app.task(
        name=TASK_NAME,
        queue=QUEUE_NAME,
        pass_context=False,
        retry=procrastinate.RetryStrategy(max_attempts=5, wait=1, linear_wait=2),
    )
    async def grade_submission(submission_id: int) -> None:
        await _grade(submission_id)

    return app


async def _grade(submission_id: int) -> None:
    settings, store, grader = _state.settings, _state.store, _state.grader
    if settings is None or store is None or grader is None:
        raise RuntimeError("grade_submission runs only inside `academy worker`")
    claimed = await store.claim(submission_id, settings.lease_seconds)
    if claimed is None:
        return  # already graded: a duplicate or retried job, nothing to do
    await grade_claim(grader, store, claimed, settings.max_attempts)


class ProcrastinateQueue:
    name = "procrastinate"

    def __init__(self, settings: Settings) -> None:
        self._app = build_app(settings)
        self._task = self._app.tasks[TASK_NAME]

    def enqueue(self, session: Session, submission: Submission) -> None:
        connection = session.connection().connection.driver_connection
        self._task.configure(connection=connection).defer(submission_id=submission.id)

    def committed(self) -> None:
        return None


async def _sweep_stalled(app: procrastinate.App, every: float, stalled_after: float) -> None:
    """Retry jobs whose worker stopped heartbeating (killed, lost its machine)."""
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=QUEUE_NAME, seconds_since_heartbeat=stalled_after
            )
            for job in stalled:
                log.warning("retrying job %s of a stalled worker", job.id)
                await app.job_manager.retry_job(job)
            await app.job_manager.prune_stalled_workers(seconds_since_heartbeat=stalled_after)
        except Exception:
            log.warning("stalled-job sweep failed", exc_info=True)
        await asyncio.sleep(every)


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    heartbeat_seconds: float = 5.0,
    stalled_after_seconds: float = 15.0,
    poll_seconds: float = 5.0,
) -> None:
    """Run one procrastinate worker until SIGTERM/SIGINT (procrastinate installs handlers)."""
    app = build_app(settings)
    slots = concurrency or settings.worker_concurrency
    # Each grading holds a connection only for its claim and its record; procrastinate
    # fetches, finishes and sweeps beside them.
    pool = worker_pool(settings.resolved_database_url, size=slots + 2)
    store = PostgresWorkerStore(pool, worker_name("pq"))
    grader = build_grader(settings.grader, settings.exercises_dir)
    await pool.open(wait=True)
    await grader.start()
    _state.settings, _state.store, _state.grader = settings, store, grader
    try:
        async with app.open_async(pool=pool):
            sweeper = asyncio.create_task(
                _sweep_stalled(app, heartbeat_seconds, stalled_after_seconds)
            )
            try:
                await app.run_worker_async(
                    queues=[QUEUE_NAME],
                    name=store.worker,
                    concurrency=slots,
                    update_heartbeat_interval=heartbeat_seconds,
                    stalled_worker_timeout=stalled_after_seconds,
                    fetch_job_polling_interval=poll_seconds,
                    install_signal_handlers=True,
                    delete_jobs="successful",
                )
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
    finally:
        _state.settings, _state.store, _state.grader = None, None, None
        await grader.close()
        await pool.close()


def apply_schema(connection: Any) -> None:
    """Create procrastinate's tables (used by the alembic migration on PostgreSQL)."""
    from procrastinate.schema import SchemaManager

    connection.exec_driver_sql(SchemaManager.get_schema())
