"""The HTML pages: sign in, course map, lessons with live cells, exercises, progress, dashboard.

Jinja templates (``grader/web/templates``) and htmx (pinned in ``grader/web/static/vendor``);
no build step. Layers, inner to outer:

- ``session``, ``errors``, ``templating``   the signed cookie + CSRF guard, page errors, render
- ``feedback``, ``chart``                   pure view models (result -> feedback, SVG chart)
- ``auth``, ``course``, ``lessons``,        one router per page family
  ``exercises``, ``dashboard``
- ``kernel_socket``                         the page's websocket to the learner's kernel

``mount(app)`` is called by ``grader.web.app.create_app``: it adds the routers, the static
files, the cookie user resolver, and starts/stops the kernel bridge with the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from grader.service.runtime import HealthStatus
from grader.web.csrf import SessionCodec
from grader.web.kernels.service import KernelService
from grader.web.pages import auth, course, dashboard, errors, exercises, kernel_socket, lessons
from grader.web.pages.security_headers import SecurityHeaders
from grader.web.pages.session import cookie_user_resolver

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

def mount(app: FastAPI) -> None:
    settings = app.state.settings
    app.state.session_codec = SessionCodec(settings.secret_key)
    app.state.user_resolvers.append(cookie_user_resolver)
    kernel_service = KernelService(
        Path(settings.data_dir),
        kernels_url=settings.kernels_url,
        exercises_dir=Path(settings.exercises_dir),
        spare_setup=kernel_socket.BASE_SETUP,
    )
    app.state.kernel_service = kernel_service

    async def kernels_health() -> HealthStatus:
        ok, detail = await kernel_service.health()
        return HealthStatus(ok, detail)

    app.state.services.health_checks["kernels"] = kernels_health

    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, course, lessons, exercises, dashboard, kernel_socket):
        app.include_router(module.router, include_in_schema=False)

    app.add_middleware(SecurityHeaders)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with inner(application) as state:
            # The kernel server boots on the first lesson page (or `academy serve` starts it
            # at once with ``app.state.kernel_service.start()``), and stops with the app.
            kernel_service.bind(asyncio.get_running_loop())
            try:
                yield state
            finally:
                await kernel_service.stop()

    app.router.lifespan_context = lifespan
