"""Territory scopes on the dashboard: a session shows its user's territories and nothing else (SQLite and Postgres).

Three kingdoms sell: Avalon and Camelot (Trail Shoes, online) and Zanzibar (Saffron Tins in the
Bazaar, a Spices category and a Warehouse expense), so any trace of Zanzibar on a page is visible
by name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import panel as pn
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.app import GlanceApp
from dashboard.pages.sales import SalesPage
from dashboard.store import DataStore
from dashboard.text import Translator
from db.queries import Dimension, PnlDimension, Status
from db.queries.scoring import Thresholds
from db.scope import Scope
from services.auth import Role
from services.runtime.settings import Settings
from tests.dashboard.conftest import TODAY, session_user
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows

ZANZIBAR = ("Zanzibar", "Bazaar", "Spices", "Saffron Tin", "Warehouse", "9,000", "9000")
"""Every name and figure that only Zanzibar's data holds."""
JANUARY = date(2025, 1, 1)


@pytest.fixture
def kingdoms(session: Session) -> Session:
    """January 2025 sales, December 2024 for comparison, expenses and targets in three territories."""
    trail = {"channel": "Online", "category": "Shoes", "product": "Trail Shoe"}
    store_sales_lines(
        session,
        [
            sale(
                territory="Avalon", order_date=date(2025, 1, 5), net_revenue="1000.00", cogs="400.00", units=2, **trail
            ),
            sale(territory="Avalon", order_date=date(2024, 12, 10), net_revenue="700.00", cogs="300.00", **trail),
            sale(territory="Camelot", order_date=date(2025, 1, 9), net_revenue="500.00", cogs="200.00", **trail),
            sale(
                territory="Zanzibar",
                channel="Bazaar",
                category="Spices",
                product="Saffron Tin",
                order_date=date(2025, 1, 7),
                net_revenue="9000.00",
                cogs="3000.00",
                units=30,
            ),
        ],
    )
    store_expense_lines(
        session,
        [
            (JANUARY, "Avalon", "Rent", "100.00"),
            (JANUARY, "Camelot", "Rent", "50.00"),
            (JANUARY, "Zanzibar", "Warehouse", "800.00"),
        ],
    )
    store_target_rows(
        session,
        [
            (JANUARY, "Avalon", "net_revenue", "5000.00"),
            (JANUARY, "Camelot", "net_revenue", "5000.00"),
            (JANUARY, "Zanzibar", "net_revenue", "50000.00"),
            (JANUARY, "*", "net_revenue", "60000.00"),
        ],
    )
    return session


def _app(engine: Engine, settings: Settings, scope: Scope) -> GlanceApp:
    user = session_user("avery", role=Role.viewer, scope=scope)
    return GlanceApp(user=user, settings=settings, engine=engine, today=TODAY)


def shown_text(app: GlanceApp) -> str:
    """Everything the session's pages and sidebar hold for people to read: HTML, tables, chart data, choices."""
    roots = [*app.pages.values(), *app.sidebar(), app.store.sales_filters()]
    found: list[str] = []
    for root in roots:
        layout = root.__panel__() if isinstance(root, pn.viewable.Viewer) else root
        for pane in layout.select(pn.pane.HTML):
            found.append(str(pane.object))
        for table in layout.select(pn.widgets.Tabulator):
            found.append(table.value.to_csv())
        for chart in layout.select(pn.pane.HoloViews):
            if chart.object is not None:
                found.extend(str(element.data) for element in chart.object.traverse(lambda e: e))
        for choice in layout.select(pn.widgets.Select):
            found.extend(str(option) for option in choice.values)
    return "\n".join(found)


def visit(app: GlanceApp, *pages: str) -> None:
    """Open each page in turn (every step runs at once outside a browser session)."""
    app.load()
    for key in pages:
        app.page = key


def test_a_one_territory_user_sees_that_territory_and_nothing_of_another_on_every_page(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, kingdoms: Session
) -> None:
    app = _app(backend_engine, glance_env, Scope.only(["Avalon"]))

    visit(app, "sales", "pnl", "profile", "glance")

    text = shown_text(app)
    assert [name for name in ZANZIBAR if name in text] == []
    assert "Camelot" not in text
    assert "Avalon" in app.pages["pnl"].by_territory.value.to_csv()
    assert "Territories: Avalon" in text  # the sidebar's user card
    assert "£1,000.00" in app.pages["glance"].cards._pane.object
    assert "Net revenue (Avalon)" in app.pages["glance"].banner._pane.object


