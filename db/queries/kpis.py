"""The at-a-glance scorecard: every KPI with its target, prior value, status and sparkline."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from db.dates import month_end, month_start
from db.queries.figures import METRICS, Metric, SalesFigures, Unit, metric_value, ratio
from db.queries.monthly import opex_parts
from db.queries.periods import Filters, Period
from db.queries.sales import Dimension, sales_breakdown, sales_totals
from db.queries.scoring import (
    Health,
    Offender,
    Status,
    Thresholds,
    kpi_status,
    overall_health,
    severity,
)
from db.queries.targets import PeriodCells, TargetComparison, TargetCoverage, add_sales, compare_target, period_cells
from db.scope import Scope

ZERO = Decimal("0.00")
SPARK_DAILY_MAX_DAYS = 92


@dataclass(frozen=True)
class SparkPoint:
    """One point of a KPI's sparkline: a day, or the first day of a month for long periods."""

    day: date
    value: Decimal | None


@dataclass(frozen=True)
class KpiCard:
    """One KPI for the period: value, target, prior-period value and status.

    `value` is the whole period's; the status compares the target with the actual of the
    cells it covers (`coverage.covered_value`), which differs only when the coverage is partial.
    """

    metric: Metric
    label: str
    unit: Unit
    higher_is_better: bool
    value: Decimal | None
    target: Decimal | None
    prior: Decimal | None
    status: Status
    spark: tuple[SparkPoint, ...] = ()
    coverage: TargetCoverage | None = None

    @property
    def change_pct(self) -> Decimal | None:
        """Change against the prior period as a fraction (0.05 is +5 %)."""
        if self.value is None or self.prior is None:
            return None
        return ratio(self.value - self.prior, abs(self.prior))

    @property
    def attainment(self) -> Decimal | None:
        """The covered actual as a fraction of target."""
        compared = self.value if self.coverage is None else self.coverage.covered_value
        if compared is None or self.target is None:
            return None
        return ratio(compared, self.target)


@dataclass(frozen=True)
class Scorecard:
    """Cards ordered by priority (off target first) and the overall health."""

    period: Period
    prior_period: Period
    territory: str | None
    cards: tuple[KpiCard, ...]
    health: Health


def kpi_values(
    session: Session, *, period: Period, scope: Scope, territory: str | None = None
) -> dict[Metric, Decimal | None]:
    """Every KPI's value for the scope and period; None for all when there is no sales or expense data."""
    sales = sales_totals(session, start=period.start, end=period.end, scope=scope, filters=Filters(territory))
    parts = opex_parts(session, period=period, scope=scope, territory=territory)
    if not sales.orders and not sales.net_revenue and not parts:
        return {metric: None for metric in Metric}
    opex = sum((p.amount for p in parts), ZERO)
    return {metric: metric_value(metric, sales, opex) for metric in Metric}


def covered_status(
    value: Decimal | None, comparison: TargetComparison, *, higher_is_better: bool, thresholds: Thresholds
) -> Status:
    """No data without a value, no target without a covered cell; else the covered actual against target."""
    if value is None:
        return Status.NO_DATA
    if comparison.target is None:
        return Status.NO_TARGET
    return kpi_status(
        comparison.coverage.covered_value,
        comparison.target,
        higher_is_better=higher_is_better,
        thresholds=thresholds,
    )


