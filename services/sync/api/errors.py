"""How the API answers what went wrong: a request it cannot answer as 422 (naming the parameter and the fix)
or 403 (a territory outside the caller's access); faults outside the request's control as 503 with the
reason, never as a 500 traceback.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.reports.requests import OutsideScopeError, ParameterError

log = structlog.get_logger(__name__)
RETRY_AFTER_S = 5
_DAY_FIX = "write days as YYYY-MM-DD, e.g. 2025-01-31"


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    cause = exc.orig if isinstance(exc, OperationalError) and exc.orig is not None else exc
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    log.warning("database_unavailable", path=request.url.path, error=reason)
    return JSONResponse(
        {"detail": f"the database is unavailable ({reason}); retry shortly, or check /readyz"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _fix(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "add it"
    if kind.startswith("date"):
        return _DAY_FIX
    return ""


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (a list of `loc`, `msg`, `type`), each message naming the parameter first and a fix last."""
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        name = str(error["loc"][-1]) if error.get("loc") else "request"
        fix = _fix(error)
        message = f"{name}: {error['msg']}" + (f"; {fix}" if fix else "")
        detail.append({"loc": list(error.get("loc", ())), "msg": message, "type": error.get("type", "value_error")})
    return JSONResponse({"detail": detail}, status_code=422)


async def _bad_parameter(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParameterError)
    message = f"{exc.parameter}: {exc.problem}; {exc.fix}"
    return JSONResponse(
        {"detail": [{"loc": ["query", exc.parameter], "msg": message, "type": "value_error"}]}, status_code=422
    )


async def _outside_scope(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OutsideScopeError)
    return JSONResponse({"detail": f"{exc.problem}; {exc.fix}"}, status_code=403)


def install(app: FastAPI) -> None:
    """Answer bad parameters with 422, other territories with 403, and a lost, refused, read-only or exhausted
    database connection with 503 and Retry-After."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ParameterError, _bad_parameter)
    app.add_exception_handler(OutsideScopeError, _outside_scope)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
