"""Operations endpoints of the sync service: `/readyz`, `/version`, `/metrics`, request metrics, startup check."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.cache.query_cache import get_cache
from services.ops.readiness import Readiness, readiness
from services.runtime import metrics
from services.runtime.probes import VersionPayload, startup_check, version_payload
from services.sync.api.deps import EngineDep, SettingsDep

SERVICE = "sync"

router = APIRouter(tags=["health"])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Check the imported sources against the release at start (logged, and published as a metric); readiness checks
    again on every probe (a stat per file; only a changed file is hashed), so a file changed later fails it too.
    A mismatch fails readiness, never startup. Closes the app's connections at stop."""
    startup_check(service=SERVICE)
    yield
    app.state.engine.dispose()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready: `failing` names each failing part."}},
)
def readyz(engine: EngineDep, settings: SettingsDep) -> JSONResponse:
    """Ready to serve: database reachable, schema at head, Redis reachable when configured, sources match."""
    result = readiness(engine=engine, settings=settings, cache=get_cache())
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.ready else 503)


@router.get("/version", response_model=VersionPayload)
def version(engine: EngineDep) -> VersionPayload:
    """The release manifest plus live facts: digest check, schema revision, data version, start time."""
    return version_payload(service=SERVICE, engine=engine)


@router.get("/metrics", response_class=Response)
def prometheus_metrics() -> Response:
    """Prometheus text: requests, imports, cache, dependencies and build info."""
    page = metrics.exposition()
    return Response(content=page.body, media_type=page.content_type)


async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        # The route template (not the raw path) keeps label values few: /api/v1/imports/{run_id}.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.HTTP_REQUESTS.labels(service=SERVICE, method=request.method, route=route, status=str(status)).inc()
        metrics.HTTP_LATENCY.labels(service=SERVICE, method=request.method, route=route).observe(
            time.perf_counter() - started
        )


def install(app: FastAPI) -> None:
    """Add the ops endpoints and the request-metrics middleware to the sync app."""
    app.include_router(router)
    app.middleware("http")(_measure)
