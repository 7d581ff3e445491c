"""The short paths between "accepted" and "result on screen" keep every guarantee.

Which commits may skip the wait for the disk (a claim, procrastinate's own bookkeeping in a
worker) and which must not (the stored submission, the result), and the event stream reading
the database only when an event can change what the learner sees.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from grader.service import submissions
from grader.service.database import make_engine, read_scope, session_scope
from grader.service.events import NullSink, SubmissionEvent
from grader.service.models import User, utcnow
from grader.service.queue.distributed import build_app
from grader.service.queue.postgres_store import execute_durably, worker_pool
from grader.service.queue.worker import claim_and_announce, outcome_event
from grader.service.runtime import Services
from grader.service.settings import Settings
from grader.service.testing import EXERCISE_ID, World
from grader.web.api import submissions as api
from grader.web.api.schemas import SubmissionOut

PASSING = {"status": "pass", "score": 1.0, "max_score": 1.0, "tests": []}


def _synchronous_commit(session) -> str:
    return session.execute(text("SHOW synchronous_commit")).scalar_one()


@pytest.mark.postgres
def test_a_claim_commits_without_waiting_for_the_disk_while_other_transactions_wait(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    seen: list[str] = []
    try:
        claim_and_announce(
            engine, NullSink(), lambda session: seen.append(_synchronous_commit(session))
        )
        with session_scope(engine) as session:  # storing a submission, recording a result
            seen.append(_synchronous_commit(session))
    finally:
        engine.dispose()
    assert seen == ["off", "on"]


@pytest.mark.postgres
def test_a_workers_connections_skip_the_wait_for_the_disk_but_its_records_wait(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, secret_key="test")
    show = "SELECT current_setting('synchronous_commit') AS value"

    async def seen() -> dict[str, object]:
        pool = worker_pool(postgres_url, size=2)
        await pool.open(wait=True)
        try:
            app = build_app(settings)
            async with app.open_async(pool=pool):  # procrastinate's fetches and finishes
                by_procrastinate = await app.connector.execute_query_one_async(show)
            async with pool.connection() as conn:
                plain = await (await conn.execute(show)).fetchone()
                durable = await execute_durably(conn, show, {})
                return {
                    "autocommit": conn.autocommit,
                    "procrastinate": by_procrastinate["value"],
                    "claim": plain[0],  # type: ignore[index]
                    "record": durable[0][0],
                    "after the record": (await (await conn.execute(show)).fetchone())[0],  # type: ignore[index]
                }
        finally:
            await pool.close()

    assert asyncio.run(seen()) == {
        "autocommit": True,
        "procrastinate": "off",
        "claim": "off",
        "record": "on",
        "after the record": "off",
    }


def test_the_event_stream_rereads_only_for_news_of_a_status_it_has_not_sent(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.build(settings)
    engine = services.engine
    with session_scope(engine) as session:
        user = session.get(User, world.alice.id)
        assert user is not None
        submission_id = submissions.store_submission(
            session, user, EXERCISE_ID, {"counter.py": "x = 1\n"}, settings
        ).id
    with session_scope(engine) as session:
        claim = submissions.claim_next(session, "w1", 30)
    assert claim is not None and claim.submission_id == submission_id
    with session_scope(engine) as session:
        first = api._read(session, session.get(User, world.alice.id), submission_id)
    assert first.status == "running"

    rereads: list[str] = []
    reload = api._reload

    async def follow() -> list[str]:
        loop = asyncio.get_running_loop()
        reread_done: asyncio.Queue[None] = asyncio.Queue()

        def counting_reload(services: Services, submission_id: int) -> SubmissionOut:
            out = reload(services, submission_id)
            rereads.append(out.status)
            loop.call_soon_threadsafe(reread_done.put_nowait, None)
            return out

        monkeypatch.setattr(api, "_reload", counting_reload)
        inbox: asyncio.Queue[SubmissionEvent] = asyncio.Queue()
        stream = api._stream(services, submission_id, first, inbox)
        frames = [await anext(stream)]
        # News of the status already sent, then news the database does not bear out yet.
        inbox.put_nowait(event("running"))
        inbox.put_nowait(event("graded"))
        following = asyncio.create_task(anext(stream))
        while True:  # until the last of those two events has been acted on
            await asyncio.wait_for(reread_done.get(), 10)
            if inbox.empty():
                break
        assert not following.done()  # nothing new to send
        with session_scope(engine) as session:
            assert submissions.complete(session, claim, PASSING, grading_ms=1.0)
        inbox.put_nowait(event("graded"))
        frames.append((await asyncio.wait_for(following, 10)).decode())
        frames.extend([frame async for frame in stream])
        return [frame if isinstance(frame, str) else frame.decode() for frame in frames]

    def event(status: str) -> SubmissionEvent:
        return SubmissionEvent(submission_id, world.alice.id, EXERCISE_ID, status)

    try:
        frames = asyncio.run(follow())
    finally:
        engine.dispose()
    assert rereads == ["running", "graded"]  # none for the "running" news
    assert [frame.split("\n")[0] for frame in frames] == [
        "event: status",
        "event: status",
        "event: end",
    ]
    graded = json.loads(frames[1].split("data: ", 1)[1])
    assert graded["status"] == "graded" and graded["score"] == 1.0


def _data(frame: bytes) -> dict:
    return json.loads(frame.decode().split("data: ", 1)[1])


def _stored(services: Services, world: World, settings: Settings) -> int:
    with session_scope(services.engine) as session:
        user = session.get(User, world.alice.id)
        assert user is not None
        return submissions.store_submission(
            session, user, EXERCISE_ID, {"counter.py": "x = 1\n"}, settings
        ).id


def _first_read(services: Services, world: World, submission_id: int) -> SubmissionOut:
    with session_scope(services.engine) as session:
        return api._read(session, session.get(User, world.alice.id), submission_id)


def _graded(services: Services, payload: dict) -> tuple[submissions.Claim, SubmissionEvent]:
    """Claim and complete the queued submission; the outcome's news, as a worker sends it."""
    with session_scope(services.engine) as session:
        claim = submissions.claim_next(session, "w1", 30)
    assert claim is not None
    finished = utcnow()
    with session_scope(services.engine) as session:
        assert submissions.complete(session, claim, payload, grading_ms=1.0, now=finished)
    wire = outcome_event(claim, payload, None, 1.0, finished).to_json()
    return claim, SubmissionEvent.from_json(wire)


