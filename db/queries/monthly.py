"""Monthly amounts (expenses, targets) prorated onto a date range.

Expenses and targets are booked per month; a period covering part of a month takes the
share of its days. Each (month, territory, item) amount is prorated and rounded once, and
every view sums those same rounded parts, so breakdowns reconcile to the penny.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dates import month_end, month_start, months_between
from db.models import ALL_TERRITORIES, KpiTarget, OperatingExpense
from db.queries.figures import METRICS, OPEX_CATEGORY_PREFIX, RATIO, Metric, money
from db.queries.periods import Period

_opex = OperatingExpense.__table__
_targets = KpiTarget.__table__


@dataclass(frozen=True)
class OpexPart:
    """One month's expense for a territory and category, prorated onto the period."""

    month: date
    territory: str
    category: str
    amount: Decimal


def _share(period: Period, month: date) -> Decimal:
    last = month_end(month)
    return Decimal(period.overlap_days(month, last)) / Decimal(last.day)


def opex_parts(session: Session, *, period: Period, territory: str | None = None) -> list[OpexPart]:
    """Every expense line overlapping the period, prorated by the days it covers."""
    statement = select(_opex.c.month, _opex.c.territory, _opex.c.category, _opex.c.amount_rc).where(
        _opex.c.month.between(month_start(period.start), period.end)
    )
    if territory is not None:
        statement = statement.where(_opex.c.territory == territory)
    return [
        OpexPart(month=month, territory=terr, category=category, amount=money(amount * _share(period, month)))
        for month, terr, category, amount in session.execute(statement).all()
    ]


def _metric_kind(name: str) -> tuple[bool, bool]:
    """(additive, known) for a target metric name."""
    if name.startswith(OPEX_CATEGORY_PREFIX):
        return True, True
    try:
        return METRICS[Metric(name)].additive, True
    except ValueError:
        return False, False


def targets_for(session: Session, *, period: Period, territory: str | None = None) -> dict[str, Decimal]:
    """Targets for the period by metric name, prorated by days (averaged for ratio metrics).

    Without a territory, whole-business targets (`*`) are used; where a month has none, the
    territories' additive targets are summed. A metric gets a target only when every month
    the period touches has one.
    """
    statement = select(_targets.c.month, _targets.c.territory, _targets.c.metric, _targets.c.value).where(
        _targets.c.month.between(month_start(period.start), period.end)
    )
    if territory is not None:
        statement = statement.where(_targets.c.territory == territory)
    by_month: dict[tuple[str, date], dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for month, terr, metric, value in session.execute(statement).all():
        by_month[(metric, month)]["all" if terr == ALL_TERRITORIES else "territories"].append(value)

    months = months_between(period.start, period.end)
    result: dict[str, Decimal] = {}
    for metric in {metric for metric, _ in by_month}:
        additive, known = _metric_kind(metric)
        if not known:
            continue
        monthly: list[tuple[date, Decimal]] = []
        for month in months:
            values = by_month.get((metric, month))
            if not values:
                break
            if values.get("all"):
                monthly.append((month, values["all"][0]))
            elif additive and values.get("territories"):
                monthly.append((month, sum(values["territories"], Decimal(0))))
            else:
                break
        else:
            result[metric] = _combine(period, monthly, additive=additive)
    return result


def _combine(period: Period, monthly: list[tuple[date, Decimal]], *, additive: bool) -> Decimal:
    if additive:
        return money(sum((value * _share(period, month) for month, value in monthly), Decimal(0)))
    weights = [Decimal(period.overlap_days(month, month_end(month))) for month, _ in monthly]
    weighted = sum((value * weight for (_, value), weight in zip(monthly, weights, strict=True)), Decimal(0))
    return (weighted / sum(weights, Decimal(0))).quantize(RATIO)
