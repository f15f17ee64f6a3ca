"""Business figures from `db.queries`, on SQLite and on the real Postgres, against hand-computed values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from db import queries
from db.queries import Filters, Period
from db.scope import Scope
from tests.factories import sale, store_expense_lines, store_rates, store_sales_lines, store_target_rows

JAN = (date(2025, 1, 1), date(2025, 1, 31))


def test_revenue_of_many_small_lines_is_exact_where_a_float_drifts(session: Session) -> None:
    store_sales_lines(session, [sale(net_revenue="0.10", cogs="0.03") for _ in range(10)])

    totals = queries.sales_totals(session, scope=Scope.everything(), start=JAN[0], end=JAN[1])

    assert sum([0.10] * 10) != 1.0  # what a float sum would have reported
    assert totals.net_revenue == Decimal("1.00")
    assert str(totals.net_revenue) == "1.00"
    assert totals.cogs == Decimal("0.30")
    assert totals.gross_margin_pct == Decimal("0.7000")


def test_sales_by_territory_match_hand_computed_figures(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(territory="UK", order_id="A", net_revenue="100.25", cogs="40.10", units=2),
            sale(territory="UK", order_id="A", net_revenue="19.75", cogs="9.90", units=1),
            sale(territory="DE", order_id="B", net_revenue="50.00", cogs="20.00", units=5),
        ],
    )

    report = queries.sales_breakdown(session, scope=Scope.everything(), by="territory", start=JAN[0], end=JAN[1])

    assert [(r.key, r.net_revenue, r.cogs, r.gross_margin, r.units, r.orders) for r in report.rows] == [
        ("UK", Decimal("120.00"), Decimal("50.00"), Decimal("70.00"), 3, 1),
        ("DE", Decimal("50.00"), Decimal("20.00"), Decimal("30.00"), 5, 1),
    ]
    assert report.total.net_revenue == Decimal("170.00")
    assert report.total.orders == 2
    assert report.total.aov == Decimal("85.00")


def test_every_breakdown_reconciles_to_the_same_total(session: Session) -> None:
    lines = [
        sale(
            territory=t,
            channel=c,
            category=cat,
            product=f"P{i % 7}",
            order_date=date(2025, m, 1 + i % 27),
            net_revenue=f"{(i * 37) % 500 + 0.01 * (i % 100):.2f}",
            cogs=f"{(i * 13) % 200:.2f}",
            units=1 + i % 4,
        )
        for i, (t, c, cat, m) in enumerate(
            (t, c, cat, m)
            for t in ("UK", "FR", "ES")
            for c in ("Online", "Retail")
            for cat in ("A", "B")
            for m in (1, 2, 3)
        )
    ]
    store_sales_lines(session, lines)
    start, end = date(2025, 1, 10), date(2025, 3, 20)

    totals = {
        by: queries.sales_breakdown(session, scope=Scope.everything(), by=by, start=start, end=end)
        for by in ("territory", "channel", "category", "product", "month", "year", "day")
    }
    grand = queries.sales_totals(session, scope=Scope.everything(), start=start, end=end)
    expected = sum((line["net_revenue"] for line in lines if start <= line["order_date"] <= end), Decimal("0"))

    assert grand.net_revenue == expected
    for by, report in totals.items():
        assert sum((r.net_revenue for r in report.rows), Decimal(0)) == expected, by
        assert sum((r.cogs for r in report.rows), Decimal(0)) == grand.cogs, by
        assert sum(r.units for r in report.rows) == grand.units, by
        assert report.total.net_revenue == expected, by
    pnl = queries.pnl_report(session, scope=Scope.everything(), by="territory", start=start, end=end)
    assert pnl.total.net_revenue == expected
    assert sum((r.net_revenue for r in pnl.rows), Decimal(0)) == expected


def test_a_territory_only_in_the_newest_data_appears_in_every_view(session: Session) -> None:
    store_sales_lines(session, [sale(territory="UK", order_date=date(2025, 1, 5))])
    store_sales_lines(session, [sale(territory="Vietnam", order_date=date(2025, 3, 2), net_revenue="999.99")])
    start, end = date(2025, 1, 1), date(2025, 3, 31)

    assert "Vietnam" in queries.dimensions(session, scope=Scope.everything()).territories
    assert "Vietnam" in [
        r.key
        for r in queries.sales_breakdown(session, scope=Scope.everything(), by="territory", start=start, end=end).rows
    ]
    assert "Vietnam" in [
        r.key for r in queries.pnl_report(session, scope=Scope.everything(), by="territory", start=start, end=end).rows
    ]
    only = queries.sales_totals(
        session, scope=Scope.everything(), start=start, end=end, filters=Filters(territory="Vietnam")
    )
    assert only.net_revenue == Decimal("999.99")


def test_an_order_spanning_two_categories_counts_once_in_the_total(session: Session) -> None:
    store_sales_lines(session, [sale(order_id="X", category="A"), sale(order_id="X", category="B")])

    by_category = queries.sales_breakdown(session, scope=Scope.everything(), by="category", start=JAN[0], end=JAN[1])

    assert [r.orders for r in by_category.rows] == [1, 1]
    assert by_category.total.orders == 1


def test_products_over_a_range_with_partial_months_reconcile(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(product=p, order_date=d, net_revenue="10.00")
            for p in ("P1", "P2")
            for d in (date(2025, 1, 5), date(2025, 1, 25), date(2025, 2, 10), date(2025, 3, 3), date(2025, 3, 28))
        ],
    )

    report = queries.sales_breakdown(
        session, scope=Scope.everything(), by="product", start=date(2025, 1, 20), end=date(2025, 3, 10)
    )

    assert {(r.key, r.net_revenue) for r in report.rows} == {("P1", Decimal("30.00")), ("P2", Decimal("30.00"))}
    assert report.total.net_revenue == Decimal("60.00")


def test_lines_in_another_currency_are_converted_not_summed_raw(session: Session) -> None:
    store_rates(session, [(date(2025, 1, 1), "EUR", "0.850000")])
    store_sales_lines(session, [sale(currency="EUR", net_revenue="100.00", cogs="10.00"), sale(net_revenue="1.00")])

    totals = queries.sales_totals(session, scope=Scope.everything(), start=JAN[0], end=JAN[1])

    assert totals.net_revenue == Decimal("86.00")
    assert totals.cogs == Decimal("12.50")


def test_pnl_prorates_monthly_opex_onto_a_partial_month(session: Session) -> None:
    store_sales_lines(session, [sale(order_date=date(2025, 1, 3), net_revenue="5000.00", cogs="2000.00")])
    store_expense_lines(
        session, [(date(2025, 1, 1), "UK", "Rent", "3100.00"), (date(2025, 1, 1), "UK", "IT", "310.00")]
    )

    half = queries.pnl_report(
        session, scope=Scope.everything(), by="territory", start=date(2025, 1, 1), end=date(2025, 1, 15)
    )
    whole = queries.pnl_report(session, scope=Scope.everything(), by="month", start=JAN[0], end=JAN[1])

    assert half.total.opex == Decimal("1650.00")  # 15/31 of 3,410.00
    assert half.total.operating_profit == Decimal("1350.00")
    assert whole.rows[0].key == "2025-01-01"
    assert whole.total.opex == Decimal("3410.00")
    assert [
        (r.category, r.amount)
        for r in queries.opex_by_category(session, scope=Scope.everything(), start=JAN[0], end=JAN[1])
    ] == [
        ("Rent", Decimal("3100.00")),
        ("IT", Decimal("310.00")),
    ]


def test_budget_vs_actual_marks_overspend_as_unfavourable(session: Session) -> None:
    store_sales_lines(session, [sale(net_revenue="1200.00", cogs="500.00")])
    store_expense_lines(session, [(date(2025, 1, 1), "UK", "Marketing", "300.00")])
    store_target_rows(
        session,
        [
            (date(2025, 1, 1), "*", "net_revenue", "1000"),
            (date(2025, 1, 1), "*", "opex", "250"),
            (date(2025, 1, 1), "*", "opex:Marketing", "250"),
        ],
    )

    lines = {
        line.line: line
        for line in queries.budget_vs_actual(session, scope=Scope.everything(), start=JAN[0], end=JAN[1])
    }

    assert lines["net_revenue"].variance == Decimal("200.00")
    assert lines["net_revenue"].variance_pct == Decimal("0.2000")
    assert lines["net_revenue"].favourable
    assert lines["opex"].variance == Decimal("50.00")
    assert not lines["opex"].favourable
    assert not lines["opex:Marketing"].favourable


def test_scorecard_scores_kpis_against_prorated_targets_and_names_the_territory(session: Session) -> None:
    store_sales_lines(
        session,
        [
            sale(territory="UK", order_date=date(2025, 1, 10), net_revenue="1000.00", cogs="400.00"),
            sale(territory="ES", order_date=date(2025, 1, 10), net_revenue="100.00", cogs="40.00"),
            sale(territory="UK", order_date=date(2024, 12, 10), net_revenue="800.00", cogs="300.00"),
        ],
    )
    store_target_rows(
        session,
        [
            (date(2025, 1, 1), "UK", "net_revenue", "1000"),
            (date(2025, 1, 1), "ES", "net_revenue", "400"),
        ],
    )
    period = queries.period_for("mtd", today=date(2025, 1, 31))

    card = queries.scorecard(session, scope=Scope.everything(), period=period)
    revenue = next(c for c in card.cards if c.metric is queries.Metric.NET_REVENUE)

    assert revenue.value == Decimal("1100.00")
    assert revenue.target == Decimal("1400.00")  # territory targets summed when no whole-business target
    assert revenue.prior == Decimal("800.00")
    assert revenue.change_pct == Decimal("0.3750")
    assert revenue.status is queries.Status.OFF_TRACK
    assert card.cards[0].metric is queries.Metric.NET_REVENUE  # off target first
    assert card.health.status is queries.Status.OFF_TRACK
    assert card.health.headline() == "Off track: 1 of 8 KPIs off target: Net revenue (ES)"


def test_empty_database_has_no_data_rather_than_an_error(session: Session) -> None:
    card = queries.scorecard(
        session, scope=Scope.everything(), period=queries.period_for("ytd", today=date(2025, 6, 30))
    )

    assert card.health.status is queries.Status.NO_DATA
    assert all(c.value is None for c in card.cards)
    assert (
        queries.sales_breakdown(session, scope=Scope.everything(), by="territory", start=JAN[0], end=JAN[1]).rows == ()
    )


def test_period_of_a_custom_range_compares_with_the_range_before(session: Session) -> None:
    assert Period(date(2025, 5, 10), date(2025, 5, 20)).previous() == Period(date(2025, 4, 29), date(2025, 5, 9))
    assert queries.period_for("ytd", today=date(2025, 3, 31)).previous().start == date(2024, 1, 1)
    assert queries.period_for("qtd", today=date(2025, 2, 14)).previous().start == date(2024, 10, 1)
