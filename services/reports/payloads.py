"""The JSON shape of every report, one model each: what `--format json` prints and the API returns.

Money and ratios are `Decimal` here and exact decimal strings in JSON (pydantic writes a Decimal
as its text, never a float); days are ISO dates. Every report carries the reporting currency, the
data version it was computed at and the release that computed it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from db.queries import PeriodName, PnlDimension, Status
from services.reports.requests import SalesBy


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Release(_Shape):
    """The release that computed a report: its version and the digest of its code."""

    version: str
    digest: str


class Payload(_Shape):
    """What every report carries."""

    report: str = Field(description="which report this is")
    currency: str = Field(description="the reporting currency every amount is in")
    data_version: int = Field(description="the database's data version the figures were read at")
    release: Release

    def as_json(self) -> dict[str, Any]:
        """The payload as JSON values, keys as the API spells them (`from`, `to`)."""
        return self.model_dump(mode="json", by_alias=True)


class SalesRow(_Shape):
    """One group of a sales report (or its total, keyed `total`)."""

    key: str
    net_revenue: Decimal
    cogs: Decimal
    gross_margin: Decimal
    units: int
    orders: int = Field(description="distinct orders; a total counts each order once")


class PnlRow(_Shape):
    """One column of a P&L (or its total, keyed `total`)."""

    key: str
    net_revenue: Decimal
    cogs: Decimal
    gross_margin: Decimal
    opex: Decimal
    operating_profit: Decimal


class Covered(_Shape):
    """How many of something a target covers."""

    covered: int
    total: int


class TargetCoverage(_Shape):
    """How much of the period a target covers, and the actual of the covered cells."""

    months: Covered
    territories: Covered
    complete: bool
    covered_value: Decimal | None
    note: str | None = Field(description="e.g. 'target covers 11 of 12 months' when partial")
    reason: str | None = Field(description="why there is no target, when nothing is covered")


class KpiRow(_Shape):
    """One KPI: value, target, prior period's value, change and status."""

    key: str
    label: str
    value: Decimal | None
    target: Decimal | None
    prior: Decimal | None
    change_pct: Decimal | None = Field(description="change against the prior period as a fraction (0.05 is +5 %)")
    status: Status
    target_coverage: TargetCoverage | None


class BudgetRow(_Shape):
    """One P&L line (or expense category with a budget): actual against budget."""

    key: str = Field(description="the line: a metric, or opex:<category>")
    label: str
    actual: Decimal = Field(description="the actual of the cells the budget covers (the whole period without one)")
    budget: Decimal | None
    variance: Decimal | None
    variance_pct: Decimal | None
    favourable: bool | None = Field(description="whether the variance helps profit")
    is_cost: bool
    target_coverage: TargetCoverage | None


class _Span(Payload):
    start: date | None = Field(alias="from", description="first day; null when there is no data to span")
    end: date | None = Field(alias="to", description="last day; null when there is no data to span")
    territory: str | None


class SalesPayload(_Span):
    """`report sales`: net revenue, COGS, gross margin, units and orders by one dimension."""

    report: Literal["sales"] = "sales"
    by: SalesBy
    channel: str | None
    category: str | None
    rows: list[SalesRow]
    total: SalesRow


class PnlPayload(_Span):
    """`report pnl`: revenue, COGS, gross margin, operating expenses and operating profit."""

    report: Literal["pnl"] = "pnl"
    by: PnlDimension
    rows: list[PnlRow]
    total: PnlRow


class KpisPayload(_Span):
    """`report kpis`: the scorecard, its overall status and headline."""

    report: Literal["kpis"] = "kpis"
    period: PeriodName
    status: Status
    headline: str
    rows: list[KpiRow]
    total: dict[str, str] = Field(default_factory=dict, description="always empty: KPIs do not add up")


class BudgetPayload(_Span):
    """`report budget`: budget against actual for each P&L line and budgeted expense category."""

    report: Literal["budget"] = "budget"
    rows: list[BudgetRow]
    total: dict[str, str] = Field(default_factory=dict, description="always empty: the lines do not add up")


class DimensionsPayload(Payload):
    """`report dimensions`: what the caller may see: territories, channels, categories and days."""

    report: Literal["dimensions"] = "dimensions"
    territories: list[str]
    channels: list[str]
    categories: list[str]
    first_day: date | None
    last_day: date | None


ReportPayload = SalesPayload | PnlPayload | KpisPayload | BudgetPayload | DimensionsPayload
