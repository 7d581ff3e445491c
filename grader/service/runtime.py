"""``Services``: the service's long-lived pieces for one web process, wired from ``Settings``.

Held on ``app.state.services``; started and stopped by the app's lifespan. Tests build one
around a temporary database and a ``StubGrader``; ``academy serve`` around the data dir.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from grader.service.database import make_engine, session_scope
from grader.service.events import EventHub
from grader.service.metrics import Metrics
from grader.service.queue import GradingQueue, build_queue
from grader.service.queue.embedded import WorkerPool
from grader.service.settings import QueueMode, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthStatus:
    ok: bool
    detail: str = ""


HealthCheck = Callable[[], Awaitable[HealthStatus]]


@dataclass
class Services:
    settings: Settings
    engine: Engine
    queue: GradingQueue
    events: EventHub
    metrics: Metrics
    pool: WorkerPool | None = None
    # name -> async check; "database" and "queue" are built in, the UI adds "kernels".
    health_checks: dict[str, HealthCheck] = field(default_factory=dict)
    _background: list[asyncio.Task[Any]] = field(default_factory=list)
    _catalog: Any = None

    @classmethod
    def build(cls, settings: Settings, *, start_workers: int = 0) -> Services:
        """``start_workers`` > 0 (embedded mode only) spawns that many grading processes."""
        engine = make_engine(settings.resolved_database_url)
        pool = None
        if start_workers > 0 and settings.queue is QueueMode.EMBEDDED:
            pool = WorkerPool(settings, start_workers)
        queue = build_queue(settings, wake=pool.wake if pool else None)
        services = cls(
            settings=settings,
            engine=engine,
            queue=queue,
            events=EventHub(),
            metrics=Metrics(),
            pool=pool,
        )
        services.health_checks["database"] = services._check_database
        services.health_checks["queue"] = services._check_queue
        return services

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with session_scope(self.engine) as session:
            yield session

    @property
    def catalog(self) -> Any:
        """The engine's catalog (for notebook uploads), loaded on first use."""
        if self._catalog is None:
            from grader.engine import Catalog

            self._catalog = Catalog.load(self.settings.exercises_dir)
        return self._catalog

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.events.bind(loop)
        if self.engine.dialect.name == "postgresql":
            self._background.append(
                asyncio.create_task(
                    self.events.listen_postgres(self.settings.resolved_database_url)
                )
            )
        if self.pool is not None:
            await asyncio.to_thread(self.pool.start)
            if self.settings.is_sqlite:
                self.events.feed_from_process_queue(self.pool.events)
            self._background.append(asyncio.create_task(self._supervise(self.pool)))

    @staticmethod
    async def _supervise(pool: WorkerPool, every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            await asyncio.to_thread(pool.revive)

    async def stop(self) -> None:
        for task in self._background:
            task.cancel()
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()
        self.events.close()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.stop)
        self.engine.dispose()

    async def _check_database(self) -> HealthStatus:
        def probe() -> None:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(probe)
        except Exception as exc:
            return HealthStatus(False, f"database unreachable: {type(exc).__name__}")
        return HealthStatus(True, self.engine.dialect.name)

    async def _check_queue(self) -> HealthStatus:
        if self.pool is not None:
            alive = self.pool.alive()
            if alive < self.pool.count:
                return HealthStatus(False, f"{alive}/{self.pool.count} embedded workers alive")
            return HealthStatus(True, f"embedded, {alive} workers")
        if self.settings.queue is QueueMode.PROCRASTINATE:
            return await asyncio.to_thread(self._procrastinate_workers)
        return HealthStatus(True, f"{self.queue.name}, workers run apart (academy worker)")

    def _procrastinate_workers(self) -> HealthStatus:
        """Workers that heartbeat recently; none means nothing will be graded."""
        with self.engine.connect() as conn:
            alive = conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - interval '60 seconds'"
                )
            ).scalar_one()
        if not alive:
            return HealthStatus(False, "procrastinate: no worker has sent a heartbeat for 60 s")
        return HealthStatus(True, f"procrastinate, {alive} workers")

    async def health(self) -> dict[str, HealthStatus]:
        names = list(self.health_checks)
        results = await asyncio.gather(
            *(self.health_checks[name]() for name in names), return_exceptions=True
        )
        report: dict[str, HealthStatus] = {}
        for name, outcome in zip(names, results, strict=True):
            if isinstance(outcome, BaseException):
                outcome = HealthStatus(False, f"check failed: {type(outcome).__name__}")
            report[name] = outcome
        return report
