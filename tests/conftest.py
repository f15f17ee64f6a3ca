"""Fixtures shared by every test: real databases (SQLite and a per-session Postgres database).

`backend_engine` is parametrised over both backends, so a test that uses it runs against SQLite
(the embedded path) and the real Postgres. Each test starts from an empty, migrated schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from benchmarks.chromium import CHROMIUM, CHROMIUM_ARGS
from db.engine import make_engine
from db.migrate import upgrade
from services.runtime.database import get_engine
from services.runtime.settings import Settings, get_settings

PG_ADMIN_URL = os.environ.get("GLANCE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GLANCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The sync service's scheduler stays off in tests unless a test asks for it.
os.environ.setdefault("GLANCE_SCHEDULER_ENABLED", "false")


def _pg_url(database: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


@contextmanager
def throwaway_pg_database() -> Iterator[str]:
    """The URL of a new, empty Postgres database, dropped afterwards."""
    name = f"glance_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A Postgres database created for this test session, migrated to head, dropped afterwards."""
    with throwaway_pg_database() as url:
        engine = make_engine(Settings(), url=url)
        upgrade(engine)
        engine.dispose()
        yield url


def empty_tables(engine: Engine) -> None:
    """Delete every row and reset the data version, leaving the schema in place."""
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables) if t.name != "data_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE data_version SET version = 0"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty, migrated database, for each backend in turn."""
    if request.param == "sqlite":
        engine = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'glance.db'}")
        upgrade(engine)
    else:
        request.applymarker(pytest.mark.postgres)
        engine = make_engine(Settings(), url=request.getfixturevalue("pg_database"))
        empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(backend_engine: Engine) -> Iterator[Session]:
    """A session on `backend_engine`; tests commit through it like the application does."""
    with Session(backend_engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def glance_env(backend_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point the process-wide settings and engine at `backend_engine` (for CLI and app tests)."""
    monkeypatch.setenv("GLANCE_DATABASE_URL", backend_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GLANCE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GLANCE_REDIS_URL", "")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_settings()
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the Docker stack tests first.

    They drive Chromium with their own sync Playwright, which cannot start once pytest-playwright's
    session Playwright (the dashboard browser tests) holds an event loop in the same thread.
    """
    items.sort(key=lambda item: item.get_closest_marker("stack") is None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium (Playwright's own browser download does not work here)."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A British English browser with a desktop-sized window."""
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1400, "height": 1000}}
