"""Targets that cover part of a period are compared with the actual of the part they cover, and say so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from db import queries
from db.queries import Metric, Period, Status
from db.scope import Scope
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
JAN = Period(date(2025, 1, 1), date(2025, 1, 31))
Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))
JUNE = date(2025, 6, 1)


def _card(scorecard: queries.Scorecard, metric: Metric) -> queries.KpiCard:
    return next(card for card in scorecard.cards if card.metric is metric)


def _month(n: int) -> date:
    return date(2025, n, 1)


def _plan_without_june(session: Session) -> None:
    """UK sells 850.00 a month against a plan of 1,000.00, and 5,000.00 in June, which the plan lacks."""
    store_sales_lines(
        session,
        [
            sale(territory="UK", order_date=date(2025, n, 10), net_revenue="5000.00" if n == 6 else "850.00")
            for n in range(1, 13)
        ],
    )
    store_target_rows(session, [(_month(n), "UK", "net_revenue", "1000") for n in range(1, 13) if n != 6])


def test_a_full_year_territory_view_whose_plan_lacks_a_month_covers_11_of_12_months(session: Session) -> None:
    _plan_without_june(session)

    revenue = _card(
        queries.scorecard(session, scope=Scope.everything(), period=YEAR, territory="UK"), Metric.NET_REVENUE
    )

    assert revenue.value == Decimal("14350.00")  # the whole year, June included
    assert revenue.target == Decimal("11000.00")
    assert revenue.coverage is not None
    assert revenue.coverage.covered_value == Decimal("9350.00")  # the 11 planned months only
    assert (revenue.coverage.months_covered, revenue.coverage.months_total) == (11, 12)
    assert (revenue.coverage.territories_covered, revenue.coverage.territories_total) == (1, 1)
    assert revenue.coverage.note == "target covers 11 of 12 months"
    assert revenue.status is Status.OFF_TRACK  # 9,350 is 15 % short of 11,000; the whole year's 14,350 is not


def _three_territories_one_unplanned(session: Session) -> None:
    """January: UK and DE have revenue targets (no `*` target), FR has none and sells the most."""
    store_sales_lines(
        session,
        [
            sale(territory="UK", net_revenue="1000.00"),
            sale(territory="DE", net_revenue="1000.00"),
            sale(territory="FR", net_revenue="5000.00"),
        ],
    )
    store_target_rows(session, [(JAN.start, "UK", "net_revenue", "1000"), (JAN.start, "DE", "net_revenue", "1250")])


def test_the_whole_business_without_a_star_target_covers_the_territories_with_one(session: Session) -> None:
    _three_territories_one_unplanned(session)

    card = queries.scorecard(session, scope=Scope.everything(), period=JAN)
    revenue = _card(card, Metric.NET_REVENUE)

    assert revenue.value == Decimal("7000.00")
    assert revenue.target == Decimal("2250.00")
    assert revenue.coverage is not None
    assert revenue.coverage.covered_value == Decimal("2000.00")  # UK and DE, not FR
    assert (revenue.coverage.territories_covered, revenue.coverage.territories_total) == (2, 3)
    assert revenue.coverage.note == "target covers 2 of 3 territories"
    assert revenue.status is Status.OFF_TRACK  # 2,000 against 2,250 (11 % short); 7,000 would be on track
    assert card.health.headline() == "Off track: 1 of 8 KPIs off target: Net revenue (DE)"


def test_a_star_target_covers_every_territory(session: Session) -> None:
    _three_territories_one_unplanned(session)
    store_target_rows(session, [(JAN.start, "*", "net_revenue", "7000")])

    revenue = _card(queries.scorecard(session, scope=Scope.everything(), period=JAN), Metric.NET_REVENUE)

    assert revenue.target == Decimal("7000.00")
    assert revenue.coverage is not None and revenue.coverage.complete
    assert revenue.coverage.note is None
    assert revenue.status is Status.ON_TRACK


def test_months_and_territories_partly_covered_are_both_noted(session: Session) -> None:
    store_sales_lines(
        session, [sale(territory=t, order_date=date(2025, m, 5)) for t in ("UK", "DE") for m in (1, 2, 3)]
    )
    store_target_rows(session, [(_month(1), "*", "units", "2"), (_month(2), "UK", "units", "1")])

    units = _card(queries.scorecard(session, scope=Scope.everything(), period=Q1), Metric.UNITS)

    assert units.target == Decimal("3.00")
    assert units.coverage is not None
    assert units.coverage.covered_value == Decimal(3)  # January's two territories, February's UK
    assert units.coverage.note == "target covers 2 of 3 months and 1 of 2 territories"


def test_no_target_at_all_gives_the_reason(session: Session) -> None:
    store_sales_lines(session, [sale(territory="UK")])

    whole = _card(queries.scorecard(session, scope=Scope.everything(), period=JAN), Metric.NET_REVENUE)
    uk = _card(
        queries.scorecard(session, scope=Scope.everything(), period=JAN, territory="UK"), Metric.GROSS_MARGIN_PCT
    )

    assert whole.status is Status.NO_TARGET and whole.target is None
    assert whole.coverage is not None
    assert whole.coverage.reason == "no target set for this period"
    assert (whole.coverage.months_covered, whole.coverage.months_total) == (0, 1)
    assert whole.coverage.note is None
    assert uk.coverage is not None
    assert uk.coverage.reason == "no Gross margin % target for UK"


def test_a_ratio_target_is_the_day_weighted_average_of_the_covered_months(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(territory="UK", order_date=date(2025, 1, 5), net_revenue="100.00", cogs="50.00"),
            sale(territory="UK", order_date=date(2025, 2, 5), net_revenue="100.00", cogs="90.00"),
            sale(territory="UK", order_date=date(2025, 3, 5), net_revenue="300.00", cogs="150.00"),
        ],
    )
    store_target_rows(
        session, [(_month(1), "UK", "gross_margin_pct", "0.4000"), (_month(3), "UK", "gross_margin_pct", "0.6000")]
    )

    margin = _card(
        queries.scorecard(session, scope=Scope.everything(), period=Q1, territory="UK"), Metric.GROSS_MARGIN_PCT
    )

    assert margin.value == Decimal("0.4200")  # 210 of 500, February's thin margin included
    assert margin.target == Decimal("0.5000")  # January and March, 31 days each
    assert margin.coverage is not None
    assert margin.coverage.covered_value == Decimal("0.5000")  # 200 of 400, January and March only
    assert margin.coverage.note == "target covers 2 of 3 months"
    assert margin.status is Status.ON_TRACK


def test_a_ratio_target_for_the_whole_business_needs_a_star_target(session: Session) -> None:
    store_sales_lines(session, [sale(territory="UK", net_revenue="100.00", cogs="50.00", order_id="A")])
    store_target_rows(
        session,
        [
            (JAN.start, "UK", "gross_margin_pct", "0.5000"),
            (JAN.start, "UK", "aov", "100"),
            (JAN.start, "*", "aov", "80"),
        ],
    )

    card = queries.scorecard(session, scope=Scope.everything(), period=JAN)
    margin, aov = _card(card, Metric.GROSS_MARGIN_PCT), _card(card, Metric.AOV)

    assert margin.target is None and margin.status is Status.NO_TARGET  # territory ratios are not averaged
    assert margin.coverage is not None and margin.coverage.reason == "no target set for this period"
    assert aov.target == Decimal("80.0000")
    assert aov.coverage is not None and aov.coverage.complete


def test_a_territory_off_target_on_its_covered_months_is_named_in_the_headline(session: Session) -> None:
    _plan_without_june(session)
    store_sales_lines(session, [sale(territory="DE", order_date=date(2025, n, 10)) for n in range(1, 13)])

    card = queries.scorecard(session, scope=Scope.everything(), period=YEAR)

    coverage = _card(card, Metric.NET_REVENUE).coverage
    assert coverage is not None
    assert coverage.note == "target covers 11 of 12 months and 1 of 2 territories"
    assert [(o.metric, o.territories) for o in card.health.offenders] == [(Metric.NET_REVENUE, ("UK",))]


def test_budget_vs_actual_compares_the_budget_with_the_actual_of_the_cells_it_covers(session: Session) -> None:
    _three_territories_one_unplanned(session)
    store_expense_lines(session, [(JAN.start, "UK", "Rent", "100.00")])

    lines = {
        line.line: line
        for line in queries.budget_vs_actual(session, scope=Scope.everything(), start=JAN.start, end=JAN.end)
    }

    revenue = lines["net_revenue"]
    assert (revenue.actual, revenue.budget, revenue.variance) == (
        Decimal("2000.00"),
        Decimal("2250.00"),
        Decimal("-250.00"),
    )
    assert revenue.coverage is not None and revenue.coverage.note == "target covers 2 of 3 territories"
    assert not revenue.favourable
    opex = lines["opex"]
    assert opex.budget is None and opex.variance is None and opex.actual == Decimal("100.00")
    assert opex.coverage is not None and opex.coverage.reason == "no target set for this period"
