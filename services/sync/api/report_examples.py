"""Example answers of `/api/v1/reports/…` for the OpenAPI page, made with the payload models (so they conform)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from db.queries import PeriodName, PnlDimension, Status
from services.reports import payloads
from services.reports.requests import SalesBy

_STAMP: dict[str, Any] = {
    "currency": "GBP",
    "data_version": 42,
    "release": payloads.Release(version="0.1.0", digest="9c1d4e0b7a6f" + "0" * 52),
}
_SPAN: dict[str, Any] = {"start": date(2026, 1, 1), "end": date(2026, 3, 31), "territory": None}
ETAG_HEADER = {
    "ETag": {
        "description": "Changes with the data version, the release, your scope and the parameters; send it back "
        "as `If-None-Match` to get 304 while it holds.",
        "schema": {"type": "string"},
    }
}


def _d(text: str) -> Decimal:
    return Decimal(text)


def _sales_row(key: str, revenue: str, cogs: str, units: int, orders: int) -> payloads.SalesRow:
    margin = _d(revenue) - _d(cogs)
    return payloads.SalesRow(
        key=key, net_revenue=_d(revenue), cogs=_d(cogs), gross_margin=margin, units=units, orders=orders
    )


def _coverage(covered_value: str | None, note: str | None = None) -> payloads.TargetCoverage:
    return payloads.TargetCoverage(
        months=payloads.Covered(covered=3 if note is None else 2, total=3),
        territories=payloads.Covered(covered=2, total=2),
        complete=note is None,
        covered_value=None if covered_value is None else _d(covered_value),
        note=note,
        reason=None,
    )


SALES = payloads.SalesPayload(
    **_STAMP,
    **_SPAN,
    by=SalesBy.territory,
    channel=None,
    category=None,
    rows=[_sales_row("UK", "94871.29", "46608.47", 2334, 530), _sales_row("IE", "31002.10", "15300.00", 801, 190)],
    total=_sales_row("total", "125873.39", "61908.47", 3135, 720),
).as_json()

PNL = payloads.PnlPayload(
    **_STAMP,
    **_SPAN,
    by=PnlDimension.TERRITORY,
    rows=[
        payloads.PnlRow(
            key="UK",
            net_revenue=_d("94871.29"),
            cogs=_d("46608.47"),
            gross_margin=_d("48262.82"),
            opex=_d("30000.00"),
            operating_profit=_d("18262.82"),
        )
    ],
    total=payloads.PnlRow(
        key="total",
        net_revenue=_d("94871.29"),
        cogs=_d("46608.47"),
        gross_margin=_d("48262.82"),
        opex=_d("30000.00"),
        operating_profit=_d("18262.82"),
    ),
).as_json()

KPIS = payloads.KpisPayload(
    **_STAMP,
    **_SPAN,
    period=PeriodName.QTD,
    status=Status.WATCH,
    headline="Watch: 1 of 8 KPIs off target: Gross margin (IE)",
    rows=[
        payloads.KpiRow(
            key="gross_margin",
            label="Gross margin",
            value=_d("63964.92"),
            target=_d("66000.00"),
            prior=_d("60100.00"),
            change_pct=_d("0.0643"),
            status=Status.WATCH,
            target_coverage=_coverage("63964.92"),
        )
    ],
).as_json()

BUDGET = payloads.BudgetPayload(
    **_STAMP,
    **_SPAN,
    rows=[
        payloads.BudgetRow(
            key="opex",
            label="Operating expenses",
            actual=_d("20000.00"),
            budget=_d("18666.67"),
            variance=_d("1333.33"),
            variance_pct=_d("0.0714"),
            favourable=False,
            is_cost=True,
            target_coverage=_coverage("20000.00", note="target covers 2 of 3 months"),
        )
    ],
).as_json()

DIMENSIONS = payloads.DimensionsPayload(
    **_STAMP,
    territories=["IE", "UK"],
    channels=["Online", "Retail"],
    categories=["Gadgets", "Widgets"],
    first_day=date(2024, 12, 1),
    last_day=date(2026, 3, 31),
).as_json()
