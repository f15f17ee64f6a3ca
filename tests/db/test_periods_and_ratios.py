"""Comparison periods and derived figures at the edges the oracle (tests/oracle) found wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db import queries
from db.queries import Period
from db.queries.figures import SalesFigures


@pytest.mark.parametrize(
    ("start", "end", "prior_start", "prior_end"),
    [
        # A whole month compares with the whole month before, whatever its length.
        (date(2028, 2, 1), date(2028, 2, 29), date(2028, 1, 1), date(2028, 1, 31)),
        (date(2027, 4, 1), date(2027, 4, 30), date(2027, 3, 1), date(2027, 3, 31)),
        (date(2027, 3, 1), date(2027, 3, 31), date(2027, 2, 1), date(2027, 2, 28)),
        # A whole quarter with the whole quarter before.
        (date(2027, 4, 1), date(2027, 6, 30), date(2027, 1, 1), date(2027, 3, 31)),
    ],
)
def test_whole_months_compare_with_the_same_number_of_whole_months_before(
    start: date, end: date, prior_start: date, prior_end: date
) -> None:
    assert Period(start, end).previous() == Period(prior_start, prior_end)


def test_the_last_30_days_that_make_a_whole_month_compare_with_the_whole_month_before() -> None:
    period = queries.period_for("last_30_days", today=date(2027, 6, 30))

    assert (period.start, period.end) == (date(2027, 6, 1), date(2027, 6, 30))
    assert (period.previous().start, period.previous().end) == (date(2027, 5, 1), date(2027, 5, 31))


def test_month_to_date_keeps_comparing_the_same_days_of_the_month_before() -> None:
    period = queries.period_for("mtd", today=date(2027, 3, 30))

    assert (period.previous().start, period.previous().end) == (date(2027, 2, 1), date(2027, 2, 28))


def test_average_order_value_is_rounded_once_to_the_penny() -> None:
    # 284352.09 / 315 = 902.70504…: rounding to four places first (902.7050) would give 902.70.
    figures = SalesFigures(net_revenue=Decimal("284352.09"), cogs=Decimal("0.00"), units=315, orders=315)

    assert figures.aov == Decimal("902.71")