def _counting_rereads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rereads: list[int] = []
    reload = api._reload

    def counting_reload(services: Services, submission_id: int) -> SubmissionOut:
        rereads.append(submission_id)
        return reload(services, submission_id)

    monkeypatch.setattr(api, "_reload", counting_reload)
    return rereads


async def _frames_after(
    services: Services, first: SubmissionOut, news: list[SubmissionEvent]
) -> list[dict]:
    """The stream's frames after its first, one per piece of news."""
    inbox: asyncio.Queue[SubmissionEvent] = asyncio.Queue()
    stream = api._stream(services, first.id, first, inbox)
    await anext(stream)
    frames = []
    for event in news:
        inbox.put_nowait(event)
        frames.append(_data(await asyncio.wait_for(anext(stream), 10)))
    await stream.aclose()
    return frames


def test_the_event_stream_sends_running_and_final_frames_from_the_news_without_a_reread(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.build(settings)
    submission_id = _stored(services, world, settings)
    first = _first_read(services, world, submission_id)
    assert first.status == "queued"
    rereads = _counting_rereads(monkeypatch)
    started = "2026-11-24T10:00:00.250000+00:00"
    running_news = SubmissionEvent(
        submission_id, world.alice.id, EXERCISE_ID, "running", attempts=1, started=started
    )
    _, graded_news = _graded(services, PASSING)
    try:
        running, graded = asyncio.run(_frames_after(services, first, [running_news, graded_news]))
        assert rereads == []
        read_back = api._reload(services, submission_id).model_dump(mode="json")
    finally:
        services.engine.dispose()
    assert (running["status"], running["attempts"], running["phases"]["started"]) == (
        "running", 1, started
    )
    assert running["phases"]["submitted"] == first.phases.submitted
    # The "running" frame came from made-up news (its start time); the rest is the row's.
    assert {**graded, "phases": {**graded["phases"], "started": None}} == {
        **read_back, "phases": {**read_back["phases"], "started": None}
    }
    assert graded["status"] == "graded" and graded["attempts"] == 1 and graded["score"] == 1.0


def test_news_without_the_details_is_read_back(
    settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result too big for a NOTIFY travels without it; news of a step after one the
    stream missed lacks what that step changed. Either way the stream reads the row."""
    services = Services.build(settings)
    rereads = _counting_rereads(monkeypatch)
    try:
        # A result too big for the news, after the stream saw "running".
        big = _stored(services, world, settings)
        huge = {**PASSING, "output": {"stdout": "x" * 20_000}}
        claim, news = _graded(services, huge)
        assert news.result is None and news.finished is not None
        first = _first_read(services, world, big).model_copy(
            update={"status": "running", "attempts": claim.attempts}
        )
        (graded,) = asyncio.run(_frames_after(services, first, [news]))
        assert graded["result"]["output"]["stdout"] == "x" * 20_000
        # Full news of the outcome, to a stream that never saw "running".
        missed = _stored(services, world, settings)
        first = _first_read(services, world, missed)
        _, news = _graded(services, PASSING)
        (graded,) = asyncio.run(_frames_after(services, first, [news]))
        assert (graded["status"], graded["attempts"]) == ("graded", 1)
        assert graded["phases"]["started"] is not None
    finally:
        services.engine.dispose()
    assert rereads == [big, missed]


def test_a_read_scope_skips_the_transaction_on_postgresql_and_leaves_writers_transactional(
    settings: Settings, world: World
) -> None:
    engine = make_engine(settings.resolved_database_url, pool_size=1)
    postgres = engine.dialect.name == "postgresql"
    try:
        for _ in range(2):  # the second time on the connection the first one returned
            with read_scope(engine) as session:
                assert session.get(User, world.alice.id) is not None
                driver = session.connection().connection.driver_connection
                assert getattr(driver, "autocommit", False) is postgres
            # The same pooled connection, now in a writer's hands: still all or nothing.
            with pytest.raises(RuntimeError), session_scope(engine) as session:
                user = session.get(User, world.alice.id)
                assert user is not None
                user.display_name = "renamed, then rolled back"
                session.flush()
                raise RuntimeError("roll back")
            with read_scope(engine) as session:
                user = session.get(User, world.alice.id)
                assert user is not None and user.display_name == "alice"
    finally:
        engine.dispose()
