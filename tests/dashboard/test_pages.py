"""Page state: what each page shows for given data and filters, without a browser (SQLite and Postgres)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.app import GlanceApp
from dashboard.identity import SessionUser, load_user
from dashboard.pages.glance import GlancePage
from dashboard.pages.pnl import PnlPage
from dashboard.pages.profile import ProfilePage
from dashboard.pages.sales import SalesPage
from dashboard.store import DataStore
from db.scope import Scope
from services.auth import Role, create_user
from services.cache.query_cache import get_cache
from services.runtime.settings import Settings, get_settings
from tests.dashboard.conftest import TODAY, make_context
from tests.services.conftest import RedisProcess


def test_banner_shows_the_health_headline_and_cards_follow_in_priority_order(store: DataStore, shop: Session) -> None:
    page = GlancePage(make_context(store))

    page.refresh()

    card = store.scorecard()
    assert card.health.headline() in page.banner._pane.object
    html = page.cards._pane.object
    positions = [html.index(f'data-metric="{c.metric.value}"') for c in card.cards]
    assert positions == sorted(positions)
    assert "£2,300.50" in html  # net revenue (under £10k, so shown in full)


def test_vietnamese_users_get_vietnamese_text_and_vietnamese_numbers(store: DataStore, shop: Session) -> None:
    page = GlancePage(make_context(store, language="vi"))

    page.refresh()

    assert "Doanh thu thuần" in page.cards._pane.object
    assert "2.300,50" in page.cards._pane.object


def test_clicking_a_territory_row_filters_the_sales_page_to_it(store: DataStore, shop: Session) -> None:
    page = SalesPage(make_context(store))
    page.refresh()
    rows = list(page.territory_table.value.iloc[:, 0])
    assert rows == ["UK", "DE", "Total"]

    page.pick_territory(rows.index("DE"))
    page.refresh()

    assert store.territory == "DE"
    assert list(page.territory_table.value.iloc[:, 0]) == ["DE", "Total"]
    assert list(page.territory_table.value.iloc[:, 1]) == ["£800.00", "£800.00"]


def test_clicking_the_total_row_changes_nothing(store: DataStore, shop: Session) -> None:
    page = SalesPage(make_context(store))
    page.refresh()

    page.pick_territory(2)

    assert store.territory == ""


def test_top_products_download_has_exact_decimal_figures(store: DataStore, shop: Session) -> None:
    page = SalesPage(make_context(store))
    page.refresh()

    lines = page._products_csv().read().splitlines()

    assert lines[0] == "key,net_revenue,cogs,gross_margin,units,orders"
    assert lines[1] == "Widget,2300.50,1020.25,1280.25,9,3"


def test_pnl_shows_operating_profit_and_marks_budget_variance_in_words(store: DataStore, shop: Session) -> None:
    page = PnlPage(make_context(store))

    page.refresh()

    territories = page.by_territory.value
    assert list(territories.iloc[:, 0]) == ["UK", "DE", "Total"]
    assert list(territories["Operating profit"]) == ["£680.25", "£300.00", "£980.25"]
    budget = page.budget_table.value
    revenue = budget[budget["Line"] == "Net revenue"].iloc[0]
    assert revenue["Budget"] == "£4,000.00"  # 6,200 prorated to 20 of 31 days
    assert revenue["Verdict"] == "▼ Under budget · ✖ unfavourable"


def _app(backend_engine: Engine, role: Role, settings: Settings) -> GlanceApp:
    user = SessionUser(
        username="v", display_name="", role=role, language="en", member_since=date(2025, 1, 1), scope=Scope.everything()
    )
    return GlanceApp(user=user, settings=settings, engine=backend_engine, today=TODAY)


@pytest.mark.parametrize("page", ["imports", "ops"])
def test_a_viewer_asking_for_a_restricted_page_gets_the_home_page_and_a_reason(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, shop: Session, page: str
) -> None:
    app = _app(backend_engine, Role.viewer, glance_env)
    app.load()

    app.page = page

    assert app.page == "glance"
    assert page not in app.pages
    assert "cannot open" in app.notice.object
    assert page not in app.nav.options.values()


def test_an_analyst_may_open_imports_but_not_ops(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, shop: Session
) -> None:
    app = _app(backend_engine, Role.analyst, glance_env)
    app.load()

    app.page = "imports"
    assert app.page == "imports"
    app.page = "ops"
    assert app.page == "glance"


def test_an_empty_database_points_analysts_to_imports(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None
) -> None:
    app = _app(backend_engine, Role.analyst, glance_env)

    app.load()

    home = app.pages["glance"]
    assert "Import a sales file" in home.banner._pane.object
    assert home.go_imports.visible
    home.go_imports.clicks += 1
    assert app.page == "imports"


def _session_for(engine: Engine, username: str, *, accept_language: str, settings: Settings) -> GlanceApp:
    """A new browser session for `username`, as after signing in again."""
    with Session(engine) as fresh:
        user = load_user(fresh, username=username)
    assert user is not None
    return GlanceApp(user=user, settings=settings, engine=engine, accept_language=accept_language, today=TODAY)


def test_a_language_chosen_on_the_profile_is_stored_and_used_by_the_next_session(
    store: DataStore, glance_env: Settings, session: Session, backend_engine: Engine
) -> None:
    create_user(session, username="ann", role=Role.viewer, password="correct horse", language="en")
    session.commit()
    profile = ProfilePage(make_context(store, language="en"))
    assert profile.language.value == "en"

    profile.language.value = "vi"

    assert "Language saved." in profile.language_result.object
    again = _session_for(backend_engine, "ann", accept_language="en-GB", settings=glance_env)
    assert again.tr.language == "vi"
    assert list(again.nav.options) == ["Tổng quan", "Doanh số", "Lãi lỗ", "Hồ sơ"]


def test_going_back_to_the_browser_default_follows_the_browser_again(
    store: DataStore, glance_env: Settings, session: Session, backend_engine: Engine
) -> None:
    create_user(session, username="ann", role=Role.viewer, password="correct horse", language="vi")
    session.commit()
    profile = ProfilePage(make_context(store, language="vi"))
    assert profile.language.value == "vi"

    profile.language.value = ""

    assert _session_for(backend_engine, "ann", accept_language="en-GB", settings=glance_env).tr.language == "en"
    assert _session_for(backend_engine, "ann", accept_language="vi-VN", settings=glance_env).tr.language == "vi"


def test_an_open_tab_learns_that_the_cache_went_down_and_came_back(
    backend_engine: Engine, glance_env: Settings, fresh_cache: None, shop: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = RedisProcess()
    redis.start()
    try:
        monkeypatch.setenv("GLANCE_REDIS_URL", redis.url)
        get_settings.cache_clear()
        get_cache.cache_clear()
        app = _app(backend_engine, Role.viewer, get_settings())
        app.load()
        assert "system ok" in app.system.object

        redis.stop()
        app.refresh_system()
        assert "system degraded" in app.system.object

        redis.start()
        app.refresh_system()
        assert "system ok" in app.system.object
    finally:
        redis.stop()
        get_cache.cache_clear()
