"""The process-wide engine, built once from the settings, and a session scope on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session

from db import engine as db_engine
from services.runtime.settings import get_settings


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine built from the settings."""
    return db_engine.make_engine(get_settings())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session on `engine` (the process-wide one by default) that commits on success, rolls back on error."""
    with db_engine.session_scope(engine or get_engine()) as session:
        yield session
