"""Embedded queue: the submissions table is the queue, worker processes sit beside the server.

A worker claims with one atomic UPDATE (``status='queued'`` or an expired lease -> ``running``
with a new lease), grades, and completes idempotently. The server wakes idle workers through a
shared semaphore after each commit; workers also look on their own every ``POLL_SECONDS`` so
work left by a previous run (or by a server on another machine) is never stranded.
On SIGTERM a worker stops claiming, cancels its gradings and puts them back to ``queued``; a
worker killed outright leaves its claims to expire and be taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from grader.service import submissions
from grader.service.database import make_engine, session_scope
from grader.service.events import EventSink, NullSink, PostgresSink, QueueSink
from grader.service.grading import build_grader
from grader.service.models import Submission, SubmissionStatus
from grader.service.queue.worker import SessionRecorder, claim_and_announce, grade_claim
from grader.service.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class EmbeddedQueue:
    name = "embedded"

    def __init__(self, wake: Any | None = None) -> None:
        self._wake = wake

    def enqueue(self, session: Session, submission: Submission) -> None:
        # The queued row itself is the job: nothing else to write.
        return None

    def committed(self) -> None:
        if self._wake is not None:
            self._wake.release()


class EmbeddedWorker:
    """One worker process's loop: up to ``worker_concurrency`` gradings at a time."""

    def __init__(
        self, settings: Settings, name: str, wake: Any | None = None, sink: EventSink | None = None
    ) -> None:
        self.settings = settings
        self.name = name
        self._wake = wake
        self._engine = make_engine(settings.resolved_database_url, pool_size=2)
        if sink is None:
            sink = PostgresSink() if self._engine.dialect.name == "postgresql" else NullSink()
        self._sink = sink
        self._recorder = SessionRecorder(self._engine, sink)
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[bool]] = set()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, *, until_idle: bool = False) -> None:
        """Grade until stopped; with ``until_idle``, return once nothing is left to claim."""
        grader = build_grader(self.settings.grader, self.settings.exercises_dir)
        await grader.start()
        slots = asyncio.Semaphore(max(1, self.settings.worker_concurrency))
        heartbeat = asyncio.create_task(self._renew_leases())
        try:
            while not self._stopping.is_set():
                await slots.acquire()
                if self._stopping.is_set():
                    slots.release()
                    break
                claim = await asyncio.to_thread(self._claim)
                if claim is None:
                    slots.release()
                    if until_idle:
                        if not self._tasks:
                            break
                        await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
                        continue
                    await self._idle()
                    continue
                task = asyncio.create_task(
                    grade_claim(grader, self._recorder, claim, self.settings.max_attempts)
                )
                self._tasks.add(task)
                task.add_done_callback(lambda t: (self._tasks.discard(t), slots.release()))
        finally:
            heartbeat.cancel()
            await self._shutdown()
            await grader.close()
            self._engine.dispose()

    async def _renew_leases(self) -> None:
        """Extend the leases of what this worker grades, so a slow grading is not taken over;
        only a worker that stopped renewing (dead, frozen) loses its claims."""
        every = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            if self._tasks:
                await asyncio.to_thread(self._extend)

    def _extend(self) -> None:
        with session_scope(self._engine) as session:
            submissions.renew_leases(session, self.name, self.settings.lease_seconds)

    def _claim(self) -> submissions.Claim | None:
        return claim_and_announce(
            self._engine,
            self._sink,
            lambda session: submissions.claim_next(session, self.name, self.settings.lease_seconds),
        )

    async def _idle(self) -> None:
        """Wait for a wake-up from the server, the poll interval, or a stop request."""
        stop = asyncio.create_task(self._stopping.wait())
        if self._wake is not None:
            wake = asyncio.create_task(asyncio.to_thread(self._wake.acquire, True, POLL_SECONDS))
        else:
            wake = asyncio.create_task(asyncio.sleep(POLL_SECONDS))
        await asyncio.wait({stop, wake}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()

    async def _shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self._release_claims)

    def _release_claims(self) -> None:
        """Hand unfinished work back to the queue so the next worker starts it at once."""
        with session_scope(self._engine) as session:
            session.execute(
                update(Submission)
                .where(
                    col(Submission.worker) == self.name,
                    col(Submission.status) == SubmissionStatus.RUNNING.value,
                )
                .values(
                    status=SubmissionStatus.QUEUED.value,
                    lease_expires_at=None,
                    attempts=col(Submission.attempts) - 1,
                )
            )


def worker_name(index: int | str = 0) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


def _process_main(settings: Settings, wake: Any, events: Any, index: int) -> None:
    """Entry point of a spawned worker process."""
    logging.basicConfig(level=logging.WARNING)
    sink: EventSink | None = None
    if events is not None and settings.is_sqlite:
        sink = QueueSink(events)
    worker = EmbeddedWorker(settings, worker_name(index), wake, sink)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.stop)
        await worker.run()

    asyncio.run(main())


class WorkerPool:
    """The server's worker processes (spawned, so they never inherit the server's loop).

    A one_for_one supervisor in miniature: ``revive`` (called every second by the server)
    replaces a worker that died, and the replacement takes over its expired claims.
    """

    def __init__(self, settings: Settings, count: int) -> None:
        self._context = multiprocessing.get_context("spawn")
        self.settings = settings
        self.count = count
        self.wake = self._context.Semaphore(0)
        self.events = self._context.Queue()
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.restarts = 0
        self._stopping = False

    def _spawn(self, index: int) -> multiprocessing.process.BaseProcess:
        process = self._context.Process(
            target=_process_main,
            args=(self.settings, self.wake, self.events, index),
            name=f"academy-worker-{index}",
            daemon=False,
        )
        process.start()
        return process

    def start(self) -> None:
        self.processes = [self._spawn(index) for index in range(self.count)]

    def revive(self) -> int:
        """Restart workers that died; returns how many were restarted."""
        restarted = 0
        for index, process in enumerate(self.processes):
            if self._stopping:
                break
            if not process.is_alive():
                log.warning("grading worker %s exited (%s); restarting it", index, process.exitcode)
                process.join(0)
                self.processes[index] = self._spawn(index)
                restarted += 1
        self.restarts += restarted
        return restarted

    def alive(self) -> int:
        return sum(1 for process in self.processes if process.is_alive())

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        for process in self.processes:
            if process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)  # type: ignore[arg-type]
        for process in self.processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join()
        self.processes.clear()
