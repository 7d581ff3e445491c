"""Live news about submissions: workers emit, web processes fan out to SSE subscribers.

Two transports behind one ``EventHub`` (what the web layer subscribes to):

- PostgreSQL: a worker calls ``pg_notify`` inside the transaction that completes the
  submission, so the news leaves exactly when the result is committed, and every web replica
  LISTENing on ``CHANNEL`` receives it.
- SQLite (embedded): worker processes are children of the server; they put events on a
  ``multiprocessing`` queue after commit, and a thread in the server feeds the hub.

Subscribers must re-read the database after subscribing: an event is a hint to look, the
database is the truth (that makes a missed or duplicated notification harmless).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue as thread_queue
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "academy_events"

# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
NOTIFY_LIMIT = 7900


@dataclass(frozen=True)
class SubmissionEvent:
    submission_id: int
    user_id: int
    exercise_id: str
    status: str
    score: float | None = None
    max_score: float | None = None
    # What the write changed besides the status, so a stream can send the learner the new
    # state without reading the row back: the claim's on "running" news, the outcome's on
    # "graded"/"error" news (``result`` is left out when it would not fit a NOTIFY).
    attempts: int | None = None
    started: str | None = None  # ISO 8601, as ``submissions.phase_timestamps`` writes it
    finished: str | None = None
    error: str | None = None
    grading_ms: float | None = None
    result: dict[str, Any] | None = None

    def to_json(self) -> str:
        text = json.dumps(asdict(self))
        if len(text) >= NOTIFY_LIMIT and self.result is not None:  # ASCII: chars = bytes
            return replace(self, result=None).to_json()
        return text

    @classmethod
    def from_json(cls, payload: str) -> SubmissionEvent:
        """Keys this version does not know are dropped: during a rolling upgrade a newer
        worker's news must not break an older web process's LISTEN loop."""
        data = json.loads(payload)
        return cls(**{name: data[name] for name in _FIELDS if name in data})


_FIELDS = tuple(field.name for field in fields(SubmissionEvent))


class EventSink(Protocol):
    """The worker's side: ``emit`` inside the transaction, ``flush`` after it committed."""

    def emit(self, session: Session, event: SubmissionEvent) -> None: ...

    def flush(self) -> None: ...


class PostgresSink:
    def __init__(self) -> None:
        self._pending = 0

    def emit(self, session: Session, event: SubmissionEvent) -> None:
        session.execute(select(func.pg_notify(CHANNEL, event.to_json())))

    def flush(self) -> None:
        return None


class QueueSink:
    """Hands events to the parent server through a multiprocessing queue, after commit."""

    def __init__(self, events: Any) -> None:
        self._events = events
        self._pending: list[SubmissionEvent] = []

    def emit(self, session: Session, event: SubmissionEvent) -> None:
        self._pending.append(event)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for event in pending:
            with contextlib.suppress(Exception):
                self._events.put_nowait(event.to_json())


class NullSink:
    def emit(self, session: Session, event: SubmissionEvent) -> None:
        return None

    def flush(self) -> None:
        return None


class EventHub:
    """In-process fan-out to asyncio subscribers; thread-safe ``publish``."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[SubmissionEvent]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stoppers: list[Callable[[], Any]] = []

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: SubmissionEvent) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(event)
        else:
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: SubmissionEvent) -> None:
        for subscriber in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.put_nowait(event)

    def open_inbox(self, maxsize: int = 1000) -> asyncio.Queue[SubmissionEvent]:
        """Start receiving every event; pair with ``close_inbox`` (or use ``subscribe``)."""
        self.bind(asyncio.get_running_loop())
        inbox: asyncio.Queue[SubmissionEvent] = asyncio.Queue(maxsize)
        self._subscribers.add(inbox)
        return inbox

    def close_inbox(self, inbox: asyncio.Queue[SubmissionEvent]) -> None:
        self._subscribers.discard(inbox)

    @contextlib.asynccontextmanager
    async def subscribe(self, maxsize: int = 1000) -> AsyncIterator[asyncio.Queue[SubmissionEvent]]:
        inbox = self.open_inbox(maxsize)
        try:
            yield inbox
        finally:
            self.close_inbox(inbox)

    # -- sources ---------------------------------------------------------------------------

    def feed_from_process_queue(self, events: Any) -> None:
        """Start a thread moving events from child worker processes into the hub."""
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    payload = events.get(timeout=0.5)
                except thread_queue.Empty:
                    continue
                except (EOFError, OSError):
                    return
                self.publish(SubmissionEvent.from_json(payload))

        thread = threading.Thread(target=pump, name="academy-events", daemon=True)
        thread.start()
        self._stoppers.append(stop.set)

    async def listen_postgres(self, url: str) -> None:
        """LISTEN on ``CHANNEL`` until cancelled; reconnects after a lost connection."""
        import psycopg

        from grader.service.database import psycopg_conninfo

        conninfo = psycopg_conninfo(url)
        self.bind(asyncio.get_running_loop())
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    async for notify in conn.notifies():
                        self._deliver(SubmissionEvent.from_json(notify.payload))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("lost the LISTEN connection; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)

    def close(self) -> None:
        for stop in self._stoppers:
            stop()
        self._stoppers.clear()
