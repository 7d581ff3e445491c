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
from datetime import timedelta
from typing import Any

import procrastinate
from sqlmodel import Session

from grader.service import submissions
from grader.service.database import make_engine, normalize_url
from grader.service.events import CHANNEL, PostgresSink
from grader.service.grading import Grader, build_grader
from grader.service.models import Submission, utcnow
from grader.service.queue.embedded import worker_name
from grader.service.queue.worker import grade_claim
from grader.service.settings import Settings

log = logging.getLogger(__name__)

TASK_NAME = "academy.grade_submission"
QUEUE_NAME = "grading"


def _conninfo(url: str) -> str:
    return normalize_url(url).replace("postgresql+psycopg://", "postgresql://")


class _WorkerState:
    """What the task function needs in a worker process (set by ``run_worker``)."""

    settings: Settings | None = None
    engine: Any = None
    grader: Grader | None = None
    name: str = ""
    app: procrastinate.App | None = None


_state = _WorkerState()


# A worker's own procrastinate writes (fetching a job, finishing it, heartbeats) commit
# without waiting for the disk: if the database crashes before the flush, a forgotten fetch
# puts the job back to ``todo`` and a forgotten finish leaves it ``doing`` until the stalled
# sweep retries it; either way the rerun finds the submission final (or claims it again),
# so nothing is graded twice into results. The submission and its job are deferred by the
# web process on its own connection, whose commit does wait.
_WORKER_CONNECTION = {"options": "-c synchronous_commit=off"}


def build_app(settings: Settings, *, worker: bool = False) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=_conninfo(settings.resolved_database_url),
        kwargs=_WORKER_CONNECTION if worker else None,
    )
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
    settings, engine, grader = _state.settings, _state.engine, _state.grader
    if settings is None or grader is None:
        raise RuntimeError("grade_submission runs only inside `academy worker`")

    sink = PostgresSink()
    claimed = await _claim_on_queue_connection(submission_id, settings.lease_seconds)
    if claimed is None:
        return  # already graded: a duplicate or retried job, nothing to do
    await grade_claim(engine, grader, sink, claimed, settings.max_attempts)


# ``submissions.claim_by_id`` and the "running" news as one statement: same condition, same
# new values. Data-modifying CTEs always run; the notification goes out when it commits.
_CLAIM_AND_ANNOUNCE = """
WITH claimed AS (
    UPDATE submissions
       SET status = 'running', attempts = attempts + 1, started_at = %(now)s,
           lease_expires_at = %(lease_expires_at)s, worker = %(worker)s
     WHERE id = %(submission_id)s AND status IN ('queued', 'running')
 RETURNING id, user_id, exercise_id, files, attempts
)
SELECT id, user_id, exercise_id, files, attempts,
       pg_notify(%(channel)s, json_build_object(
           'submission_id', id, 'user_id', user_id, 'exercise_id', exercise_id,
           'status', 'running', 'score', NULL, 'max_score', NULL)::text) AS announced
  FROM claimed
"""


async def _claim_on_queue_connection(
    submission_id: int, lease_seconds: float
) -> submissions.Claim | None:
    """Claim on procrastinate's own async connection, in one round trip.

    Why not the SQLAlchemy session in a thread (as the embedded queue does): that took five
    round trips and a thread hop, competing with procrastinate's fetches for the GIL, and
    sat right between "queued" and "grading". The worker's connections already commit
    without a disk flush wait (``_WORKER_CONNECTION``), which the claim may (see
    ``claim_and_announce``): a forgotten claim leaves the submission claimable again.
    """
    app = _state.app
    if app is None:
        raise RuntimeError("grade_submission runs only inside `academy worker`")
    now = utcnow()
    rows = await app.connector.execute_query_all_async(
        _CLAIM_AND_ANNOUNCE,
        now=now,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
        worker=_state.name,
        submission_id=submission_id,
        channel=CHANNEL,
    )
    if not rows:
        return None  # already final: a duplicate or retried job
    row = rows[0]
    return submissions.Claim(
        submission_id=row["id"],
        user_id=row["user_id"],
        exercise_id=row["exercise_id"],
        files=dict(row["files"]),
        attempts=row["attempts"],
        worker=_state.name,
    )


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
) -> None:
    """Run one procrastinate worker until SIGTERM/SIGINT (procrastinate installs handlers)."""
    app = build_app(settings, worker=True)
    _state.app = app
    _state.settings = settings
    _state.engine = make_engine(settings.resolved_database_url, pool_size=4)
    _state.name = worker_name("pq")
    _state.grader = build_grader(settings.grader, settings.exercises_dir)
    await _state.grader.start()
    try:
        async with app.open_async():
            sweeper = asyncio.create_task(
                _sweep_stalled(app, heartbeat_seconds, stalled_after_seconds)
            )
            try:
                await app.run_worker_async(
                    queues=[QUEUE_NAME],
                    name=_state.name,
                    concurrency=concurrency or settings.worker_concurrency,
                    update_heartbeat_interval=heartbeat_seconds,
                    stalled_worker_timeout=stalled_after_seconds,
                    install_signal_handlers=True,
                    delete_jobs="successful",
                )
            finally:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper
    finally:
        await _state.grader.close()
        _state.engine.dispose()


def apply_schema(connection: Any) -> None:
    """Create procrastinate's tables (used by the alembic migration on PostgreSQL)."""
    from procrastinate.schema import SchemaManager

    connection.exec_driver_sql(SchemaManager.get_schema())
