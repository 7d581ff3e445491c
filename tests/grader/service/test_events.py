"""Live events: delivered on commit (never on rollback), to every listening process."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from dataclasses import replace

import pytest

from grader.service.database import make_engine, session_scope
from grader.service.events import (
    NOTIFY_LIMIT,
    EventHub,
    PostgresSink,
    QueueSink,
    SubmissionEvent,
)

EVENT = SubmissionEvent(
    submission_id=7, user_id=1, exercise_id="a/b", status="graded", score=1.0, max_score=1.0
)


async def _listening(url: str) -> tuple[asyncio.Task, asyncio.Queue]:
    hub = EventHub()
    inbox = hub.open_inbox()
    task = asyncio.create_task(hub.listen_postgres(url))
    # LISTEN is in place once a probe notification comes back.
    probe = SubmissionEvent(0, 0, "probe", "queued")
    while True:
        await asyncio.to_thread(_notify, url, probe)
        try:
            if (await asyncio.wait_for(inbox.get(), 0.5)).exercise_id == "probe":
                return task, inbox
        except TimeoutError:
            continue


def _notify(url: str, event: SubmissionEvent, *, commit: bool = True) -> None:
    engine = make_engine(url)
    try:
        if commit:
            with session_scope(engine) as session:
                PostgresSink().emit(session, event)
        else:
            with pytest.raises(RuntimeError), session_scope(engine) as session:
                PostgresSink().emit(session, event)
                raise RuntimeError("rolled back")
    finally:
        engine.dispose()


@pytest.mark.postgres
async def test_a_notification_reaches_every_listening_hub_once_committed(postgres_url) -> None:
    first_task, first_inbox = await _listening(postgres_url)
    second_task, second_inbox = await _listening(postgres_url)
    try:
        while not first_inbox.empty():
            first_inbox.get_nowait()
        await asyncio.to_thread(_notify, postgres_url, EVENT, commit=False)
        await asyncio.to_thread(_notify, postgres_url, EVENT)
        for inbox in (first_inbox, second_inbox):
            received = await asyncio.wait_for(inbox.get(), 5)
            while received.exercise_id == "probe":
                received = await asyncio.wait_for(inbox.get(), 5)
            assert received == EVENT
            assert inbox.empty()  # the rolled-back one never arrived
    finally:
        for task in (first_task, second_task):
            task.cancel()
        await asyncio.gather(first_task, second_task, return_exceptions=True)


async def test_events_from_a_child_process_queue_reach_subscribers_after_flush() -> None:
    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    hub = EventHub()
    async with hub.subscribe() as inbox:
        hub.feed_from_process_queue(events)
        sink = QueueSink(events)
        sink.emit(None, EVENT)  # type: ignore[arg-type]
        assert inbox.empty()  # held until the transaction committed
        sink.flush()
        assert await asyncio.wait_for(inbox.get(), 5) == EVENT
    hub.close()


@pytest.mark.postgres
async def test_news_too_big_for_a_notify_travels_without_its_result(postgres_url) -> None:
    big = replace(EVENT, result={"output": {"stdout": "é" * 3000 + "x" * 10_000}})
    text = big.to_json()
    assert len(text.encode()) < NOTIFY_LIMIT
    assert SubmissionEvent.from_json(text) == replace(big, result=None)
    small = replace(EVENT, result={"status": "pass"})
    assert SubmissionEvent.from_json(small.to_json()) == small
    task, inbox = await _listening(postgres_url)
    try:
        await asyncio.to_thread(_notify, postgres_url, big)  # PostgreSQL takes it
        received = await asyncio.wait_for(inbox.get(), 5)
        while received.exercise_id == "probe":
            received = await asyncio.wait_for(inbox.get(), 5)
        assert received == replace(big, result=None)
    finally:
        task.cancel()


def test_news_from_a_newer_or_older_worker_still_reads() -> None:
    """Rolling upgrades: unknown keys are dropped, missing details stay None (and the
    stream then reads the row)."""
    newer = json.dumps({**json.loads(EVENT.to_json()), "queue_position": 3})
    assert SubmissionEvent.from_json(newer) == EVENT
    older = json.dumps(
        {"submission_id": 7, "user_id": 1, "exercise_id": "a/b", "status": "running"}
    )
    assert SubmissionEvent.from_json(older) == SubmissionEvent(7, 1, "a/b", "running")
