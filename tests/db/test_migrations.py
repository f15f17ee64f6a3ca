"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

from db.migrate import head_revision, schema_status


def test_models_and_migrations_agree(backend_engine: Engine) -> None:
    with backend_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


def test_a_migrated_database_is_at_the_code_head(backend_engine: Engine) -> None:
    status = schema_status(backend_engine)

    assert status.at_head
    assert status.database == head_revision()
