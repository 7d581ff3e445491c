"""Submissions: accepted and stored before grading, claimed by one worker, completed once.

The life of a row: ``queued`` (stored, in the same transaction as its queue job) -> ``running``
(claimed by a worker with a lease, ``attempts`` + 1) -> ``graded`` or ``error``. A worker that
dies leaves a ``running`` row whose lease expires; the next claim takes it over. Completion is
a conditional UPDATE (``status`` not final yet) plus a result row under a unique constraint, in
one transaction with the progress update, so a late or repeated completion changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from grader.service.database import as_utc
from grader.service.errors import InvalidSubmission, NotFound, RateLimited, SubmissionTooLarge
from grader.service.models import (
    Exercise,
    Progress,
    Result,
    Role,
    Submission,
    SubmissionStatus,
    User,
    utcnow,
)
from grader.service.settings import Settings

_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class Claim:
    """A submission a worker now holds (until ``lease_expires_at``)."""

    submission_id: int
    user_id: int
    exercise_id: str
    files: dict[str, str]
    attempts: int
    worker: str
    started_at: datetime | None = None


def validate_files(files: Mapping[str, Any], settings: Settings) -> dict[str, str]:
    """Check names, types and sizes; the sandbox gets exactly these files, nothing else."""
    if not isinstance(files, Mapping) or not files:
        raise InvalidSubmission("the submission has no files; send at least one .py file")
    if len(files) > settings.max_files:
        raise InvalidSubmission(f"too many files ({len(files)}); at most {settings.max_files}")
    total = 0
    clean: dict[str, str] = {}
    for name, content in files.items():
        if not isinstance(name, str) or not _FILE_NAME.match(name) or ".." in name:
            raise InvalidSubmission(
                f"file name {name!r} is not allowed: use a plain name like 'solution.py' "
                "(letters, digits, '_', '-', '.'; no folders)"
            )
        if not isinstance(content, str):
            raise InvalidSubmission(f"file {name!r} must be text")
        if "\x00" in content:
            raise InvalidSubmission(f"file {name!r} contains NUL bytes; send source text")
        try:
            content.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidSubmission(f"file {name!r} is not valid Unicode text") from None
        total += len(content.encode("utf-8"))
        clean[name] = content
    if total > settings.max_upload_bytes:
        raise SubmissionTooLarge(
            f"the submission is {total} bytes; the limit is {settings.max_upload_bytes} bytes"
        )
    return clean


def check_rate(session: Session, user: User, settings: Settings, now: datetime) -> None:
    """Per-learner limit counted in the database, so it holds across web replicas."""
    if settings.submit_rate <= 0 or user.role != Role.LEARNER.value:
        return
    since = now - timedelta(seconds=settings.submit_rate_window_seconds)
    recent = session.exec(
        select(func.count())
        .select_from(Submission)
        .where(Submission.user_id == user.id, col(Submission.submitted_at) > since)
    ).one()
    if recent >= settings.submit_rate:
        raise RateLimited(
            f"at most {settings.submit_rate} submissions per "
            f"{settings.submit_rate_window_seconds:g} s; wait a little and submit again",
            retry_after=settings.submit_rate_window_seconds,
        )


def store_submission(
    session: Session,
    user: User,
    exercise_id: str,
    files: Mapping[str, Any],
    settings: Settings,
    source: str = "api",
) -> Submission:
    """Validate and insert a queued submission (the caller enqueues it in this transaction)."""
    exercise = session.get(Exercise, exercise_id)
    if exercise is None or not exercise.active:
        raise NotFound(f"unknown exercise {exercise_id!r}; GET /api/exercises lists them")
    clean = validate_files(files, settings)
    now = utcnow()
    check_rate(session, user, settings, now)
    submission = Submission(
        user_id=user.id,  # type: ignore[arg-type]
        exercise_id=exercise_id,
        files=clean,
        source=source,
        status=SubmissionStatus.QUEUED.value,
        submitted_at=now,
        queued_at=now,
    )
    session.add(submission)
    session.flush()
    return submission


def get_visible_submission(session: Session, viewer: User, submission_id: int) -> Submission:
    """The submission if ``viewer`` may see it; otherwise NotFound (no existence leak)."""
    from grader.service.progress import can_view_user

    submission = session.get(Submission, submission_id)
    if submission is None or not can_view_user(session, viewer, submission.user_id):
        raise NotFound(f"no submission with id {submission_id}")
    return submission


def result_of(session: Session, submission_id: int) -> Result | None:
    return session.exec(select(Result).where(Result.submission_id == submission_id)).first()


def _claimable(now: datetime) -> Any:
    return (col(Submission.status) == SubmissionStatus.QUEUED.value) | (
        (col(Submission.status) == SubmissionStatus.RUNNING.value)
        & (col(Submission.lease_expires_at) < now)
    )


def claim_next(session: Session, worker: str, lease_seconds: float) -> Claim | None:
    """Atomically take the oldest queued (or lease-expired running) submission."""
    now = utcnow()
    candidates = select(Submission.id).where(_claimable(now)).order_by(col(Submission.id)).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    return _claim(
        session,
        col(Submission.id) == candidates.scalar_subquery(),
        worker,
        now,
        lease_seconds,
        _claimable(now),
    )


def claim_by_id(
    session: Session, submission_id: int, worker: str, lease_seconds: float
) -> Claim | None:
    """Take one submission whatever its lease (the job queue already guarantees one holder)."""
    now = utcnow()
    not_final = col(Submission.status).in_(
        [SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value]
    )
    return _claim(
        session, col(Submission.id) == submission_id, worker, now, lease_seconds, not_final
    )


def _claim(
    session: Session,
    which: Any,
    worker: str,
    now: datetime,
    lease_seconds: float,
    condition: Any,
) -> Claim | None:
    statement = (
        update(Submission)
        .where(which, condition)
        .values(
            status=SubmissionStatus.RUNNING.value,
            attempts=col(Submission.attempts) + 1,
            started_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            worker=worker,
        )
        .returning(
            col(Submission.id),
            col(Submission.user_id),
            col(Submission.exercise_id),
            col(Submission.files),
            col(Submission.attempts),
        )
    )
    row = session.execute(statement).first()
    if row is None:
        return None
    return Claim(
        submission_id=row[0],
        user_id=row[1],
        exercise_id=row[2],
        files=dict(row[3]),
        attempts=row[4],
        worker=worker,
        started_at=now,
    )


def complete(
    session: Session,
    claim: Claim,
    payload: Mapping[str, Any] | None,
    *,
    error: str | None = None,
    grading_ms: float | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the outcome once; returns False when the submission was already completed.

    ``payload`` is the engine's result JSON (graded); ``error`` without payload marks a
    grader failure (the learner is told to resubmit, no progress change). ``now`` is the
    finish time (default: the current time).
    """
    now = now or utcnow()
    status = SubmissionStatus.ERROR if payload is None else SubmissionStatus.GRADED
    won = session.execute(
        update(Submission)
        .where(
            col(Submission.id) == claim.submission_id,
            col(Submission.status).not_in(
                [SubmissionStatus.GRADED.value, SubmissionStatus.ERROR.value]
            ),
        )
        .values(status=status.value, finished_at=now, lease_expires_at=None, error=error)
    ).rowcount
    if won != 1:
        return False
    if payload is None:
        return True
    score, max_score = scores_of(payload)
    session.add(
        Result(
            submission_id=claim.submission_id,
            status=str(payload.get("status", "error")),
            score=score,
            max_score=max_score,
            payload=dict(payload),
            grading_ms=grading_ms,
            created_at=now,
        )
    )
    _record_progress(session, claim, score, max_score, now)
    return True