def scorecard(
    session: Session,
    *,
    period: Period,
    scope: Scope,
    territory: str | None = None,
    thresholds: Thresholds = Thresholds(),
    with_spark: bool = True,
) -> Scorecard:
    """All KPIs of the scope for the period against target and the prior period, with the overall health."""
    values = kpi_values(session, period=period, scope=scope, territory=territory)
    prior = kpi_values(session, period=period.previous(), scope=scope, territory=territory)
    cells = period_cells(session, period=period, scope=scope, territory=territory)
    spark = _sparklines(session, period=period, scope=scope, territory=territory) if with_spark else {}
    cards = []
    for metric in Metric:
        info = METRICS[metric]
        comparison = compare_target(cells, metric.value, territory=territory)
        cards.append(
            KpiCard(
                metric=metric,
                label=info.label,
                unit=info.unit,
                higher_is_better=info.higher_is_better,
                value=values[metric],
                target=comparison.target,
                prior=prior[metric],
                status=covered_status(
                    values[metric], comparison, higher_is_better=info.higher_is_better, thresholds=thresholds
                ),
                spark=spark.get(metric, ()),
                coverage=comparison.coverage,
            )
        )
    cards.sort(key=lambda card: (severity(card.status), list(Metric).index(card.metric)))
    statuses = {card.metric: card.status for card in cards}
    where = _territory_offenders(cells, thresholds=thresholds) if territory is None else {}
    offenders = [
        Offender(
            metric=card.metric,
            label=card.label,
            status=card.status,
            territories=where.get(card.metric, ()) if territory is None else (territory,),
        )
        for card in cards
        if card.status in (Status.WATCH, Status.OFF_TRACK)
    ]
    health = overall_health(statuses, offenders, thresholds=thresholds)
    return Scorecard(
        period=period, prior_period=period.previous(), territory=territory, cards=tuple(cards), health=health
    )


def _territory_offenders(
    cells: PeriodCells, *, thresholds: Thresholds, limit: int = 3
) -> dict[Metric, tuple[str, ...]]:
    """For each KPI, the territories with sales where it is off target (on their covered cells), worst first."""
    opex: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for part in cells.opex:
        opex[part.territory] += part.amount
    found: dict[Metric, list[tuple[int, Decimal, str]]] = defaultdict(list)
    for territory in sorted({territory for _, territory in cells.sales}):
        sales = add_sales(figures for (_, t), figures in cells.sales.items() if t == territory)
        for metric in Metric:
            info = METRICS[metric]
            value = metric_value(metric, sales, opex[territory])
            comparison = compare_target(cells, metric.value, territory=territory)
            status = covered_status(value, comparison, higher_is_better=info.higher_is_better, thresholds=thresholds)
            compared, target = comparison.coverage.covered_value, comparison.target
            if status in (Status.WATCH, Status.OFF_TRACK) and compared is not None and target:
                attainment = (
                    compared / target if info.higher_is_better else target / compared if compared else Decimal(0)
                )
                found[metric].append((severity(status), attainment, territory))
    return {metric: tuple(name for _, _, name in sorted(items)[:limit]) for metric, items in found.items()}


def _sparklines(
    session: Session, *, period: Period, scope: Scope, territory: str | None
) -> dict[Metric, tuple[SparkPoint, ...]]:
    """Daily points for short periods, monthly points for long ones."""
    daily = period.days <= SPARK_DAILY_MAX_DAYS
    dimension = Dimension.DAY if daily else Dimension.MONTH
    rows = sales_breakdown(
        session, by=dimension, start=period.start, end=period.end, scope=scope, filters=Filters(territory)
    ).rows
    whole_months = Period(month_start(period.start), month_end(period.end))
    month_opex: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for part in opex_parts(session, period=whole_months, scope=scope, territory=territory):
        month_opex[part.month] += part.amount
    points: dict[Metric, list[SparkPoint]] = defaultdict(list)
    for row in rows:
        day = date.fromisoformat(row.key)
        opex = month_opex[month_start(day)]
        if daily:
            opex = opex / month_end(day).day
        else:
            opex = opex * Decimal(period.overlap_days(day, month_end(day))) / month_end(day).day
        figures = SalesFigures(net_revenue=row.net_revenue, cogs=row.cogs, units=row.units, orders=row.orders)
        for metric in Metric:
            points[metric].append(SparkPoint(day=day, value=metric_value(metric, figures, opex)))
    return {metric: tuple(series) for metric, series in points.items()}
