"""The JSON API under ``/api`` plus ``/healthz`` and ``/metrics``; OpenAPI at ``/docs``.

One router per resource (``auth``, ``catalog``, ``submissions``, ``progress``, ``instructor``,
``ops``), response models in ``schemas``, and the error mapping in ``errors``: every
``ServiceError`` and every invalid request becomes ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from fastapi import FastAPI

from grader.web.api import auth, catalog, errors, instructor, ops, progress, submissions


def install_api(app: FastAPI) -> None:
    errors.install(app)
    app.add_middleware(errors.BodySizeLimit, limit=app.state.settings.max_upload_bytes * 4 + 65536)
    for module in (auth, catalog, submissions, progress, instructor):
        app.include_router(module.router, prefix="/api")
    app.include_router(ops.router)
