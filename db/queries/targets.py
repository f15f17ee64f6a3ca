"""A period's target for a metric, and the actual it is compared with: the cells the target covers.

A target cell is (month, territory, metric), a whole month's amount. For one territory, the
months with a target are covered. For the whole business, a month with a `*` target is covered
for every territory; otherwise an additive metric's month is covered for the territories with a
target (ratio metrics need `*`). The target is compared with the actual of the covered (month,
territory) cells only, so a plan that lacks a month or a territory is never set against sales it
did not plan for; the coverage says how much of the period the target covers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.orm import Session

from db.dates import month_sql, months_between
from db.models import ALL_TERRITORIES, OrdersDaily, SalesDaily, table_of
from db.queries.figures import (
    METRICS,
    OPEX_CATEGORY_PREFIX,
    RATIO,
    Metric,
    SalesFigures,
    Unit,
    metric_value,
    money,
)
from db.queries.monthly import OpexPart, TargetCell, days_inside, opex_parts, prorate, target_cells
from db.queries.periods import Period
from db.scope import Scope

_daily = table_of(SalesDaily)
_orders = table_of(OrdersDaily)
ZERO = Decimal("0.00")
NO_TARGET_FOR_PERIOD = "no target set for this period"


@dataclass(frozen=True)
class TargetCoverage:
    """How much of a period a target covers, and the actual of the covered cells."""

    months_covered: int
    months_total: int
    territories_covered: int
    territories_total: int
    covered_value: Decimal | None = None
    reason: str | None = None
    """Why there is no target, when nothing is covered."""
    territory: str | None = None
    """The territory of the view; None for the whole business."""

    @property
    def complete(self) -> bool:
        """True when the target covers every month and every territory of the period."""
        every_month = self.months_covered == self.months_total
        return self.months_covered > 0 and every_month and self.territories_covered == self.territories_total

    @property
    def note(self) -> str | None:
        """'target covers 11 of 12 months' (and/or territories) when the coverage is partial."""
        if self.complete or not self.months_covered:
            return None
        parts = []
        if self.months_covered < self.months_total:
            parts.append(f"{self.months_covered} of {self.months_total} months")
        if self.territories_covered < self.territories_total:
            parts.append(f"{self.territories_covered} of {self.territories_total} territories")
        return f"target covers {' and '.join(parts)}"


@dataclass(frozen=True)
class TargetComparison:
    """A metric's target for the period (None when nothing is covered) and its coverage."""

    metric: str
    target: Decimal | None
    coverage: TargetCoverage


@dataclass(frozen=True)
class PeriodCells:
    """A period's actuals and targets per (month, territory), the grain targets are set at."""

    period: Period
    scope: Scope
    sales: dict[tuple[date, str], SalesFigures]
    opex: tuple[OpexPart, ...]
    targets: tuple[TargetCell, ...]

    def target_names(self) -> set[str]:
        """The metric names with a target in the period."""
        return {cell.metric for cell in self.targets}


def period_cells(session: Session, *, period: Period, scope: Scope, territory: str | None = None) -> PeriodCells:
    """Sales sums, prorated expenses and targets of the scope's cells in the period by month and territory."""
    return PeriodCells(
        period=period,
        scope=scope,
        sales=_sales_by_month_and_territory(session, period=period, scope=scope, territory=territory),
        opex=tuple(opex_parts(session, period=period, scope=scope, territory=territory)),
        targets=tuple(target_cells(session, period=period, scope=scope, territory=territory)),
    )


def _sales_by_month_and_territory(
    session: Session, *, period: Period, scope: Scope, territory: str | None
) -> dict[tuple[date, str], SalesFigures]:
    dialect = session.get_bind().dialect
    month = month_sql(dialect, _daily.c.day)
    sums = (
        select(
            month, _daily.c.territory, func.sum(_daily.c.net_revenue), func.sum(_daily.c.cogs), func.sum(_daily.c.units)
        )
        .where(_inside(_daily, period, scope, territory))
        .group_by(month, _daily.c.territory)
    )
    # Orders from OrdersDaily, where each order counts once (an order belongs to one day and territory).
    order_month = month_sql(dialect, _orders.c.day)
    counts = (
        select(order_month, _orders.c.territory, func.sum(_orders.c.orders))
        .where(_inside(_orders, period, scope, territory))
        .group_by(order_month, _orders.c.territory)
    )
    orders = {(m, t): int(n) for m, t, n in session.execute(counts).all()}
    return {
        (m, t): SalesFigures(net_revenue=revenue, cogs=cogs, units=int(units), orders=orders.get((m, t), 0))
        for m, t, revenue, cogs, units in session.execute(sums).all()
    }


def _inside(table: Table, period: Period, scope: Scope, territory: str | None) -> ColumnElement[bool]:
    conditions = [table.c.day.between(period.start, period.end), scope.where(table.c.territory)]
    if territory is not None:
        conditions.append(table.c.territory == territory)
    return and_(*conditions)


@dataclass(frozen=True)
class _CoveredMonth:
    """A covered month: the monthly target values it sums and the territories they cover (None: all)."""

    values: tuple[Decimal, ...]
    territories: frozenset[str] | None

    def covers(self, territory: str) -> bool:
        return self.territories is None or territory in self.territories


