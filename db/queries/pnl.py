"""Profit and loss: revenue, COGS, gross margin, opex and operating profit; budget vs actual."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from db.queries.figures import METRICS, OPEX_CATEGORY_PREFIX, Margins, Metric, metric_value, ratio
from db.queries.monthly import opex_parts
from db.queries.periods import Filters, Period
from db.queries.sales import Dimension, sales_breakdown
from db.queries.targets import TargetComparison, TargetCoverage, add_sales, compare_target, period_cells
from db.scope import Scope

ZERO = Decimal("0.00")


class PnlDimension(StrEnum):
    """What a P&L report groups by."""

    TERRITORY = "territory"
    MONTH = "month"


@dataclass(frozen=True)
class PnlRow(Margins):
    """One P&L column: sales sums and prorated operating expenses, in the reporting currency."""

    key: str = ""
    opex: Decimal = ZERO

    @property
    def operating_profit(self) -> Decimal:
        return self.gross_margin - self.opex


@dataclass(frozen=True)
class PnlReport:
    """P&L rows (largest revenue first; months in date order) and their reconciling total."""

    by: PnlDimension
    start: date
    end: date
    territory: str | None
    rows: tuple[PnlRow, ...]
    total: PnlRow


def pnl_report(
    session: Session, *, by: PnlDimension | str, start: date, end: date, scope: Scope, territory: str | None = None
) -> PnlReport:
    """The P&L of the scope for the range by territory or by month, optionally for one territory."""
    dimension = PnlDimension(by)
    period = Period(start, end)
    sales = sales_breakdown(
        session, by=Dimension(dimension.value), start=start, end=end, scope=scope, filters=Filters(territory)
    )
    opex: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for part in opex_parts(session, period=period, scope=scope, territory=territory):
        key = part.territory if dimension is PnlDimension.TERRITORY else part.month.isoformat()
        opex[key] += part.amount
    sales_by_key = {row.key: row for row in sales.rows}
    rows = [
        PnlRow(
            key=key,
            net_revenue=sales_by_key[key].net_revenue if key in sales_by_key else ZERO,
            cogs=sales_by_key[key].cogs if key in sales_by_key else ZERO,
            opex=opex[key],
        )
        for key in sales_by_key.keys() | opex.keys()
    ]
    if dimension is PnlDimension.MONTH:
        rows.sort(key=lambda row: row.key)
    else:
        rows.sort(key=lambda row: (-row.net_revenue, row.key))
    total = PnlRow(
        key="total",
        net_revenue=sales.total.net_revenue,
        cogs=sales.total.cogs,
        opex=sum(opex.values(), ZERO),
    )
    return PnlReport(by=dimension, start=start, end=end, territory=territory, rows=tuple(rows), total=total)


@dataclass(frozen=True)
class OpexRow:
    """Operating expenses of one category over the period."""

    category: str
    amount: Decimal


def opex_by_category(
    session: Session, *, start: date, end: date, scope: Scope, territory: str | None = None
) -> list[OpexRow]:
    """Prorated operating expenses of the scope by category, largest first."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for part in opex_parts(session, period=Period(start, end), scope=scope, territory=territory):
        totals[part.category] += part.amount
    return sorted((OpexRow(category=c, amount=a) for c, a in totals.items()), key=lambda r: (-r.amount, r.category))


@dataclass(frozen=True)
class BudgetLine:
    """Actual against budget for one P&L line; `favourable` says whether the variance helps profit.

    `actual` is the actual of the cells the budget covers (the whole period's when there is no
    budget), so it is compared like with like; `coverage` says how much of the period that is.
    """

    line: str
    label: str
    actual: Decimal
    budget: Decimal | None
    is_cost: bool
    coverage: TargetCoverage | None = None

    @property
    def variance(self) -> Decimal | None:
        return None if self.budget is None else self.actual - self.budget

    @property
    def variance_pct(self) -> Decimal | None:
        if self.budget is None or self.variance is None:
            return None
        return ratio(self.variance, abs(self.budget))

    @property
    def favourable(self) -> bool | None:
        if self.variance is None:
            return None
        return self.variance <= 0 if self.is_cost else self.variance >= 0


_BUDGET_LINES = (Metric.NET_REVENUE, Metric.GROSS_MARGIN, Metric.OPEX, Metric.OPERATING_PROFIT)


def budget_vs_actual(
    session: Session, *, start: date, end: date, scope: Scope, territory: str | None = None
) -> list[BudgetLine]:
    """The P&L lines (with or without a budget) and each expense category with a budget, actual against budget."""
    period = Period(start, end)
    cells = period_cells(session, period=period, scope=scope, territory=territory)
    sales = add_sales(cells.sales.values())
    opex_total = sum((p.amount for p in cells.opex), ZERO)
    lines = []
    for metric in _BUDGET_LINES:
        info = METRICS[metric]
        whole = metric_value(metric, sales, opex_total)
        lines.append(
            _line(
                compare_target(cells, metric.value, territory=territory),
                info.label,
                whole,
                is_cost=not info.higher_is_better,
            )
        )
    for name in sorted(n for n in cells.target_names() if n.startswith(OPEX_CATEGORY_PREFIX)):
        category = name.removeprefix(OPEX_CATEGORY_PREFIX)
        whole = sum((p.amount for p in cells.opex if p.category == category), ZERO)
        lines.append(_line(compare_target(cells, name, territory=territory), f"Opex: {category}", whole, is_cost=True))
    return lines


def _line(comparison: TargetComparison, label: str, whole: Decimal | None, *, is_cost: bool) -> BudgetLine:
    covered = comparison.coverage.covered_value
    actual = covered if comparison.target is not None and covered is not None else whole
    return BudgetLine(
        line=comparison.metric,
        label=label,
        actual=actual if actual is not None else ZERO,
        budget=comparison.target,
        is_cost=is_cost,
        coverage=comparison.coverage,
    )