def test_the_same_pages_under_every_territory_do_show_zanzibar(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, kingdoms: Session
) -> None:
    app = _app(backend_engine, glance_env, Scope.everything())

    visit(app, "sales", "pnl", "glance")

    text = shown_text(app)
    assert [name for name in ("Zanzibar", "Bazaar", "Saffron Tin", "Warehouse") if name not in text] == []


def test_a_one_territory_store_answers_every_figure_and_choice_for_that_territory_only(
    store: DataStore, kingdoms: Session
) -> None:
    store.scope = Scope.only(["Zanzibar"])

    found = store.dimensions()
    store.set_choices(found)
    card = store.scorecard()

    assert (found.territories, found.channels, found.categories) == (("Zanzibar",), ("Bazaar",), ("Spices",))
    assert store.param.territory.objects == ["", "Zanzibar"]
    assert next(c for c in card.cards if c.metric.value == "net_revenue").value == Decimal("9000.00")
    for dimension in (Dimension.TERRITORY, Dimension.CHANNEL, Dimension.CATEGORY, Dimension.PRODUCT):
        assert [row.key for row in store.sales(dimension).rows] == [
            {"territory": "Zanzibar", "channel": "Bazaar", "category": "Spices", "product": "Saffron Tin"}[
                dimension.value
            ]
        ]
    assert [row.key for row in store.pnl(PnlDimension.TERRITORY).rows] == ["Zanzibar"]
    assert [(row.category, row.amount) for row in store.opex()] == [("Warehouse", Decimal("516.13"))]
    assert store.trend().sales.total.net_revenue == Decimal("9000.00")


def test_the_top_products_download_holds_only_the_users_territories(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, kingdoms: Session
) -> None:
    app = _app(backend_engine, glance_env, Scope.only(["Avalon"]))
    visit(app, "sales")
    page = app.pages["sales"]
    assert isinstance(page, SalesPage)

    lines = page._products_csv().read().splitlines()

    assert lines[1:] == ["Trail Shoe,1000.00,400.00,600.00,2,1"]


def test_the_whole_business_of_a_user_with_two_territories_is_the_sum_of_theirs(
    store: DataStore, kingdoms: Session
) -> None:
    store.scope = Scope.only(["Avalon", "Camelot"])

    revenue = next(c for c in store.scorecard().cards if c.metric.value == "net_revenue")

    assert revenue.value == Decimal("1500.00")
    assert revenue.prior == Decimal("700.00")
    # Their own targets prorated to 20 of 31 days, not the whole business's 60,000.
    assert revenue.target == Decimal("6451.62")
    assert store.pnl(PnlDimension.MONTH).total.operating_profit == Decimal("803.22")  # 1,500 - 600 - (64.52 + 32.26)


def test_a_territory_outside_the_scope_asked_for_by_a_link_shows_nothing_and_says_so(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, kingdoms: Session
) -> None:
    app = _app(backend_engine, glance_env, Scope.only(["Avalon"]))
    app.store.territory = "Zanzibar"  # as `?territory=Zanzibar` sets it before the first load

    visit(app, "sales", "pnl", "glance")

    banner = app.pages["glance"].banner._pane.object
    assert "Zanzibar is not one of your territories (Avalon), so nothing is shown for it" in banner
    assert app.store.sales(Dimension.TERRITORY).rows == ()
    assert app.store.scorecard().health.status is Status.NO_DATA  # nothing: not Avalon's figures instead
    assert "not one of your territories" in app.pages["sales"].status.object
    text = shown_text(app)
    assert [name for name in ZANZIBAR[1:] if name in text] == []
    assert "£1,000.00" not in text


def test_an_account_with_no_territories_sees_no_figures_and_is_told_to_ask_an_admin(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, kingdoms: Session
) -> None:
    app = _app(backend_engine, glance_env, Scope.only([]))

    visit(app, "sales", "pnl", "profile", "glance")

    assert "Your account has no territories yet; ask an admin" in app.pages["glance"].banner._pane.object
    assert "Your account has no territories yet; ask an admin" in app.pages["sales"].status.object
    assert "Territories: none" in shown_text(app)
    assert app.store.dimensions().territories == ()
    assert app.store.sales(Dimension.TERRITORY).rows == ()
    text = shown_text(app)
    assert [name for name in ("Avalon", "Camelot", *ZANZIBAR) if name in text] == []


def test_a_store_without_territories_answers_nothing_rather_than_everything(
    backend_engine: Engine, fresh_cache: None, kingdoms: Session
) -> None:
    store = DataStore(
        engine=backend_engine, scope=Scope.only([]), thresholds=Thresholds(), tr=Translator("en"), today=TODAY
    )

    assert store.scorecard().health.status is Status.NO_DATA
    assert store.pnl(PnlDimension.TERRITORY).rows == ()
    assert store.opex() == []
