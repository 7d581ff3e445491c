"""Each write a worker makes exists in two forms: SQLAlchemy's (the embedded queue, any
database) and one SQL statement on the deployed worker's own connection (``postgres_store``).
These tests hold the two forms to the same rows and the same news, so exactly-once and the
learners' progress do not depend on which queue runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from grader.service import submissions
from grader.service.database import make_engine, psycopg_conninfo, session_scope
from grader.service.events import CHANNEL, PostgresSink, SubmissionEvent
from grader.service.models import Progress, Result, Submission, User
from grader.service.queue.postgres_store import PostgresWorkerStore, worker_pool
from grader.service.queue.worker import SessionRecorder, claim_and_announce
from grader.service.settings import Settings
from grader.service.testing import EXERCISE_ID, OTHER_EXERCISE_ID, World, truncate_all
from grader.web.api.schemas import SubmissionOut

LEASE = 30.0
FILES = {"counter.py": "x = 1\n"}


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: the deployed worker's statements run nowhere else."""
    truncate_all(postgres_url)
    return postgres_url


@pytest.fixture
def engine(settings: Settings, world: World) -> Iterator[Any]:
    engine = make_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


def _store(engine: Any, settings: Settings, user_id: int, exercise_id: str = EXERCISE_ID) -> int:
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return submissions.store_submission(session, user, exercise_id, FILES, settings).id


def _claim_by_session(engine: Any, submission_id: int) -> submissions.Claim | None:
    with session_scope(engine) as session:
        return submissions.claim_by_id(session, submission_id, "w", LEASE)


def _row(engine: Any, submission_id: int) -> Submission:
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        session.expunge(row)
        return row


def _payload(score: float, max_score: float = 1.0) -> dict[str, Any]:
    passed = score >= max_score
    return {
        "status": "pass" if passed else "fail",
        "score": score,
        "max_score": max_score,
        "tests": [{"name": "test_one", "status": "pass" if passed else "fail"}],
    }


def _on_store(settings: Settings, work: Any) -> Any:
    """Run ``work(store)`` on an open deployed-worker store, in a fresh event loop."""

    async def main() -> Any:
        pool = worker_pool(settings.resolved_database_url, size=2)
        await pool.open(wait=True)
        try:
            return await work(PostgresWorkerStore(pool, "w"))
        finally:
            await pool.close()

    return asyncio.run(main())


