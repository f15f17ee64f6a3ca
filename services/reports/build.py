"""Build a report's payload from `db.queries`, through the shared cache, as a scope may see it.

Every query runs under the caller's scope (an empty scope sees empty figures, never everything),
and a range left open runs from the first to the last day with sales the scope may see; when it
holds none, the report spans nothing (`from` and `to` null, no rows, zero totals).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from db import queries
from db.scope import Scope
from services.cache.query_cache import cached_query
from services.reports import payloads
from services.reports.payloads import ReportPayload
from services.reports.requests import (
    BudgetRequest,
    DimensionsRequest,
    KpisRequest,
    ParameterError,
    PnlRequest,
    ReportRequest,
    SalesRequest,
    check_access,
)
from services.runtime.build_info import current_build
from services.runtime.settings import Settings

T = TypeVar("T")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class _Reading:
    """One report being read: the session, whose view it is, and what stamps the payload."""

    session: Session
    scope: Scope
    settings: Settings
    data_version: int

    def query(self, fn: Callable[..., T], /, **params: Any) -> T:
        """`fn` of `db.queries` through the cache, under this scope."""
        return cached_query(self.session, fn.__name__, fn, scope=self.scope, **params)

    @property
    def stamp(self) -> dict[str, Any]:
        """The fields every payload carries: currency, data version, release."""
        build = current_build()
        return {
            "currency": self.settings.reporting_currency,
            "data_version": self.data_version,
            "release": payloads.Release(version=build.version, digest=build.digest),
        }

    def span(self, start: date | None, end: date | None) -> queries.Period | None:
        """The asked range, its open ends filled from the days with sales this scope may see (None: no such day)."""
        if start is not None and end is not None:
            return queries.Period(start, end)
        seen = self.query(queries.dimensions)
        if seen.first_day is None or seen.last_day is None:
            return None
        first, last = start or seen.first_day, end or seen.last_day
        if last < first:
            parameter, day, edge = ("from", first, "last") if start else ("to", last, "first")
            raise ParameterError(
                parameter,
                f"{parameter} ({day}) leaves no day with data (the {edge} is {last if start else first})",
                fix="give both from and to",
            )
        return queries.Period(first, last)


def build_report(
    session: Session, request: ReportRequest, *, scope: Scope, settings: Settings, data_version: int
) -> ReportPayload:
    """The payload of `request` as `scope` may see it, stamped with `data_version` (read by the caller first)."""
    check_access(request, scope=scope)
    reading = _Reading(session=session, scope=scope, settings=settings, data_version=data_version)
    match request:
        case SalesRequest():
            return _sales(reading, request)
        case PnlRequest():
            return _pnl(reading, request)
        case KpisRequest():
            return _kpis(reading, request)
        case BudgetRequest():
            return _budget(reading, request)
        case DimensionsRequest():
            return _dimensions(reading)


def fingerprint(request: ReportRequest, *, scope: Scope, settings: Settings, data_version: int) -> str:
    """A tag that changes whenever the payload may: data version, release, settings that shape it, scope, request."""
    asked = json.dumps({"report": request.name, **dataclasses.asdict(request)}, default=str, sort_keys=True)
    shaping = f"{settings.reporting_currency}:{settings.health_thresholds}"
    text = "|".join((str(data_version), current_build().digest, shaping, scope.text(), asked))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _sales_row(row: queries.BreakdownRow) -> payloads.SalesRow:
    return payloads.SalesRow(
        key=row.key,
        net_revenue=row.net_revenue,
        cogs=row.cogs,
        gross_margin=row.gross_margin,
        units=row.units,
        orders=row.orders,
    )


def _sales(reading: _Reading, request: SalesRequest) -> payloads.SalesPayload:
    span = reading.span(request.start, request.end)
    rows: list[payloads.SalesRow] = []
    total = _sales_row(queries.BreakdownRow(key="total"))
    if span is not None:
        found = reading.query(
            queries.sales_breakdown,
            by=queries.Dimension(request.by.value),
            start=span.start,
            end=span.end,
            filters=queries.Filters(request.territory, request.channel, request.category),
        )
        rows, total = [_sales_row(row) for row in found.rows], _sales_row(found.total)
    return payloads.SalesPayload(
        **reading.stamp,
        by=request.by,
        start=span.start if span else None,
        end=span.end if span else None,
        territory=request.territory,
        channel=request.channel,
        category=request.category,
        rows=rows,
        total=total,
    )


def _pnl_row(row: queries.PnlRow) -> payloads.PnlRow:
    return payloads.PnlRow(
        key=row.key,
        net_revenue=row.net_revenue,
        cogs=row.cogs,
        gross_margin=row.gross_margin,
        opex=row.opex,
        operating_profit=row.operating_profit,
    )


def _pnl(reading: _Reading, request: PnlRequest) -> payloads.PnlPayload:
    span = reading.span(request.start, request.end)
    rows: list[payloads.PnlRow] = []
    total = _pnl_row(queries.PnlRow(key="total"))
    if span is not None:
        found = reading.query(
            queries.pnl_report, by=request.by, start=span.start, end=span.end, territory=request.territory
        )
        rows, total = [_pnl_row(row) for row in found.rows], _pnl_row(found.total)
    return payloads.PnlPayload(
        **reading.stamp,
        by=request.by,
        start=span.start if span else None,
        end=span.end if span else None,
        territory=request.territory,
        rows=rows,
        total=total,
    )


def coverage(found: queries.TargetCoverage | None) -> payloads.TargetCoverage | None:
    """A target's coverage as the reports write it."""
    if found is None:
        return None
    return payloads.TargetCoverage(
        months=payloads.Covered(covered=found.months_covered, total=found.months_total),
        territories=payloads.Covered(covered=found.territories_covered, total=found.territories_total),
        complete=found.complete,
        covered_value=found.covered_value,
        note=found.note,
        reason=found.reason,
    )