def scores_of(payload: Mapping[str, Any]) -> tuple[float, float]:
    """A result's score and maximum as stored (a missing one counts as 0)."""
    return float(payload.get("score") or 0.0), float(payload.get("max_score") or 0.0)


def is_solved(score: float, max_score: float) -> bool:
    """Full marks of something worth marks: what sets progress's ``first_solved_at``."""
    return max_score > 0 and score >= max_score


def _record_progress(
    session: Session, claim: Claim, score: float, max_score: float, now: datetime
) -> None:
    """One upsert, so concurrent completions for the same learner and exercise both count."""
    solved = is_solved(score, max_score)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Progress.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(
        user_id=claim.user_id,
        exercise_id=claim.exercise_id,
        best_score=score,
        max_score=max_score,
        attempts=1,
        first_solved_at=now if solved else None,
        last_submission_id=claim.submission_id,
        updated_at=now,
    )
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "exercise_id"],
        set_={
            "best_score": func.max(table.c.best_score, excluded.best_score)
            if dialect == "sqlite"
            else func.greatest(table.c.best_score, excluded.best_score),
            "max_score": excluded.max_score,
            "attempts": table.c.attempts + 1,
            "first_solved_at": func.coalesce(table.c.first_solved_at, excluded.first_solved_at),
            "last_submission_id": excluded.last_submission_id,
            "updated_at": excluded.updated_at,
        },
    )
    session.execute(statement)


def renew_leases(session: Session, worker: str, lease_seconds: float) -> int:
    """Push back the lease of every submission ``worker`` is grading; returns how many."""
    return session.execute(
        update(Submission)
        .where(
            col(Submission.worker) == worker,
            col(Submission.status) == SubmissionStatus.RUNNING.value,
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    ).rowcount


def give_up_if_exhausted(session: Session, claim: Claim, max_attempts: int) -> bool:
    """A submission whose workers died ``max_attempts`` times ends as an error, not a loop."""
    if claim.attempts <= max_attempts:
        return False
    complete(session, claim, None, error=interrupted_error(claim))
    return True


def interrupted_error(claim: Claim) -> str:
    """What a learner reads when the workers grading a submission kept dying."""
    return f"grading was interrupted {claim.attempts - 1} times; please submit again"


def queue_depth(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Submission)
        .where(col(Submission.status) == SubmissionStatus.QUEUED.value)
    ).one()


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(Submission.status, func.count()).group_by(col(Submission.status))
    ).all()
    counts = {status.value: 0 for status in SubmissionStatus}
    counts.update({status: count for status, count in rows})
    return counts


def iso_timestamp(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def phase_timestamps(submission: Submission) -> dict[str, str | None]:
    iso = iso_timestamp
    return {
        "submitted": iso(submission.submitted_at),
        "queued": iso(submission.queued_at),
        "started": iso(submission.started_at),
        "finished": iso(submission.finished_at),
    }


__all__ = [
    "Claim",
    "claim_by_id",
    "claim_next",
    "complete",
    "counts_by_status",
    "get_visible_submission",
    "give_up_if_exhausted",
    "interrupted_error",
    "is_solved",
    "iso_timestamp",
    "phase_timestamps",
    "queue_depth",
    "renew_leases",
    "result_of",
    "scores_of",
    "store_submission",
    "validate_files",
]
