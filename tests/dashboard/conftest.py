"""Dashboard test fixtures: a DataStore and pages on a real database, and Chromium for browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.formatting import Formatter, locale_for
from dashboard.identity import SessionUser
from dashboard.pages.base import PageContext
from dashboard.store import DataStore
from dashboard.sync_client import SyncClient
from dashboard.text import Translator
from db.queries.scoring import Thresholds
from db.scope import Scope
from services.auth import Role
from services.cache.query_cache import get_cache
from services.runtime.settings import Settings
from tests.dashboard.served import Stack, start_stack, stop_stack
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows

TODAY = date(2025, 1, 20)


@pytest.fixture
def fresh_cache(glance_env: Settings) -> Iterator[None]:
    """A new in-process cache per test: two test databases can share a data version."""
    get_cache.cache_clear()
    yield
    get_cache.cache_clear()


@pytest.fixture
def shop(session: Session) -> Session:
    """Two territories with January 2025 sales, December 2024 for comparison, opex and targets."""
    store_sales_lines(
        session,
        [
            sale(
                territory="UK",
                channel="Online",
                category="Shoes",
                order_id="U1",
                order_date=date(2025, 1, 5),
                net_revenue="1200.00",
                cogs="500.00",
                units=4,
            ),
            sale(
                territory="UK",
                channel="Retail",
                category="Hats",
                order_id="U2",
                order_date=date(2025, 1, 12),
                net_revenue="300.50",
                cogs="120.25",
                units=2,
            ),
            sale(
                territory="DE",
                channel="Online",
                category="Shoes",
                order_id="D1",
                order_date=date(2025, 1, 8),
                net_revenue="800.00",
                cogs="400.00",
                units=3,
            ),
            sale(
                territory="UK",
                channel="Online",
                category="Shoes",
                order_id="U0",
                order_date=date(2024, 12, 10),
                net_revenue="900.00",
                cogs="450.00",
                units=3,
            ),
        ],
    )
    store_expense_lines(
        session, [(date(2025, 1, 1), "UK", "Rent", "310.00"), (date(2025, 1, 1), "DE", "Rent", "155.00")]
    )
    store_target_rows(
        session,
        [(date(2025, 1, 1), "*", "net_revenue", "6200.00"), (date(2025, 1, 1), "*", "orders", "3")],
    )
    return session


@pytest.fixture
def store(backend_engine: Engine, fresh_cache: None) -> DataStore:
    """A DataStore on the test database, with named periods ending on 20 January 2025."""
    return DataStore(
        scope=Scope.everything(), engine=backend_engine, thresholds=Thresholds(), tr=Translator("en"), today=TODAY
    )


def session_user(
    username: str = "ann", *, role: Role = Role.admin, scope: Scope | None = None, language: str = "en"
) -> SessionUser:
    """A signed-in user; every territory unless `scope` says otherwise."""
    return SessionUser(
        username=username,
        display_name=username.title(),
        role=role,
        language=language,
        member_since=date(2024, 5, 1),
        scope=Scope.everything() if scope is None else scope,
    )


def make_context(
    store: DataStore,
    *,
    role: Role = Role.admin,
    language: str = "en",
    viewed_by: SessionUser | None = None,
) -> PageContext:
    """What a page needs, for a user of `role` with the store's territories; navigation goes to `ctx.visited`."""
    visited: list[str] = []
    ctx = PageContext(
        store=store,
        user=session_user(role=role, scope=store.scope, language=language),
        tr=Translator(language),
        fmt=Formatter(locale=locale_for(language, None), currency="GBP"),
        navigate=visited.append,
        client=SyncClient(base_url="http://sync.invalid", token="", timeout_s=1),
        engine=store._engine,
        settings=Settings(),
        viewed_by=viewed_by,
    )
    ctx.visited = visited  # type: ignore[attr-defined]
    return ctx


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Glance served against a seeded SQLite database, for the browser tests of one module."""
    running = start_stack(tmp_path_factory.mktemp("glance"), lines=4000)
    yield running
    stop_stack(running)
