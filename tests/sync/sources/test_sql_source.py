"""Pulling a SQL source from the real MariaDB and Postgres on this machine, incrementally by `:since`."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import psycopg
import pymysql
import pytest
from sqlalchemy import Engine

from services.runtime.settings import Settings
from services.sources import PullStatus, SqlSource, pull_source
from tests.conftest import PG_ADMIN_URL
from tests.sync.conftest import scalar
from tests.sync.sources.conftest import FAST_RETRY, declare

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "connect_timeout": 5}
QUERY = (
    "SELECT id, ordered_on, region, channel, item, category, qty, amount, cost, currency "
    "FROM orders WHERE updated_at > :since ORDER BY id"
)
MAPPING = {
    "external_id": "id",
    "order_id": "id",
    "order_date": "ordered_on",
    "territory": "region",
    "product": "item",
    "units": "qty",
    "net_revenue": "amount",
    "cogs": "cost",
}
Inserter = Callable[[int, int], None]


def _rows(first: int, count: int) -> list[tuple[object, ...]]:
    return [
        (
            n,
            date(2025, 4, 1 + n % 20),
            "DE",
            "Online",
            f"Gizmo {n % 4}",
            "Tools",
            1 + n % 3,
            f"{n}.35",
            f"{n / 2:.2f}",
            "GBP",
        )
        for n in range(first, first + count)
    ]


@pytest.fixture
def mariadb_orders() -> Iterator[tuple[str, Inserter]]:
    """A throwaway MariaDB database with an `orders` table; yields its URL and a row inserter."""
    name = f"glance_src_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(**MARIADB, autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE {name}")
    admin.select_db(name)
    admin.cursor().execute(
        "CREATE TABLE orders (id INT PRIMARY KEY, ordered_on DATE, region VARCHAR(20), channel VARCHAR(20), "
        "item VARCHAR(40), category VARCHAR(40), qty INT, amount DECIMAL(12,2), cost DECIMAL(12,2), "
        "currency CHAR(3), updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6))"
    )

    def insert(first: int, count: int) -> None:
        admin.cursor().executemany(
            "INSERT INTO orders (id, ordered_on, region, channel, item, category, qty, amount, cost, currency) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            _rows(first, count),
        )

    yield f"mysql+pymysql://root@127.0.0.1:3306/{name}", insert
    admin.cursor().execute(f"DROP DATABASE {name}")
    admin.close()


@pytest.fixture
def postgres_orders() -> Iterator[tuple[str, Inserter]]:
    """A throwaway Postgres database with an `orders` table; yields its URL and a row inserter."""
    name = f"glance_src_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rpartition("/")[0] + f"/{name}"
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(
        "CREATE TABLE orders (id int PRIMARY KEY, ordered_on date, region text, channel text, item text, "
        "category text, qty int, amount numeric(12,2), cost numeric(12,2), currency char(3), "
        "updated_at timestamptz NOT NULL DEFAULT clock_timestamp())"
    )

    def insert(first: int, count: int) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO orders (id, ordered_on, region, channel, item, category, qty, amount, cost, currency) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                _rows(first, count),
            )

    yield url.replace("postgresql://", "postgresql+psycopg://"), insert
    conn.close()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["mariadb", "postgres"])
def orders_db(request: pytest.FixtureRequest) -> tuple[str, Inserter]:
    """The same `orders` table on MariaDB and on Postgres."""
    return request.getfixturevalue(f"{request.param}_orders")


def sql_source(tmp_path: Path, **options: object) -> SqlSource:
    declared = {
        "name": "erp",
        "kind": "sql",
        "target": "sales",
        "query": QUERY,
        "mapping": MAPPING,
        "retry": FAST_RETRY,
    }
    source = declare(tmp_path, {**declared, **options}).get("erp")
    assert isinstance(source, SqlSource)
    return source


def test_a_query_is_pulled_then_only_rows_changed_since(
    backend_engine: Engine, orders_db: tuple[str, Inserter], tmp_path: Path, settings: Settings
) -> None:
    url, insert = orders_db
    insert(1, 25)
    source = sql_source(tmp_path, url=url)

    first = pull_source(backend_engine, source=source, settings=settings)
    insert(100, 4)
    second = pull_source(backend_engine, source=source, settings=settings)
    third = pull_source(backend_engine, source=source, settings=settings)

    assert (first.status, first.reports[0].inserted) == (PullStatus.succeeded, 25)
    assert (second.reports[0].rows_read, second.reports[0].inserted) == (4, 4)
    assert third.status is PullStatus.nothing_new
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE source = 'erp'") == 29


def test_the_url_and_password_can_come_from_the_environment(
    backend_engine: Engine,
    mariadb_orders: tuple[str, Inserter],
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, insert = mariadb_orders
    insert(1, 3)
    monkeypatch.setenv("ERP_URL", url)
    source = sql_source(tmp_path, url_env="ERP_URL")

    assert pull_source(backend_engine, source=source, settings=settings).reports[0].inserted == 3


def test_a_broken_query_fails_at_once_without_retries(
    backend_engine: Engine, mariadb_orders: tuple[str, Inserter], tmp_path: Path, settings: Settings
) -> None:
    url, _ = mariadb_orders
    source = sql_source(tmp_path, url=url, query="SELECT nope FROM orders WHERE updated_at > :since")

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "the query failed" in result.message and "nope" in result.message
    assert "gave up" not in result.message
    assert scalar(backend_engine, "SELECT status FROM import_run WHERE source = 'erp'") == "failed"


def test_an_unreachable_database_is_retried_then_reported(
    backend_engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    source = sql_source(tmp_path, url="mysql+pymysql://root@127.0.0.1:9/none", timeout={"connect_s": 1})

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "gave up after 3 attempts" in result.message
