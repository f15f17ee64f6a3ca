"""Every figure under a territory scope: only the scope's territories, and totals that are their sum.

Given a January in which UK and IE (the scope) sell beside FR and DE (outside it), with expenses
and targets everywhere, a whole-business `*` target and a plan for only some territories, when the
figures are asked under the scope UK, IE, then no row, total, target or offender comes from FR, DE
or the `*` target. On SQLite and Postgres.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from db import queries
from db.queries import Dimension, Metric, Period, PnlDimension, Status
from db.scope import Scope
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows
from tests.oracle.dataset import FIRST_BOOKED_MONTH, LAST_SALE_DAY, make_business
from tests.oracle.expected import opex_parts, sums
from tests.oracle.ledger import Ledger, make_ledger

JAN = Period(date(2025, 1, 1), date(2025, 1, 31))
SCOPE = Scope.parse("UK, IE")
OUTSIDE = {"FR", "DE"}
LINES = [
    # territory, order, day, channel, category, product, units, revenue, cogs
    ("UK", "A", date(2025, 1, 5), "Online", "Coffee", "Espresso", 2, "100.00", "40.00"),
    ("UK", "A", date(2025, 1, 5), "Online", "Tea", "Green tea", 1, "20.00", "8.00"),
    ("UK", "B", date(2025, 1, 20), "Retail", "Coffee", "Espresso", 3, "150.00", "60.00"),
    ("IE", "C", date(2025, 1, 5), "Online", "Tea", "Chai", 1, "30.00", "12.00"),
    ("IE", "D", date(2025, 1, 25), "Marketplace", "Equipment", "Grinder", 1, "120.00", "70.00"),
    ("FR", "E", date(2025, 1, 10), "Wholesale", "Accessories", "Mug", 50, "450.00", "200.00"),
    ("FR", "F", date(2025, 1, 5), "Online", "Coffee", "Espresso", 5, "250.00", "100.00"),
    ("DE", "G", date(2025, 1, 28), "Retail", "Coffee", "Espresso", 2, "90.00", "30.00"),
    ("UK", "H", date(2024, 12, 10), "Online", "Coffee", "Espresso", 1, "80.00", "30.00"),
    ("FR", "I", date(2024, 12, 10), "Online", "Coffee", "Espresso", 9, "500.00", "200.00"),
]
"""The scope sells 420.00 (cogs 190.00, 8 units, 4 orders) in January; FR and DE sell 790.00 beside it."""
EXPENSES = [
    (JAN.start, "UK", "Rent", "310.00"),
    (JAN.start, "IE", "Rent", "155.00"),
    (JAN.start, "IE", "Marketing", "62.00"),
    (JAN.start, "FR", "Legal", "999.00"),
    (JAN.start, "DE", "Rent", "500.00"),
]
TARGETS = [
    (JAN.start, "*", "net_revenue", "5000"),
    (JAN.start, "UK", "net_revenue", "400"),
    (JAN.start, "FR", "net_revenue", "1000"),
    (JAN.start, "*", "gross_margin_pct", "0.5000"),
    (JAN.start, "UK", "gross_margin_pct", "0.6000"),
    (JAN.start, "*", "opex", "2000"),
    (JAN.start, "UK", "opex", "300"),
    (JAN.start, "IE", "opex", "200"),
]
"""`*` plans the whole business; UK and FR plan revenue, IE does not; UK and IE both plan opex."""


@pytest.fixture
def january(session: Session) -> list[dict[str, Any]]:
    """The seeded sales lines (as stored), with the expenses and targets above."""
    lines = [
        sale(
            territory=t,
            order_id=o,
            order_date=d,
            channel=ch,
            category=cat,
            product=p,
            units=u,
            net_revenue=r,
            cogs=c,
        )
        for t, o, d, ch, cat, p, u, r, c in LINES
    ]
    store_sales_lines(session, lines)
    store_expense_lines(session, EXPENSES)
    store_target_rows(session, TARGETS)
    return lines


def _key(line: dict[str, Any], by: Dimension) -> str:
    day: date = line["order_date"]
    if by is Dimension.DAY:
        return day.isoformat()
    if by is Dimension.MONTH:
        return day.replace(day=1).isoformat()
    if by is Dimension.YEAR:
        return str(day.year)
    return str(line[by.value])


def _expected_rows(
    lines: list[dict[str, Any]], by: Dimension, scope: Scope
) -> dict[str, tuple[Decimal, Decimal, int, int]]:
    """The breakdown worked out from the lines themselves: (revenue, cogs, units, distinct orders) per key."""
    sums: dict[str, list[Any]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00"), 0, set()])
    for line in lines:
        if JAN.start <= line["order_date"] <= JAN.end and scope.allows(line["territory"]):
            row = sums[_key(line, by)]
            row[0] += line["net_revenue"]
            row[1] += line["cogs"]
            row[2] += line["units"]
            row[3].add(line["order_id"])
    return {key: (r, c, u, len(orders)) for key, (r, c, u, orders) in sums.items()}


def _card(card: queries.Scorecard, metric: Metric) -> queries.KpiCard:
    return next(c for c in card.cards if c.metric is metric)


def test_sales_totals_are_the_scopes_territories_only(session: Session, january: list[dict[str, Any]]) -> None:
    totals = queries.sales_totals(session, scope=SCOPE, start=JAN.start, end=JAN.end)
    uk = queries.sales_totals(session, scope=Scope.only(["UK"]), start=JAN.start, end=JAN.end)
    ie = queries.sales_totals(session, scope=Scope.only(["IE"]), start=JAN.start, end=JAN.end)

    assert (totals.net_revenue, totals.cogs, totals.units, totals.orders) == (
        Decimal("420.00"),
        Decimal("190.00"),
        8,
        4,
    )
    assert totals.net_revenue == uk.net_revenue + ie.net_revenue
    assert (totals.cogs, totals.units, totals.orders) == (uk.cogs + ie.cogs, uk.units + ie.units, uk.orders + ie.orders)


@pytest.mark.parametrize("by", list(Dimension))
def test_a_breakdown_by_any_dimension_holds_only_the_scopes_sales(
    session: Session, january: list[dict[str, Any]], by: Dimension
) -> None:
    report = queries.sales_breakdown(session, scope=SCOPE, by=by, start=JAN.start, end=JAN.end)

    got = {row.key: (row.net_revenue, row.cogs, row.units, row.orders) for row in report.rows}
    assert got == _expected_rows(january, by, SCOPE)
    assert (report.total.net_revenue, report.total.orders) == (Decimal("420.00"), 4)


def test_values_only_sold_outside_the_scope_never_appear(session: Session, january: list[dict[str, Any]]) -> None:
    keys = {
        by: {row.key for row in queries.sales_breakdown(session, scope=SCOPE, by=by, start=JAN.start, end=JAN.end).rows}
        for by in Dimension
    }

    assert keys[Dimension.TERRITORY] == {"UK", "IE"}
    assert "Wholesale" not in keys[Dimension.CHANNEL]
    assert "Accessories" not in keys[Dimension.CATEGORY]
    assert "Mug" not in keys[Dimension.PRODUCT]
    assert "2025-01-10" not in keys[Dimension.DAY]  # only FR sold that day


def test_daily_sales_are_the_scopes_days(session: Session, january: list[dict[str, Any]]) -> None:
    points = queries.daily_sales(session, scope=SCOPE, start=JAN.start, end=JAN.end)

    assert [(p.day.day, p.net_revenue, p.orders) for p in points] == [
        (5, Decimal("150.00"), 2),
        (20, Decimal("150.00"), 1),
        (25, Decimal("120.00"), 1),
    ]


def test_pnl_by_territory_and_by_month_holds_only_the_scopes_sales_and_expenses(
    session: Session, january: list[dict[str, Any]]
) -> None:
    by_territory = queries.pnl_report(session, scope=SCOPE, by=PnlDimension.TERRITORY, start=JAN.start, end=JAN.end)
    by_month = queries.pnl_report(session, scope=SCOPE, by=PnlDimension.MONTH, start=JAN.start, end=JAN.end)

    assert [(r.key, r.net_revenue, r.cogs, r.opex) for r in by_territory.rows] == [
        ("UK", Decimal("270.00"), Decimal("108.00"), Decimal("310.00")),
        ("IE", Decimal("150.00"), Decimal("82.00"), Decimal("217.00")),
    ]
    assert [(r.key, r.net_revenue, r.opex) for r in by_month.rows] == [
        ("2025-01-01", Decimal("420.00"), Decimal("527.00"))
    ]
    for report in (by_territory, by_month):
        assert (report.total.net_revenue, report.total.opex) == (Decimal("420.00"), Decimal("527.00"))
        assert report.total.operating_profit == Decimal("-297.00")


def test_opex_by_category_holds_only_the_scopes_expenses(session: Session, january: list[dict[str, Any]]) -> None:
    rows = queries.opex_by_category(session, scope=SCOPE, start=JAN.start, end=JAN.end)

    assert [(r.category, r.amount) for r in rows] == [("Rent", Decimal("465.00")), ("Marketing", Decimal("62.00"))]


def test_dimensions_list_only_what_the_scope_holds(session: Session, january: list[dict[str, Any]]) -> None:
    mine = queries.dimensions(session, scope=SCOPE)
    everything = queries.dimensions(session, scope=Scope.everything())

    assert mine.territories == ("IE", "UK")
    assert mine.channels == ("Marketplace", "Online", "Retail")
    assert mine.categories == ("Coffee", "Equipment", "Tea")
    assert (mine.first_day, mine.last_day) == (date(2024, 12, 10), date(2025, 1, 25))
    assert everything.territories == ("DE", "FR", "IE", "UK") and everything.last_day == date(2025, 1, 28)


def test_a_partial_scope_sums_its_territories_targets_never_the_star_target(
    session: Session, january: list[dict[str, Any]]
) -> None:
    lines = {line.line: line for line in queries.budget_vs_actual(session, scope=SCOPE, start=JAN.start, end=JAN.end)}
    whole = {
        line.line: line
        for line in queries.budget_vs_actual(session, scope=Scope.everything(), start=JAN.start, end=JAN.end)
    }

    revenue = lines["net_revenue"]
    assert (revenue.budget, revenue.actual) == (Decimal("400.00"), Decimal("270.00"))  # UK's plan, UK's sales
    assert revenue.coverage is not None and revenue.coverage.note == "target covers 1 of 2 territories"
    opex = lines["opex"]
    assert (opex.budget, opex.actual) == (Decimal("500.00"), Decimal("527.00"))  # UK's 300 and IE's 200
    assert opex.coverage is not None and opex.coverage.complete
    assert whole["net_revenue"].budget == Decimal("5000.00")  # the `*` target belongs to every territory


def test_the_scorecard_scores_the_scope_against_its_own_plan(session: Session, january: list[dict[str, Any]]) -> None:
    card = queries.scorecard(session, scope=SCOPE, period=JAN)

    revenue = _card(card, Metric.NET_REVENUE)
    assert (revenue.value, revenue.prior, revenue.target) == (Decimal("420.00"), Decimal("80.00"), Decimal("400.00"))
    assert revenue.coverage is not None and revenue.coverage.covered_value == Decimal("270.00")
    assert revenue.coverage.note == "target covers 1 of 2 territories"
    assert revenue.status is Status.OFF_TRACK  # 270 of 400
    margin = _card(card, Metric.GROSS_MARGIN_PCT)
    assert margin.target is None and margin.status is Status.NO_TARGET  # neither `*` nor averaged territory ratios
    assert _card(card, Metric.OPEX).value == Decimal("527.00")


def test_offenders_are_named_only_from_the_scope(session: Session, january: list[dict[str, Any]]) -> None:
    mine = queries.scorecard(session, scope=SCOPE, period=JAN, with_spark=False)
    everything = queries.scorecard(session, scope=Scope.everything(), period=JAN, with_spark=False)

    named = {t for offender in mine.health.offenders for t in offender.territories}
    assert named and named <= {"UK", "IE"}
    assert next(o for o in mine.health.offenders if o.metric is Metric.NET_REVENUE).territories == ("UK",)
    assert "FR" in {t for offender in everything.health.offenders for t in offender.territories}
    assert "FR" not in mine.health.headline() and "DE" not in mine.health.headline()


def test_sparklines_are_drawn_from_the_scopes_days(session: Session, january: list[dict[str, Any]]) -> None:
    revenue = _card(queries.scorecard(session, scope=SCOPE, period=JAN), Metric.NET_REVENUE)

    assert [(p.day.day, p.value) for p in revenue.spark] == [
        (5, Decimal("150.00")),
        (20, Decimal("150.00")),
        (25, Decimal("120.00")),
    ]


def test_a_one_territory_scope_is_that_territorys_view(session: Session, january: list[dict[str, Any]]) -> None:
    scoped = queries.scorecard(session, scope=Scope.only(["UK"]), period=JAN)
    view = queries.scorecard(session, scope=Scope.everything(), period=JAN, territory="UK")

    def shown(card: queries.Scorecard) -> list[tuple[Any, ...]]:
        return [(c.metric, c.value, c.prior, c.target, c.status, c.spark) for c in card.cards]

    assert shown(scoped) == shown(view)
    assert _card(scoped, Metric.GROSS_MARGIN_PCT).target == Decimal("0.6000")  # UK's ratio target applies


def test_a_territory_without_data_may_be_in_a_scope_and_adds_nothing(
    session: Session, january: list[dict[str, Any]]
) -> None:
    with_nl = Scope.parse("UK,IE,NL")

    assert queries.sales_totals(session, scope=with_nl, start=JAN.start, end=JAN.end) == queries.sales_totals(
        session, scope=SCOPE, start=JAN.start, end=JAN.end
    )
    assert queries.dimensions(session, scope=with_nl).territories == ("IE", "UK")
    assert queries.pnl_report(session, scope=with_nl, by="territory", start=JAN.start, end=JAN.end).rows == (
        queries.pnl_report(session, scope=SCOPE, by="territory", start=JAN.start, end=JAN.end).rows
    )
    only_nl = queries.scorecard(session, scope=Scope.only(["NL"]), period=JAN)
    assert only_nl.health.status is Status.NO_DATA


@pytest.mark.parametrize("nothing", [Scope.only([]), Scope.parse("UK,IE").narrowed(Scope.parse("FR"))])
def test_an_empty_scope_sees_no_rows_no_values_and_no_data(
    session: Session, january: list[dict[str, Any]], nothing: Scope
) -> None:
    totals = queries.sales_totals(session, scope=nothing, start=JAN.start, end=JAN.end)
    card = queries.scorecard(session, scope=nothing, period=JAN)
    budget = queries.budget_vs_actual(session, scope=nothing, start=JAN.start, end=JAN.end)
    found = queries.dimensions(session, scope=nothing)

    assert (totals.net_revenue, totals.cogs, totals.units, totals.orders) == (Decimal("0.00"), Decimal("0.00"), 0, 0)
    for by in Dimension:
        assert queries.sales_breakdown(session, scope=nothing, by=by, start=JAN.start, end=JAN.end).rows == ()
    assert queries.daily_sales(session, scope=nothing, start=JAN.start, end=JAN.end) == []
    for pnl_by in PnlDimension:
        pnl = queries.pnl_report(session, scope=nothing, by=pnl_by, start=JAN.start, end=JAN.end)
        assert pnl.rows == () and pnl.total.opex == Decimal("0.00")
    assert queries.opex_by_category(session, scope=nothing, start=JAN.start, end=JAN.end) == []
    assert all(line.budget is None and line.actual == Decimal("0.00") for line in budget)
    assert (found.territories, found.channels, found.categories, found.first_day) == ((), (), (), None)
    assert card.health.status is Status.NO_DATA
    assert all(c.value is None and c.prior is None and c.target is None and c.spark == () for c in card.cards)


ORACLE_SEED = 16
"""The oracle's seeded business: two years of sales in six territories, and NL with expenses only."""
ORACLE_TERRITORIES = ("DE", "ES", "FR", "IE", "UK", "Việt Nam", "NL", "Atlantis")
"""The business's territories, NL (no sales) and Atlantis (nothing at all)."""


