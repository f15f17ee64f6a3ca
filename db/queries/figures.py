"""The KPI definitions and the typed figures every query returns.

Each derived figure (gross margin, margin %, average order value, operating profit) is
defined once here, so every view computes it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


class Metric(StrEnum):
    """The KPIs Glance tracks against targets, in display priority order."""

    NET_REVENUE = "net_revenue"
    GROSS_MARGIN = "gross_margin"
    OPERATING_PROFIT = "operating_profit"
    GROSS_MARGIN_PCT = "gross_margin_pct"
    ORDERS = "orders"
    AOV = "aov"
    UNITS = "units"
    OPEX = "opex"


class Unit(StrEnum):
    """How a metric's value is shown."""

    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"


@dataclass(frozen=True)
class MetricInfo:
    """What a metric is and how it behaves against a target."""

    label: str
    unit: Unit
    higher_is_better: bool
    additive: bool


METRICS: dict[Metric, MetricInfo] = {
    Metric.NET_REVENUE: MetricInfo("Net revenue", Unit.MONEY, True, True),
    Metric.GROSS_MARGIN: MetricInfo("Gross margin", Unit.MONEY, True, True),
    Metric.OPERATING_PROFIT: MetricInfo("Operating profit", Unit.MONEY, True, True),
    Metric.GROSS_MARGIN_PCT: MetricInfo("Gross margin %", Unit.PERCENT, True, False),
    Metric.ORDERS: MetricInfo("Orders", Unit.COUNT, True, True),
    Metric.AOV: MetricInfo("Average order value", Unit.MONEY, True, False),
    Metric.UNITS: MetricInfo("Units", Unit.COUNT, True, True),
    Metric.OPEX: MetricInfo("Operating expenses", Unit.MONEY, False, True),
}

OPEX_CATEGORY_PREFIX = "opex:"
"""Targets named `opex:<category>` are budgets for one expense category."""


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator to four places, or None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


def money(value: Decimal) -> Decimal:
    """Round to the penny, half to even."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Margins:
    """Revenue and cost of goods in the reporting currency, and the gross margin they make."""

    net_revenue: Decimal = Decimal("0.00")
    cogs: Decimal = Decimal("0.00")

    @property
    def gross_margin(self) -> Decimal:
        return self.net_revenue - self.cogs

    @property
    def gross_margin_pct(self) -> Decimal | None:
        """Gross margin as a fraction of revenue (0.4215 means 42.15 %)."""
        return ratio(self.gross_margin, self.net_revenue)


@dataclass(frozen=True)
class SalesFigures(Margins):
    """Additive sales sums, with the figures derived from them."""

    units: int = 0
    orders: int = 0

    @property
    def aov(self) -> Decimal | None:
        """Average order value, rounded once, to the penny."""
        return money(self.net_revenue / Decimal(self.orders)) if self.orders else None


def metric_value(metric: Metric, sales: SalesFigures, opex: Decimal) -> Decimal | None:
    """The value of one KPI from the period's sales sums and operating expenses."""
    match metric:
        case Metric.NET_REVENUE:
            return sales.net_revenue
        case Metric.GROSS_MARGIN:
            return sales.gross_margin
        case Metric.OPERATING_PROFIT:
            return sales.gross_margin - opex
        case Metric.GROSS_MARGIN_PCT:
            return sales.gross_margin_pct
        case Metric.ORDERS:
            return Decimal(sales.orders)
        case Metric.AOV:
            return sales.aov
        case Metric.UNITS:
            return Decimal(sales.units)
        case Metric.OPEX:
            return opex
