"""The data version: one counter, bumped in the transaction that commits an import."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import DataVersion, table_of
from db.types import utcnow

_table = table_of(DataVersion)


def current_data_version(session: Session) -> int:
    """The data version the database holds now."""
    version: int = session.execute(select(_table.c.version).where(_table.c.id == 1)).scalar_one()
    return version


def bump_data_version(session: Session) -> int:
    """Increment the counter inside the caller's transaction and return the new value.

    The row lock this takes also serialises concurrent committing imports on Postgres.
    """
    session.execute(update(_table).where(_table.c.id == 1).values(version=_table.c.version + 1, updated_at=utcnow()))
    return current_data_version(session)
