"""The FastAPI application factory: ``create_app(settings) -> FastAPI``.

What it builds:

- ``app.state.services``: a ``grader.service.runtime.Services`` (settings, SQLAlchemy engine,
  grading queue, event hub, metrics, embedded worker pool, health checks), started and
  stopped by the app's lifespan. ``create_app(settings, services=...)`` accepts a prebuilt one.
- the JSON API under ``/api`` (``grader.web.api``), ``/healthz`` and ``/metrics``;
- the HTML pages, if ``grader.web.pages`` exists: ``create_app`` calls its
  ``mount(app: FastAPI) -> None`` once, after the API is in place.

For the pages (and anything else mounted here):

- add a router: in ``grader.web.pages.mount``, ``app.include_router(router)``; static files
  with ``app.mount("/static", StaticFiles(...))``; middleware with ``app.add_middleware``.
- the database: ``grader.web.deps.SessionDep`` (a session per request, committed after the
  endpoint; it starts as a reader: call ``grader.service.database.begin_write(session)``
  right before writing, see ``deps``), or ``with services.session() as session:`` (a
  writer) outside a request.
- the current user: ``grader.web.deps.CurrentUser``; register a cookie resolver with
  ``app.state.user_resolvers.append(fn)`` where ``fn(request, session) -> User | None``.
  ``Settings.secret_key`` is the stable secret for signing cookies.
- submitting: ``grader.web.api.submissions.submit(services, session, user, exercise_id,
  files, source="web")`` commits the session's pending work, then stores and enqueues in one
  write transaction and returns the row; the
  worker grades it; ``GET /api/submissions/{id}`` shape comes from
  ``grader.web.api.schemas.SubmissionOut.of(...)``.
- live events: ``async with services.events.subscribe() as inbox: event = await inbox.get()``
  yields ``grader.service.events.SubmissionEvent`` (id, user, exercise, status, score) for
  every submission of every learner (filter by ``user_id``); re-read the database after
  subscribing, an event is a hint.
- health: ``services.health_checks["kernels"] = async_fn`` where ``async_fn()`` returns
  ``grader.service.runtime.HealthStatus(ok, detail)``; ``/healthz`` reports it.
- errors: raise ``grader.service.errors.ServiceError`` subclasses; the API renders them as
  ``{"error": {"code", "message"}}`` with their status (pages may add their own handler).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from grader.service.runtime import Services
from grader.service.settings import Settings
from grader.web.api import install_api

log = logging.getLogger(__name__)

PAGES_MODULE = "grader.web.pages"


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    start_workers: int = 0,
    pages: bool = True,
) -> FastAPI:
    """Build the app; ``start_workers`` > 0 spawns embedded grading processes with it."""
    settings = (settings or Settings.from_env()).ensure_secret_key()
    services = services or Services.build(settings, start_workers=start_workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = FastAPI(
        title="OTP Academy grader service",
        version="1.0",
        summary="Submit exercises, follow their grading, see progress.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.user_resolvers = []
    install_api(app)
    if pages:
        _mount_pages(app)
    return app


def _mount_pages(app: FastAPI) -> None:
    try:
        module = importlib.import_module(PAGES_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != PAGES_MODULE:
            raise
        return
    mount = getattr(module, "mount", None)
    if mount is not None:
        mount(app)
