"""`/api/v1/reports`: the figures, as `glance report … --format json` prints them, for the caller's territories.

Each route reads its parameters into a request, and `_answer` checks the territory against the
caller's scope, answers 304 when `If-None-Match` holds the current `ETag` (data version, release,
scope and parameters: nothing is computed), and otherwise answers the JSON cached under that
ETag in the shared cache, building it on a miss with `services.reports` (the CLI's serializer).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from db.data_version import current_data_version
from db.queries import PeriodName, PnlDimension
from services.auth import Role
from services.cache.query_cache import get_cache
from services.reports.build import build_report, fingerprint
from services.reports.payloads import BudgetPayload, DimensionsPayload, KpisPayload, PnlPayload, SalesPayload
from services.reports.requests import (
    BudgetRequest,
    DimensionsRequest,
    KpisRequest,
    PnlRequest,
    ReportRequest,
    SalesBy,
    SalesRequest,
    check_access,
)
from services.sync.api import report_examples
from services.sync.api.deps import ACTING_USER_HEADER, Caller, SessionDep, SettingsDep, require_role

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Viewer = Annotated[Caller, Depends(require_role(Role.viewer))]
From = Annotated[
    date | None, Query(alias="from", description="First day, YYYY-MM-DD; default: the first day with data you may see.")
]
To = Annotated[
    date | None, Query(alias="to", description="Last day, YYYY-MM-DD; default: the last day with data you may see.")
]
Territory = Annotated[
    str | None, Query(description="Only this territory (one you may see; another is 403). Up to 100 characters.")
]


def _responses(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {"application/json": {"example": example}}, "headers": report_examples.ETAG_HEADER},
        304: {"description": "Not modified: `If-None-Match` holds the current ETag; no body."},
        403: {"description": "A `territory` outside your access, or a role below viewer."},
    }


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    offered = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return "*" in offered or tag in offered


def _answer(
    http: Request, caller: Caller, session: SessionDep, settings: SettingsDep, request: ReportRequest
) -> Response:
    """The report for the caller's scope with its ETag, or 304 when the client holds that version."""
    check_access(request, scope=caller.scope)
    version = current_data_version(session)
    tag = f'"{fingerprint(request, scope=caller.scope, settings=settings, data_version=version)}"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": f"Authorization, {ACTING_USER_HEADER}"}
    if _matches(http.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)

    def body() -> str:
        payload = build_report(session, request, scope=caller.scope, settings=settings, data_version=version)
        return json.dumps(payload.as_json(), ensure_ascii=False, separators=(",", ":"))

    # The answer itself is cached under its ETag (which holds the scope), so a repeated question costs a
    # lookup, not a rebuild from the figures' own cache entries.
    answer = get_cache().get_or_compute(f"report:{request.name}", {"etag": tag}, body, data_version=version)
    return Response(answer, media_type="application/json", headers=headers)


@router.get("/sales", response_model=SalesPayload, responses=_responses(report_examples.SALES))
def sales_report(
    http: Request,
    caller: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    by: Annotated[SalesBy, Query(description="What each row is.")],
    start: From = None,
    end: To = None,
    territory: Territory = None,
    channel: Annotated[str | None, Query(description="Only this channel.")] = None,
    category: Annotated[str | None, Query(description="Only this category.")] = None,
) -> Response:
    """Net revenue, COGS, gross margin, units and orders by one dimension, over the territories you may see."""
    request = SalesRequest(by=by, start=start, end=end, territory=territory, channel=channel, category=category)
    return _answer(http, caller, session, settings, request)


@router.get("/pnl", response_model=PnlPayload, responses=_responses(report_examples.PNL))
def pnl_report(
    http: Request,
    caller: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    by: Annotated[PnlDimension, Query(description="What each row is.")],
    start: From = None,
    end: To = None,
    territory: Territory = None,
) -> Response:
    """Profit and loss: revenue, COGS, gross margin, operating expenses (prorated) and operating profit."""
    request = PnlRequest(by=by, start=start, end=end, territory=territory)
    return _answer(http, caller, session, settings, request)


@router.get("/kpis", response_model=KpisPayload, responses=_responses(report_examples.KPIS))
def kpis_report(
    http: Request,
    caller: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    period: Annotated[
        PeriodName | None, Query(description="A named period ending `today`; default mtd, or custom with from/to.")
    ] = None,
    start: Annotated[date | None, Query(alias="from", description="First day of a custom period.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day of a custom period.")] = None,
    today: Annotated[date | None, Query(description="The day named periods end on; default: today.")] = None,
    territory: Territory = None,
) -> Response:
    """The scorecard: overall status, headline and every KPI against target and the prior period."""
    request = KpisRequest.choose(period=period, start=start, end=end, today=today or date.today(), territory=territory)
    return _answer(http, caller, session, settings, request)


@router.get("/budget", response_model=BudgetPayload, responses=_responses(report_examples.BUDGET))
def budget_report(
    http: Request,
    caller: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    start: From = None,
    end: To = None,
    territory: Territory = None,
) -> Response:
    """Budget against actual for each P&L line and each expense category with a budget."""
    return _answer(http, caller, session, settings, BudgetRequest(start=start, end=end, territory=territory))


@router.get("/dimensions", response_model=DimensionsPayload, responses=_responses(report_examples.DIMENSIONS))
def dimensions_report(http: Request, caller: Viewer, session: SessionDep, settings: SettingsDep) -> Response:
    """The territories, channels and categories you may see, and the first and last day with their sales."""
    return _answer(http, caller, session, settings, DimensionsRequest())
