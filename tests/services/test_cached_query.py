"""Queries through the cache show the database's numbers, and a new import is never answered from before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from db import queries
from services.cache.query_cache import cached_query, get_cache
from services.runtime.settings import Settings
from tests.factories import sale, store_sales_lines


@pytest.fixture
def fresh_cache(glance_env: Settings) -> Iterator[None]:
    get_cache.cache_clear()
    yield
    get_cache.cache_clear()


def _uk_revenue(session: Session) -> Decimal:
    breakdown = cached_query(
        session,
        "sales_breakdown",
        queries.sales_breakdown,
        by="territory",
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        scope=queries.Scope.everything(),
    )
    return next(row.net_revenue for row in breakdown.rows if row.key == "UK")


def test_cached_figures_equal_the_database_and_follow_each_import(session: Session, fresh_cache: None) -> None:
    store_sales_lines(session, [sale(net_revenue="100.10")])
    assert _uk_revenue(session) == Decimal("100.10")
    assert _uk_revenue(session) == Decimal("100.10")
    assert get_cache().status().hits == 1

    store_sales_lines(session, [sale(net_revenue="0.05")])
    assert _uk_revenue(session) == Decimal("100.15"), "the import bumped the data version, so the figure is recomputed"


def _territories(session: Session, scope: queries.Scope) -> dict[str, Decimal]:
    breakdown = cached_query(
        session,
        "sales_breakdown",
        queries.sales_breakdown,
        by="territory",
        start=date(2025, 1, 1),
        end=date(2025, 1, 31),
        scope=scope,
    )
    return {row.key: row.net_revenue for row in breakdown.rows}


def test_a_cached_figure_answers_only_the_scope_it_was_computed_for(session: Session, fresh_cache: None) -> None:
    store_sales_lines(session, [sale(net_revenue="10.00"), sale(territory="IE", net_revenue="7.00")])
    assert _territories(session, queries.Scope.everything()) == {"UK": Decimal("10.00"), "IE": Decimal("7.00")}
    assert _territories(session, queries.Scope.only(["UK"])) == {"UK": Decimal("10.00")}
    assert _territories(session, queries.Scope.only([])) == {}
    assert get_cache().status().hits == 0, "each scope is its own entry: none was answered from another's"
    assert _territories(session, queries.Scope.only(["UK"])) == {"UK": Decimal("10.00")}
    assert get_cache().status().hits == 1
