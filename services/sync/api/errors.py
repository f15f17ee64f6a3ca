"""Faults outside the request's control answered as 503 with the reason, never as a 500 traceback."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = structlog.get_logger(__name__)
RETRY_AFTER_S = 5


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    cause = exc.orig if isinstance(exc, OperationalError) and exc.orig is not None else exc
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    log.warning("database_unavailable", path=request.url.path, error=reason)
    return JSONResponse(
        {"detail": f"the database is unavailable ({reason}); retry shortly, or check /readyz"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install(app: FastAPI) -> None:
    """Answer a lost, refused, read-only or exhausted database connection with 503 and Retry-After."""
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
