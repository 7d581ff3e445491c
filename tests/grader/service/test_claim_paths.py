"""The two claims — SQLAlchemy's (embedded queue) and one SQL statement on procrastinate's
connection (deployed queue) — take a submission the same way, so exactly-once does not
depend on which queue runs."""

from __future__ import annotations

import asyncio

import pytest

from grader.service import submissions
from grader.service.database import session_scope
from grader.service.models import Submission, User
from grader.service.queue import distributed
from grader.service.queue.distributed import _claim_on_queue_connection, build_app
from grader.service.runtime import Services
from grader.service.settings import Settings
from grader.service.testing import EXERCISE_ID, World, truncate_all

LEASE = 30.0
FILES = {"counter.py": "x = 1\n"}


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: procrastinate's queue runs nowhere else."""
    truncate_all(postgres_url)
    return postgres_url


def _store(services: Services, world: World, settings: Settings) -> int:
    with session_scope(services.engine) as session:
        user = session.get(User, world.alice.id)
        assert user is not None
        return submissions.store_submission(session, user, EXERCISE_ID, FILES, settings).id


def _row(services: Services, submission_id: int) -> Submission:
    with session_scope(services.engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.mark.postgres
def test_both_claims_take_a_submission_alike_and_refuse_a_final_one(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.build(settings)
    by_session, by_statement = _store(services, world, settings), _store(services, world, settings)

    with session_scope(services.engine) as session:
        claimed_by_session = submissions.claim_by_id(session, by_session, "w", LEASE)

    async def claim_on_queue(submission_id: int) -> submissions.Claim | None:
        app = build_app(settings, worker=True)
        async with app.open_async():
            monkeypatch.setattr(distributed._state, "app", app)
            monkeypatch.setattr(distributed._state, "name", "w")
            return await _claim_on_queue_connection(submission_id, LEASE)

    claimed_by_statement = asyncio.run(claim_on_queue(by_statement))
    assert claimed_by_session is not None and claimed_by_statement is not None
    for claim, submission_id in ((claimed_by_session, by_session),
                                 (claimed_by_statement, by_statement)):
        assert (claim.submission_id, claim.user_id, claim.exercise_id, claim.files,
                claim.attempts, claim.worker) == (submission_id, world.alice.id, EXERCISE_ID,
                                                  FILES, 1, "w")
    rows = [_row(services, by_session), _row(services, by_statement)]
    for row in rows:
        assert (row.status, row.attempts, row.worker) == ("running", 1, "w")
        assert row.started_at is not None and row.lease_expires_at is not None
        assert (row.lease_expires_at - row.started_at).total_seconds() == pytest.approx(LEASE)

    # Once final, neither claims it again (a duplicated or retried job finds nothing to do).
    with session_scope(services.engine) as session:
        for submission_id in (by_session, by_statement):
            row = session.get(Submission, submission_id)
            assert row is not None
            row.status = "graded"
    with session_scope(services.engine) as session:
        assert submissions.claim_by_id(session, by_statement, "w", LEASE) is None
    assert asyncio.run(claim_on_queue(by_session)) is None
