"""Monthly amounts (expenses, targets) prorated onto a date range.

Expenses and targets are booked per month, each for the whole month; a period covering part
of a month takes the share of its days. Each (month, territory, item) amount is prorated and
rounded once, and every view sums those same rounded parts, so breakdowns reconcile to the penny.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.dates import month_end, month_start
from db.models import KpiTarget, OperatingExpense, table_of
from db.queries.figures import money
from db.queries.periods import Period
from db.scope import Scope

_opex = table_of(OperatingExpense)
_targets = table_of(KpiTarget)


@dataclass(frozen=True)
class OpexPart:
    """One month's expense for a territory and category, prorated onto the period."""

    month: date
    territory: str
    category: str
    amount: Decimal


def days_inside(period: Period, month: date) -> int:
    """How many days of `month` fall inside the period."""
    return period.overlap_days(month, month_end(month))


def prorate(amount: Decimal, *, period: Period, month: date) -> Decimal:
    """A whole month's amount times the share of the month's days inside the period, to the penny."""
    return money(amount * Decimal(days_inside(period, month)) / Decimal(month_end(month).day))


def opex_parts(session: Session, *, period: Period, scope: Scope, territory: str | None = None) -> list[OpexPart]:
    """Every expense line of the scope overlapping the period, prorated by the days it covers."""
    statement = select(_opex.c.month, _opex.c.territory, _opex.c.category, _opex.c.amount_rc).where(
        _opex.c.month.between(month_start(period.start), period.end), scope.where(_opex.c.territory)
    )
    if territory is not None:
        statement = statement.where(_opex.c.territory == territory)
    return [
        OpexPart(month=month, territory=terr, category=category, amount=prorate(amount, period=period, month=month))
        for month, terr, category, amount in session.execute(statement).all()
    ]


@dataclass(frozen=True)
class TargetCell:
    """One monthly target as stored: a whole month's value for a territory (or `*`) and a metric."""

    month: date
    territory: str
    metric: str
    value: Decimal


def target_cells(session: Session, *, period: Period, scope: Scope, territory: str | None = None) -> list[TargetCell]:
    """Every target of the scope in a month the period touches; for one territory, only that territory's.

    The whole-business `*` target belongs to the unrestricted scope only: a partial scope's target
    is the sum of its territories' targets.
    """
    statement = select(_targets.c.month, _targets.c.territory, _targets.c.metric, _targets.c.value).where(
        _targets.c.month.between(month_start(period.start), period.end), scope.where(_targets.c.territory)
    )
    if territory is not None:
        statement = statement.where(_targets.c.territory == territory)
    return [TargetCell(*row) for row in session.execute(statement).all()]
