"""``/healthz`` (database, queue, kernels) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from grader.service.database import session_scope
from grader.service.metrics import CONTENT_TYPE
from grader.web.api.schemas import HealthOut
from grader.web.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def healthz(services: ServicesDep) -> JSONResponse:
    report = await services.health()
    ok = all(status.ok for status in report.values())
    body = HealthOut(
        ok=ok, checks={name: {"ok": s.ok, "detail": s.detail} for name, s in report.items()}
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(services: ServicesDep) -> Response:
    def render() -> bytes:
        with session_scope(services.engine) as session:
            return services.metrics.render(session)

    return Response(await asyncio.to_thread(render), media_type=CONTENT_TYPE)