@pytest.fixture
def business(session: Session) -> Ledger:
    """The oracle's ledger (converted lines and expenses), stored as they would be imported."""
    ledger = make_ledger(make_business(ORACLE_SEED))
    store_sales_lines(
        session,
        [
            sale(
                source=line.source,
                order_id=line.order_id,
                order_date=line.day,
                territory=line.territory,
                channel=line.channel,
                category=line.category,
                product=line.product,
                units=line.units,
                net_revenue=line.net_revenue,
                cogs=line.cogs,
            )
            for line in ledger.lines
        ],
    )
    store_expense_lines(session, [(e.month, e.territory, e.category, str(e.amount)) for e in ledger.expenses])
    return ledger


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    territories=st.sets(st.sampled_from(ORACLE_TERRITORIES)),
    start=st.dates(min_value=FIRST_BOOKED_MONTH, max_value=LAST_SALE_DAY),
    days=st.integers(min_value=0, max_value=400),
)
def test_scoped_totals_are_the_sum_of_their_territories(
    session: Session, business: Ledger, territories: set[str], start: date, days: int
) -> None:
    end = min(start + timedelta(days=days), LAST_SALE_DAY)
    scope = Scope.only(territories)
    expected = sums(line for line in business.lines if start <= line.day <= end and line.territory in territories)
    expected_opex = sum(
        (part.amount for part in opex_parts(business, start, end) if part.expense.territory in territories),
        Decimal("0.00"),
    )

    totals = queries.sales_totals(session, scope=scope, start=start, end=end)
    pnl = queries.pnl_report(session, scope=scope, by=PnlDimension.TERRITORY, start=start, end=end)
    each = [queries.sales_totals(session, scope=Scope.only([t]), start=start, end=end) for t in territories]

    figures = (totals.net_revenue, totals.cogs, totals.units, totals.orders, pnl.total.opex)
    assert figures == (expected.net_revenue, expected.cogs, expected.units, expected.orders, expected_opex)
    assert (totals.net_revenue, totals.cogs, totals.units, totals.orders) == (
        sum((t.net_revenue for t in each), Decimal("0.00")),
        sum((t.cogs for t in each), Decimal("0.00")),
        sum(t.units for t in each),
        sum(t.orders for t in each),
    )
    assert {row.key for row in pnl.rows} <= territories