def _listening(
    settings: Settings, work: Any, expect: int
) -> tuple[Any, list[SubmissionEvent]]:
    """``work()`` while LISTENing on the events channel; returns its value and the news.

    News leaves at commit, before ``work`` returns: waiting for ``expect`` pieces (or a
    moment, when none is expected) sees all that was sent."""
    conninfo = psycopg_conninfo(settings.resolved_database_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        value = work()
        notifies = conn.notifies(timeout=5.0 if expect else 0.2, stop_after=expect or None)
        news = [SubmissionEvent.from_json(notify.payload) for notify in notifies]
    return value, news


@pytest.mark.postgres
def test_both_claims_take_a_submission_alike_and_refuse_a_final_one(
    engine: Any, settings: Settings, world: World
) -> None:
    by_session, by_statement = (_store(engine, settings, world.alice.id) for _ in range(2))
    claimed_by_session, session_news = _listening(
        settings,
        lambda: claim_and_announce(
            engine,
            PostgresSink(),
            lambda session: submissions.claim_by_id(session, by_session, "w", LEASE),
        ),
        1,
    )
    claimed_by_statement, statement_news = _listening(
        settings, lambda: _on_store(settings, lambda store: store.claim(by_statement, LEASE)), 1
    )
    assert claimed_by_session is not None and claimed_by_statement is not None
    for claim, submission_id in (
        (claimed_by_session, by_session),
        (claimed_by_statement, by_statement),
    ):
        assert (
            claim.submission_id, claim.user_id, claim.exercise_id, claim.files,
            claim.attempts, claim.worker,
        ) == (submission_id, world.alice.id, EXERCISE_ID, FILES, 1, "w")
    for row in (_row(engine, by_session), _row(engine, by_statement)):
        assert (row.status, row.attempts, row.worker) == ("running", 1, "w")
        assert row.started_at is not None and row.lease_expires_at is not None
        assert (row.lease_expires_at - row.started_at).total_seconds() == pytest.approx(LEASE)
    # Both announce the claim with what it changed, so a stream need not read it back.
    for news, submission_id in ((session_news, by_session), (statement_news, by_statement)):
        started = submissions.iso_timestamp(_row(engine, submission_id).started_at)
        assert news == [
            SubmissionEvent(
                submission_id, world.alice.id, EXERCISE_ID, "running", attempts=1, started=started
            )
        ]

    # Once final, neither claims it again (a duplicated or retried job finds nothing to do).
    with session_scope(engine) as session:
        for submission_id in (by_session, by_statement):
            row = session.get(Submission, submission_id)
            assert row is not None
            row.status = "graded"
    assert _claim_by_session(engine, by_statement) is None
    assert _on_store(settings, lambda store: store.claim(by_session, LEASE)) is None


def _snapshot(engine: Any, submission_id: int) -> dict[str, Any]:
    """What a completion leaves behind, without the ids and clocks that must differ."""
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        result = session.exec(select(Result).where(Result.submission_id == submission_id)).first()
        progress = session.get(Progress, (row.user_id, row.exercise_id))
        return {
            "status": row.status,
            "error": row.error,
            "finished": row.finished_at is not None,
            "lease": row.lease_expires_at,
            "result": None
            if result is None
            else (result.status, result.score, result.max_score, result.payload, result.grading_ms),
            "progress": None
            if progress is None
            else (
                progress.best_score,
                progress.max_score,
                progress.attempts,
                progress.first_solved_at is not None,
                progress.last_submission_id == submission_id,
            ),
        }


def _record_both(
    engine: Any,
    settings: Settings,
    claims: tuple[submissions.Claim, submissions.Claim],
    payload: dict[str, Any] | None,
    error: str | None,
    expect_news: int = 0,  # -1: do not listen
) -> tuple[tuple[bool, bool], list[SubmissionEvent]]:
    """Record one outcome by each form: the session form for ``claims[0]``, the statement
    form for ``claims[1]``; returns what each said and the news both sent, in order."""
    recorder = SessionRecorder(engine, PostgresSink())

    def both() -> tuple[bool, bool]:
        by_session = asyncio.run(recorder.record(claims[0], payload, error, 12.5))
        by_statement = _on_store(
            settings, lambda store: store.record(claims[1], payload, error, 12.5)
        )
        return by_session, by_statement

    if expect_news < 0:
        return both(), []
    return _listening(settings, both, expect_news)


def _claimed_pair(engine: Any, settings: Settings, users: tuple[int, int], exercise: str):
    claims = []
    for user_id in users:
        claim = _claim_by_session(engine, _store(engine, settings, user_id, exercise))
        assert claim is not None
        claims.append(claim)
    return claims[0], claims[1]


@pytest.mark.postgres
def test_both_records_write_the_same_result_progress_and_news_once(
    engine: Any, settings: Settings, world: World
) -> None:
    # Alice's submissions go through the session, Bob's through the statement: the same
    # outcomes must leave the same rows for each of them.
    learners = (world.alice.id, world.bob.id)
    first = _claimed_pair(engine, settings, learners, EXERCISE_ID)
    said, news = _record_both(engine, settings, first, _payload(1.0), None, expect_news=2)
    assert said == (True, True)
    assert _snapshot(engine, first[0].submission_id) == _snapshot(engine, first[1].submission_id)
    assert _snapshot(engine, first[0].submission_id)["progress"] == (1.0, 1.0, 1, True, True)
    # The news says what a read of the row would: a stream can pass it on as it is.
    assert [event.submission_id for event in news] == [claim.submission_id for claim in first]
    for event in news:
        assert event == _as_read_back(engine, event.submission_id)
    assert news[0].result == _payload(1.0) and news[0].grading_ms == 12.5

    # Recording again changes nothing and sends no news: the first outcome stands.
    said, news = _record_both(engine, settings, first, _payload(0.0), None)
    assert said == (False, False) and news == []
    assert _snapshot(engine, first[1].submission_id)["result"][1] == 1.0

    # A grader failure: an error with its message, no result, progress untouched.
    failed = _claimed_pair(engine, settings, learners, EXERCISE_ID)
    said, news = _record_both(engine, settings, failed, None, "the grader failed", 2)
    assert said == (True, True)
    snapshots = [_snapshot(engine, claim.submission_id) for claim in failed]
    assert snapshots[0] == snapshots[1]
    assert (snapshots[0]["status"], snapshots[0]["error"], snapshots[0]["result"]) == (
        "error", "the grader failed", None
    )
    assert [event.status for event in news] == ["error", "error"]
    for event in news:
        assert event == _as_read_back(engine, event.submission_id)


def _as_read_back(engine: Any, submission_id: int) -> SubmissionEvent:
    """The outcome's news as ``GET /api/submissions/{id}`` would show the row."""
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        out = SubmissionOut.of(row, submissions.result_of(session, submission_id))
    return SubmissionEvent(
        submission_id=out.id,
        user_id=out.user_id,
        exercise_id=out.exercise_id,
        status=out.status,
        score=out.score,
        max_score=out.max_score,
        finished=out.phases.finished,
        error=out.error,
        grading_ms=out.grading_ms,
        result=out.result,
    )


@pytest.mark.postgres
@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scores=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, None]), min_size=1, max_size=4))
def test_any_sequence_of_outcomes_leaves_the_same_progress_by_either_form(
    engine: Any, settings: Settings, world: World, scores: list[float | None]
) -> None:
    """Best score kept, attempts counted, first solve time kept, errors not counted."""
    truncate_all_submissions(engine)
    learners = (world.alice.id, world.bob.id)
    for score in scores:
        pair = _claimed_pair(engine, settings, learners, OTHER_EXERCISE_ID)
        payload = None if score is None else _payload(score)
        _record_both(engine, settings, pair, payload, None if payload else "failed", -1)
    with session_scope(engine) as session:
        rows = [session.get(Progress, (user, OTHER_EXERCISE_ID)) for user in learners]
        kept = [
            None if row is None else (row.best_score, row.attempts, row.first_solved_at is None)
            for row in rows
        ]
    graded = [score for score in scores if score is not None]
    expected = None if not graded else (max(graded), len(graded), 1.0 not in graded)
    assert kept == [expected, expected]


def truncate_all_submissions(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("TRUNCATE results, progress, submissions RESTART IDENTITY CASCADE"))
