"""Engines with timeouts on every connection, and a session scope.

`db` imports nothing from `services`: an engine is made from anything shaped like
`EngineSettings` (Glance's settings class is), and the process-wide engine built from the
settings lives in `services.runtime.database`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session


class EngineSettings(Protocol):
    """What an engine is made from: the database URL and the timeouts and pool size."""

    @property
    def effective_database_url(self) -> str: ...
    @property
    def db_connect_timeout_s(self) -> int: ...
    @property
    def db_statement_timeout_ms(self) -> int: ...
    @property
    def db_pool_size(self) -> int: ...
    @property
    def db_pool_timeout_s(self) -> float: ...


@dataclass(frozen=True)
class EngineOptions:
    """`EngineSettings` for a given URL with the settings' defaults (Alembic's command line, tools)."""

    effective_database_url: str
    db_connect_timeout_s: int = 5
    db_statement_timeout_ms: int = 30_000
    db_pool_size: int = 5
    db_pool_timeout_s: float = 5.0


def normalise_url(url: str) -> URL:
    """Parse a database URL, choosing psycopg 3 for plain `postgresql://` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(settings: EngineSettings, *, url: str | None = None) -> Engine:
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


def _sqlite_engine(parsed: URL, settings: EngineSettings) -> Engine:
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


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
