"""The deployed worker's two writes to ``submissions``, claim and record: one statement each.

Why not the SQLAlchemy session the embedded queue uses: there a claim costs three round trips
and a record six, each through the ORM and a thread hop that competes with the gradings for
the GIL. Both writes sit on the learner's path (between "queued" and "grading", and between
"graded" and the news reaching the browser), so here each is one statement on an asyncio
connection of the worker's pool, its changes and its ``pg_notify`` committing together.

They are the same writes as ``submissions.claim_by_id`` and ``submissions.complete`` (same
conditions, same new values, same news); ``tests/grader/service/test_write_paths.py`` holds
the two forms to that.

Durability: the worker's connections commit without waiting for the WAL flush. That is safe
for procrastinate's bookkeeping and for a claim: if the database crashes before the flush, a
forgotten fetch puts the job back to ``todo``, a forgotten finish leaves it ``doing`` until
the stalled-worker sweep retries it, and a forgotten claim leaves the submission claimable;
every rerun finds the submission final or claims it again, so nothing is graded twice into
results. The record does wait: it is sent as ``BEGIN; SET LOCAL synchronous_commit = on;
<record>; COMMIT`` in one pipelined round trip, so a result the learner was told about
survives a database crash. (The web process stores a submission and defers its job on its
own connection, whose commit waits too.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool

from grader.service import submissions
from grader.service.database import psycopg_conninfo
from grader.service.events import CHANNEL
from grader.service.models import SubmissionStatus, utcnow
from grader.service.queue.worker import outcome_event

# Data-modifying CTEs always run; each notification leaves when its statement commits.
CLAIM_AND_ANNOUNCE = """
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
           'status', 'running', 'score', NULL, 'max_score', NULL,
           'attempts', attempts, 'started', %(started)s::text)::text) AS announced
  FROM claimed
"""

# ``submissions.complete`` and its progress upsert, then the news: nothing is written unless
# the submission was not final yet, and the result and progress only with a payload.
RECORD_AND_ANNOUNCE = """
WITH finished AS (
    UPDATE submissions
       SET status = %(status)s::text, finished_at = %(now)s, lease_expires_at = NULL,
           error = %(error)s::text
     WHERE id = %(submission_id)s AND status NOT IN ('graded', 'error')
 RETURNING id, user_id, exercise_id
), result AS (
    INSERT INTO results (submission_id, status, score, max_score, payload, grading_ms,
                         created_at)
    SELECT id, %(result_status)s::text, %(score)s::float8, %(max_score)s::float8,
           %(payload)s::json, %(grading_ms)s::float8, %(now)s::timestamptz
      FROM finished
     WHERE %(has_payload)s::boolean
), progress AS (
    INSERT INTO progress AS p (user_id, exercise_id, best_score, max_score, attempts,
                               first_solved_at, last_submission_id, updated_at)
    SELECT user_id, exercise_id, %(score)s::float8, %(max_score)s::float8, 1,
           %(solved_at)s::timestamptz, id, %(now)s::timestamptz
      FROM finished
     WHERE %(has_payload)s::boolean
        ON CONFLICT (user_id, exercise_id) DO UPDATE
       SET best_score = GREATEST(p.best_score, EXCLUDED.best_score),
           max_score = EXCLUDED.max_score,
           attempts = p.attempts + 1,
           first_solved_at = COALESCE(p.first_solved_at, EXCLUDED.first_solved_at),
           last_submission_id = EXCLUDED.last_submission_id,
           updated_at = EXCLUDED.updated_at
)
SELECT pg_notify(%(channel)s, %(news)s::text) AS announced
  FROM finished
"""


def worker_pool(database_url: str, size: int) -> AsyncConnectionPool:
    """The worker's connections, shared by procrastinate (fetching and finishing jobs) and
    ``PostgresWorkerStore``; open it with ``await pool.open(wait=True)``.

    Autocommit: every statement either side sends is one atomic statement (procrastinate's
    are single function calls), so an explicit BEGIN and COMMIT would only add two round
    trips to each. No flush wait (see the module's docstring). A connection is checked as
    it leaves the pool, so one the database dropped (a restart) is replaced, not used.
    """
    return AsyncConnectionPool(
        psycopg_conninfo(database_url),
        min_size=min(2, size),
        max_size=size,
        # Not ``autocommit`` in ``kwargs``: procrastinate opens its LISTEN connection with
        # these kwargs plus ``autocommit=True`` of its own.
        kwargs={"options": "-c synchronous_commit=off"},
        configure=_autocommit,
        check=AsyncConnectionPool.check_connection,
        open=False,
        name="academy-worker",
    )


async def _autocommit(conn: AsyncConnection[Any]) -> None:
    await conn.set_autocommit(True)


class PostgresWorkerStore:
    """The claim and the record of the deployed worker, on connections of ``worker_pool``."""

    def __init__(self, pool: AsyncConnectionPool, worker: str) -> None:
        self.worker = worker
        self._pool = pool

    async def claim(self, submission_id: int, lease_seconds: float) -> submissions.Claim | None:
        """Take the submission whatever its lease (the job queue already gives one holder)."""
        now = utcnow()
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(
                CLAIM_AND_ANNOUNCE,
                {
                    "now": now,
                    "lease_expires_at": now + timedelta(seconds=lease_seconds),
                    "worker": self.worker,
                    "submission_id": submission_id,
                    "channel": CHANNEL,
                    "started": submissions.iso_timestamp(now),
                },
            )
            row = await cursor.fetchone()
        if row is None:
            return None  # already final: a duplicated or retried job
        return submissions.Claim(
            submission_id=row["id"],
            user_id=row["user_id"],
            exercise_id=row["exercise_id"],
            files=dict(row["files"]),
            attempts=row["attempts"],
            worker=self.worker,
            started_at=now,
        )

    async def record(
        self,
        claim: submissions.Claim,
        payload: Mapping[str, Any] | None,
        error: str | None = None,
        grading_ms: float | None = None,
    ) -> bool:
        """Record the outcome once; False when the submission was already final."""
        now = utcnow()
        score, max_score = submissions.scores_of(payload) if payload is not None else (None, None)
        solved = payload is not None and submissions.is_solved(score, max_score)  # type: ignore[arg-type]
        status = SubmissionStatus.ERROR if payload is None else SubmissionStatus.GRADED
        params = {
            "submission_id": claim.submission_id,
            "status": status.value,
            "now": now,
            "error": error,
            "has_payload": payload is not None,
            "result_status": None if payload is None else str(payload.get("status", "error")),
            "score": score,
            "max_score": max_score,
            "payload": Json(dict(payload)) if payload is not None else None,
            "grading_ms": grading_ms,
            "solved_at": now if solved else None,
            "channel": CHANNEL,
            "news": outcome_event(claim, payload, error, grading_ms, now).to_json(),
        }
        async with self._pool.connection() as conn:
            rows = await execute_durably(conn, RECORD_AND_ANNOUNCE, params)
        return len(rows) == 1


async def execute_durably(
    conn: AsyncConnection[Any], statement: str, params: Mapping[str, Any]
) -> list[Any]:
    """Run one statement in a transaction whose commit waits for the WAL flush, on a
    connection that otherwise does not: BEGIN, SET LOCAL, the statement and COMMIT leave
    in one pipeline, so the wait for the disk is the only extra cost."""
    async with conn.pipeline(), conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = on")
        cursor = await conn.execute(statement, params)  # type: ignore[arg-type]
    return await cursor.fetchall()
