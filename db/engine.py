"""One engine per process, with timeouts on every connection, and a session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from services.settings import Settings, get_settings


def normalise_url(url: str) -> URL:
    """Parse a database URL, choosing psycopg 3 for plain `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(settings: Settings, *, url: str | None = None) -> Engine:
    """An engine with pre-ping, a connect timeout and (on Postgres) a statement timeout."""
    parsed = normalise_url(url or settings.effective_database_url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, settings)
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout_s,
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        "application_name": "glance",
    }
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_s,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def _sqlite_engine(parsed: URL, settings: Settings) -> Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"timeout": settings.db_connect_timeout_s, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={settings.db_connect_timeout_s * 1000}")
        cursor.close()

    return engine


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine built from the settings."""
    return make_engine(get_settings())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
