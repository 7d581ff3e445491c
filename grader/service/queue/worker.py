"""Grade one claimed submission and record the outcome; shared by both queue modes.

A grader exception is the grader's failure, not the learner's: it ends the submission as
``error`` with a message to resubmit. Where the outcome is written is a ``Recorder``: the
embedded queue's session runs in a thread so concurrent gradings in one worker keep their
sandbox channels moving; the deployed worker writes with one statement on its own asyncio
connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from grader.service import submissions
from grader.service.database import session_scope
from grader.service.events import EventSink, SubmissionEvent
from grader.service.grading import Grader
from grader.service.models import SubmissionStatus, utcnow

log = logging.getLogger(__name__)


def claim_event(claim: submissions.Claim) -> SubmissionEvent:
    """The "running" news of a claim, with what the claim changed."""
    return SubmissionEvent(
        submission_id=claim.submission_id,
        user_id=claim.user_id,
        exercise_id=claim.exercise_id,
        status=SubmissionStatus.RUNNING.value,
        attempts=claim.attempts,
        started=submissions.iso_timestamp(claim.started_at),
    )


def outcome_event(
    claim: submissions.Claim,
    payload: Mapping[str, Any] | None,
    error: str | None,
    grading_ms: float | None,
    finished: datetime,
) -> SubmissionEvent:
    """The "graded"/"error" news of a recorded outcome: what ``submissions.complete`` wrote,
    in the form ``GET /api/submissions/{id}`` reads it back (scores as floats; a grader
    failure has no result, hence no score and no grading time)."""
    score, max_score = submissions.scores_of(payload) if payload is not None else (None, None)
    return SubmissionEvent(
        submission_id=claim.submission_id,
        user_id=claim.user_id,
        exercise_id=claim.exercise_id,
        status=(SubmissionStatus.ERROR if payload is None else SubmissionStatus.GRADED).value,
        score=score,
        max_score=max_score,
        finished=submissions.iso_timestamp(finished),
        error=error,
        grading_ms=None if payload is None else grading_ms,
        result=None if payload is None else dict(payload),
    )


def claim_and_announce(
    engine: Engine,
    sink: EventSink,
    take: Callable[[Session], submissions.Claim | None],
) -> submissions.Claim | None:
    """Claim in one transaction that also carries the "running" news (NOTIFY on commit).

    On PostgreSQL the claim commits without waiting for its WAL flush: a claim that a
    database crash forgets leaves the submission ``queued`` (or its lease to expire), which
    the next claim handles anyway, and the result transaction, which does wait, flushes it.
    That takes a disk flush off the path between "queued" and "grading".
    """
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit = off"))
        claim = take(session)
        if claim is not None:
            sink.emit(session, claim_event(claim))
    sink.flush()
    return claim


class Recorder(Protocol):
    """Where an outcome is written: the embedded queue's session, or the deployed worker's
    one-statement connection (``postgres_store``). Both record at most once per submission."""

    async def record(
        self,
        claim: submissions.Claim,
        payload: Mapping[str, Any] | None,
        error: str | None = None,
        grading_ms: float | None = None,
    ) -> bool: ...


class SessionRecorder:
    """Records through ``submissions.complete`` in a thread, then hands the news to a sink."""

    def __init__(self, engine: Engine, sink: EventSink) -> None:
        self._engine = engine
        self._sink = sink

    async def record(
        self,
        claim: submissions.Claim,
        payload: Mapping[str, Any] | None,
        error: str | None = None,
        grading_ms: float | None = None,
    ) -> bool:
        return await asyncio.to_thread(self._record, claim, payload, error, grading_ms)

    def _record(
        self,
        claim: submissions.Claim,
        payload: Mapping[str, Any] | None,
        error: str | None,
        grading_ms: float | None,
    ) -> bool:
        now = utcnow()
        with session_scope(self._engine) as session:
            recorded = submissions.complete(
                session, claim, payload, error=error, grading_ms=grading_ms, now=now
            )
            if recorded:
                news = outcome_event(claim, payload, error, grading_ms, now)
                self._sink.emit(session, news)
        self._sink.flush()
        return recorded


async def grade_claim(
    grader: Grader, recorder: Recorder, claim: submissions.Claim, max_attempts: int
) -> bool:
    """Returns True when this call recorded the outcome (False: someone else already had)."""
    if claim.attempts > max_attempts:
        # The workers grading it kept dying: end it as an error rather than loop forever.
        return await recorder.record(claim, None, error=submissions.interrupted_error(claim))
    started = time.perf_counter()
    payload: dict[str, Any] | None
    error: str | None = None
    try:
        payload = await grader.grade(claim.exercise_id, claim.files)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("grading submission %s failed", claim.submission_id)
        payload = None
        error = f"the grader failed ({type(exc).__name__}); please submit again"
    grading_ms = (time.perf_counter() - started) * 1000
    return await recorder.record(claim, payload, error, grading_ms)
