"""Submissions: stored before grading, claimed once, completed once, progress kept right."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from grader.service import submissions
from grader.service.database import as_utc, make_engine, session_scope
from grader.service.errors import InvalidSubmission, NotFound, RateLimited, SubmissionTooLarge
from grader.service.models import Progress, Result, Submission, User, utcnow
from grader.service.settings import Settings
from grader.service.testing import EXERCISE_ID, World

PASSING = {"result": {"status": "pass", "score": 1.0, "max_score": 1.0, "tests": []}}


def _payload(score: float) -> dict:
    return {
        "status": "pass" if score >= 1 else "fail",
        "score": score,
        "max_score": 1.0,
        "tests": [{"name": "test_one", "status": "pass" if score >= 1 else "fail"}],
    }


@pytest.fixture
def engine(settings: Settings, world: World):
    engine = make_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


def _store(engine, settings: Settings, user_id: int, code: str = "x = 1\n") -> int:
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        return submissions.store_submission(
            session, user, EXERCISE_ID, {"counter.py": code}, settings
        ).id


def test_a_stored_submission_is_queued_with_its_files_and_timestamps(engine, settings, world):
    submission_id = _store(engine, settings, world.alice.id, "print('hi')\n")
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row.status == "queued"
        assert row.files == {"counter.py": "print('hi')\n"}
        assert row.attempts == 0
        assert row.submitted_at is not None and row.queued_at is not None
        assert row.started_at is None and row.finished_at is None


def test_an_unknown_exercise_is_refused_by_name(engine, settings, world):
    with session_scope(engine) as session, pytest.raises(NotFound, match="no-such/exercise"):
        user = session.get(User, world.alice.id)
        submissions.store_submission(session, user, "no-such/exercise", {"a.py": ""}, settings)


@pytest.mark.parametrize(
    "files, error",
    [
        ({}, InvalidSubmission),
        ({"../etc/passwd": "x"}, InvalidSubmission),
        ({"dir/file.py": "x"}, InvalidSubmission),
        ({"a.py": 3}, InvalidSubmission),
        ({"a.py": "\x00"}, InvalidSubmission),
        ({"a.py": "x" * 300_000}, SubmissionTooLarge),
    ],
)
def test_malformed_files_are_refused_before_anything_is_stored(settings, files, error):
    with pytest.raises(error):
        submissions.validate_files(files, settings)


def test_the_rate_limit_counts_a_learners_recent_submissions(engine, settings, world):
    limited = settings.with_changes(submit_rate=2)
    _store(engine, limited, world.alice.id)
    _store(engine, limited, world.alice.id)
    with pytest.raises(RateLimited):
        _store(engine, limited, world.alice.id)
    _store(engine, limited, world.bob.id)  # another learner is not limited by alice


def test_a_claim_takes_the_oldest_queued_submission_exactly_once(engine, settings, world):
    first = _store(engine, settings, world.alice.id)
    second = _store(engine, settings, world.bob.id)
    with session_scope(engine) as session:
        claim_a = submissions.claim_next(session, "w1", 30)
    with session_scope(engine) as session:
        claim_b = submissions.claim_next(session, "w2", 30)
    with session_scope(engine) as session:
        claim_c = submissions.claim_next(session, "w3", 30)
    assert (claim_a.submission_id, claim_b.submission_id) == (first, second)
    assert claim_c is None
    assert claim_a.attempts == 1 and claim_a.files == {"counter.py": "x = 1\n"}


def test_an_expired_lease_is_taken_over_and_counts_an_attempt(engine, settings, world):
    submission_id = _store(engine, settings, world.alice.id)
    with session_scope(engine) as session:
        assert submissions.claim_next(session, "dead-worker", 30) is not None
    with session_scope(engine) as session:
        assert submissions.claim_next(session, "w2", 30) is None  # lease still held
        session.execute(
            update(Submission)
            .where(col(Submission.id) == submission_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    with session_scope(engine) as session:
        claim = submissions.claim_next(session, "w2", 30)
    assert claim.submission_id == submission_id
    assert claim.attempts == 2 and claim.worker == "w2"


def test_completing_twice_records_one_result_and_one_attempt_of_progress(engine, settings, world):
    _store(engine, settings, world.alice.id)
    with session_scope(engine) as session:
        claim = submissions.claim_next(session, "w1", 30)
    with session_scope(engine) as session:
        assert submissions.complete(session, claim, _payload(1.0)) is True
    with session_scope(engine) as session:
        assert submissions.complete(session, claim, _payload(0.0)) is False
    with session_scope(engine) as session:
        results = session.exec(select(Result)).all()
        progress = session.exec(select(Progress)).one()
        row = session.get(Submission, claim.submission_id)
    assert [r.score for r in results] == [1.0]
    assert (progress.best_score, progress.attempts) == (1.0, 1)
    assert progress.first_solved_at is not None
    assert row.status == "graded" and row.finished_at is not None and row.lease_expires_at is None


def test_progress_keeps_the_best_score_and_the_first_solve_time(engine, settings, world):
    scores = [0.5, 1.0, 0.25, 1.0]
    solved_at = []
    for score in scores:
        _store(engine, settings, world.alice.id)
        with session_scope(engine) as session:
            claim = submissions.claim_next(session, "w", 30)
            submissions.complete(session, claim, _payload(score))
        with session_scope(engine) as session:
            solved_at.append(session.exec(select(Progress)).one().first_solved_at)
    with session_scope(engine) as session:
        progress = session.exec(select(Progress)).one()
    assert progress.best_score == 1.0
    assert progress.attempts == 4
    assert solved_at[0] is None and solved_at[1] == solved_at[2] == solved_at[3]


def test_a_grader_failure_ends_as_error_without_progress(engine, settings, world):
    _store(engine, settings, world.alice.id)
    with session_scope(engine) as session:
        claim = submissions.claim_next(session, "w", 30)
        submissions.complete(session, claim, None, error="the grader failed")
    with session_scope(engine) as session:
        row = session.get(Submission, claim.submission_id)
        assert row.status == "error" and row.error == "the grader failed"
        assert session.exec(select(Progress)).all() == []


def test_a_submission_interrupted_too_often_ends_as_error(engine, settings, world):
    submission_id = _store(engine, settings, world.alice.id)
    for attempt in range(4):
        with session_scope(engine) as session:
            session.execute(
                update(Submission)
                .where(col(Submission.id) == submission_id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        with session_scope(engine) as session:
            claim = submissions.claim_next(session, f"w{attempt}", 30)
            gave_up = submissions.give_up_if_exhausted(session, claim, max_attempts=3)
    assert gave_up
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
    assert row.status == "error" and "interrupted 3 times" in row.error


def test_the_unique_constraint_refuses_a_second_result_row(engine, settings, world):
    from sqlalchemy.exc import IntegrityError

    submission_id = _store(engine, settings, world.alice.id)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Result(submission_id=submission_id, status="pass"))
        session.add(Result(submission_id=submission_id, status="fail"))
        session.flush()


def test_renewing_keeps_a_slow_grading_from_being_taken_over(engine, settings, world):
    submission_id = _store(engine, settings, world.alice.id)
    with session_scope(engine) as session:
        submissions.claim_next(session, "slow-worker", 30)
        session.execute(
            update(Submission)
            .where(col(Submission.id) == submission_id)
            .values(lease_expires_at=utcnow() + timedelta(seconds=1))
        )
    with session_scope(engine) as session:
        assert submissions.renew_leases(session, "slow-worker", 30) == 1
        assert submissions.renew_leases(session, "another-worker", 30) == 0
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        lease = as_utc(row.lease_expires_at)
    assert lease > utcnow() + timedelta(seconds=25)