def _kpis(reading: _Reading, request: KpisRequest) -> payloads.KpisPayload:
    card = reading.query(
        queries.scorecard,
        period=request.period,
        territory=request.territory,
        thresholds=reading.settings.health_thresholds,
        with_spark=False,
    )
    rows = [
        payloads.KpiRow(
            key=kpi.metric.value,
            label=kpi.label,
            value=kpi.value,
            target=kpi.target,
            prior=kpi.prior,
            change_pct=kpi.change_pct,
            status=kpi.status,
            target_coverage=coverage(kpi.coverage),
        )
        for kpi in card.cards
    ]
    return payloads.KpisPayload(
        **reading.stamp,
        period=request.period.name,
        start=request.period.start,
        end=request.period.end,
        territory=request.territory,
        status=card.health.status,
        headline=card.health.headline(),
        rows=rows,
    )


def _budget(reading: _Reading, request: BudgetRequest) -> payloads.BudgetPayload:
    span = reading.span(request.start, request.end)
    lines: list[queries.BudgetLine] = []
    if span is not None:
        lines = reading.query(queries.budget_vs_actual, start=span.start, end=span.end, territory=request.territory)
    rows = [
        payloads.BudgetRow(
            key=line.line,
            label=line.label,
            actual=line.actual,
            budget=line.budget,
            variance=line.variance,
            variance_pct=line.variance_pct,
            favourable=line.favourable,
            is_cost=line.is_cost,
            target_coverage=coverage(line.coverage),
        )
        for line in lines
    ]
    return payloads.BudgetPayload(
        **reading.stamp,
        start=span.start if span else None,
        end=span.end if span else None,
        territory=request.territory,
        rows=rows,
    )


def _dimensions(reading: _Reading) -> payloads.DimensionsPayload:
    seen = reading.query(queries.dimensions)
    return payloads.DimensionsPayload(
        **reading.stamp,
        territories=list(seen.territories),
        channels=list(seen.channels),
        categories=list(seen.categories),
        first_day=seen.first_day,
        last_day=seen.last_day,
    )