def _label(name: str) -> str:
    if name.startswith(OPEX_CATEGORY_PREFIX):
        return f"Opex: {name.removeprefix(OPEX_CATEGORY_PREFIX)}"
    return METRICS[Metric(name)].label


def _additive(name: str) -> bool:
    """Whether a target metric adds up across months and territories (ratios do not)."""
    return name.startswith(OPEX_CATEGORY_PREFIX) or METRICS[Metric(name)].additive


def _unit(name: str) -> Unit:
    return Unit.MONEY if name.startswith(OPEX_CATEGORY_PREFIX) else METRICS[Metric(name)].unit


def _uses_expenses(name: str) -> bool:
    return name.startswith(OPEX_CATEGORY_PREFIX) or name in (Metric.OPEX, Metric.OPERATING_PROFIT)


def compare_target(cells: PeriodCells, name: str, *, territory: str | None = None) -> TargetComparison:
    """The target of metric `name` over the cells it covers, for one territory or the whole scope.

    A one-territory scope is that territory's view, so its ratio targets apply as they do there.
    """
    territory = territory if territory is not None else cells.scope.single
    months = months_between(cells.period.start, cells.period.end)
    mine = [cell for cell in cells.targets if cell.metric == name]
    covered = _covered_months(mine, months, territory=territory, additive=_additive(name))
    territories = {territory} if territory is not None else _territories(cells, name, mine)
    everywhere = {t for t in territories if all(m.covers(t) for m in covered.values())} if covered else set()
    coverage = TargetCoverage(
        months_covered=len(covered),
        months_total=len(months),
        territories_covered=len(everywhere),
        territories_total=len(territories),
        covered_value=_covered_actual(cells, name, covered) if covered else None,
        reason=None if covered else _reason(name, territory),
        territory=territory,
    )
    target = _target(cells.period, covered, additive=_additive(name), unit=_unit(name)) if covered else None
    return TargetComparison(metric=name, target=target, coverage=coverage)


def _reason(name: str, territory: str | None) -> str:
    return NO_TARGET_FOR_PERIOD if territory is None else f"no {_label(name)} target for {territory}"


def _covered_months(
    mine: list[TargetCell], months: list[date], *, territory: str | None, additive: bool
) -> dict[date, _CoveredMonth]:
    covered: dict[date, _CoveredMonth] = {}
    for month in months:
        here = [cell for cell in mine if cell.month == month]
        if territory is not None:
            here = [cell for cell in here if cell.territory == territory]
            if here:
                covered[month] = _CoveredMonth((here[0].value,), frozenset({territory}))
            continue
        whole = [cell for cell in here if cell.territory == ALL_TERRITORIES]
        if whole:
            covered[month] = _CoveredMonth((whole[0].value,), None)
        elif additive and here:
            covered[month] = _CoveredMonth(tuple(c.value for c in here), frozenset(c.territory for c in here))
    return covered


def _territories(cells: PeriodCells, name: str, mine: Iterable[TargetCell]) -> set[str]:
    """Territories with a sales line, an expense (for expense metrics) or a target for the metric in the period."""
    found = {territory for _, territory in cells.sales}
    if _uses_expenses(name):
        found |= {part.territory for part in cells.opex}
    return found | {cell.territory for cell in mine if cell.territory != ALL_TERRITORIES}


def _target(period: Period, covered: dict[date, _CoveredMonth], *, additive: bool, unit: Unit) -> Decimal:
    if additive:
        return sum(
            (prorate(value, period=period, month=month) for month, m in covered.items() for value in m.values),
            ZERO,
        )
    weights = {month: Decimal(days_inside(period, month)) for month in covered}
    weighted = sum((m.values[0] * weights[month] for month, m in covered.items()), Decimal(0))
    average = weighted / sum(weights.values(), Decimal(0))
    # A money ratio (average order value) is money, to the penny; a fraction (margin %) keeps four places.
    return money(average) if unit is Unit.MONEY else average.quantize(RATIO)


def _covered_actual(cells: PeriodCells, name: str, covered: dict[date, _CoveredMonth]) -> Decimal | None:
    def inside(month: date, territory: str) -> bool:
        return month in covered and covered[month].covers(territory)

    parts = [p for p in cells.opex if inside(p.month, p.territory)]
    if name.startswith(OPEX_CATEGORY_PREFIX):
        category = name.removeprefix(OPEX_CATEGORY_PREFIX)
        return sum((p.amount for p in parts if p.category == category), ZERO)
    sales = add_sales(figures for (month, territory), figures in cells.sales.items() if inside(month, territory))
    return metric_value(Metric(name), sales, sum((p.amount for p in parts), ZERO))


def add_sales(figures: Iterable[SalesFigures]) -> SalesFigures:
    """The sum of sales figures of cells that do not share orders (different days or territories)."""
    net_revenue, cogs, units, orders = ZERO, ZERO, 0, 0
    for f in figures:
        net_revenue, cogs, units, orders = (
            net_revenue + f.net_revenue,
            cogs + f.cogs,
            units + f.units,
            orders + f.orders,
        )
    return SalesFigures(net_revenue=net_revenue, cogs=cogs, units=units, orders=orders)
