"""The DataStore: given filters, when they change, then the figures follow (SQLite and Postgres)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from dashboard.store import DataStore
from db import queries
from db.queries import Dimension, Filters, Period, PeriodName, Status
from db.scope import Scope


def test_month_to_date_scorecard_is_the_one_db_queries_computes(store: DataStore, shop: Session) -> None:
    card = store.scorecard()

    expected = queries.scorecard(
        shop, scope=Scope.everything(), period=Period(date(2025, 1, 1), date(2025, 1, 20), PeriodName.MTD)
    )
    assert card.period == expected.period
    assert card.health.headline() == expected.health.headline()
    revenue = next(c for c in card.cards if c.metric.value == "net_revenue")
    assert revenue.value == Decimal("2300.50")
    assert revenue.prior == Decimal("900.00")


def test_choosing_a_territory_narrows_every_figure_to_it(store: DataStore, shop: Session) -> None:
    store.territory = "DE"

    sales = store.sales(Dimension.CHANNEL)
    pnl = store.pnl(queries.PnlDimension.TERRITORY)

    assert [row.key for row in sales.rows] == ["Online"]
    assert sales.total.net_revenue == Decimal("800.00")
    assert [row.key for row in pnl.rows] == ["DE"]
    assert pnl.total.net_revenue == Decimal("800.00")
    assert store.current_filters() == Filters(territory="DE")


def test_channel_and_category_filters_apply_to_sales(store: DataStore, shop: Session) -> None:
    store.param.update(channel="Online", category="Shoes")

    by_territory = store.sales(Dimension.TERRITORY)

    assert {row.key: row.net_revenue for row in by_territory.rows} == {
        "UK": Decimal("1200.00"),
        "DE": Decimal("800.00"),
    }


def test_a_custom_range_is_used_once_both_ends_are_set(store: DataStore, shop: Session) -> None:
    store.param.update(period="custom", start=date(2024, 12, 1), end=date(2024, 12, 31))

    assert store.current_period() == Period(date(2024, 12, 1), date(2024, 12, 31))
    assert store.sales(Dimension.TERRITORY).total.net_revenue == Decimal("900.00")


def test_an_incomplete_custom_range_falls_back_to_month_to_date(store: DataStore, shop: Session) -> None:
    store.param.update(period="custom", start=date(2024, 12, 1), end=None)

    assert store.current_period() == Period(date(2025, 1, 1), date(2025, 1, 20), PeriodName.MTD)


def test_the_revenue_on_the_pnl_equals_the_revenue_on_the_scorecard(store: DataStore, shop: Session) -> None:
    for period in ("mtd", "qtd", "ytd", "last_30_days"):
        store.period = period
        card = next(c for c in store.scorecard().cards if c.metric.value == "net_revenue")
        assert store.pnl(queries.PnlDimension.MONTH).total.net_revenue == card.value, period


def test_choices_come_from_the_data(store: DataStore, shop: Session) -> None:
    store.set_choices(store.dimensions())

    assert store.param.territory.objects == ["", "DE", "UK"]
    assert store.param.category.objects == ["", "Hats", "Shoes"]


def test_an_empty_database_has_no_data_rather_than_an_error(store: DataStore, session: Session) -> None:
    found = store.dimensions()

    assert found.last_day is None
    assert store.scorecard().health.status is Status.NO_DATA
