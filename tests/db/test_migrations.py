"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from db.engine import make_engine
from db.migrate import alembic_config, head_revision, schema_status, upgrade
from db.partitions import include_name
from services.runtime.settings import Settings


def test_models_and_migrations_agree(backend_engine: Engine) -> None:
    with backend_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


def test_a_migrated_database_is_at_the_code_head(backend_engine: Engine) -> None:
    status = schema_status(backend_engine)

    assert status.at_head
    assert status.database == head_revision()


def test_upgrading_to_0004_recounts_orders_per_source(tmp_path: Path) -> None:
    """Two systems' order 'SO-1' on the same day were one order before 0004; after it, two."""
    engine = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003")
    line = (
        "('{source}', '{source}-1', 'SO-1', '2025-03-03', 'UK', 'Online', 'Widget', 'Gadgets', 2, 'GBP',"
        " 1000, 400, 1000, 400)"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sales_line (source, external_id, order_id, order_date, territory, channel, product,"
                " category, units, currency, net_revenue, cogs, net_revenue_rc, cogs_rc) VALUES "
                + ", ".join(line.format(source=s) for s in ("shop", "market"))
            )
        )
        conn.execute(text("INSERT INTO orders_daily VALUES ('2025-03-03', 'UK', 'Online', 1)"))
        version = conn.execute(text("SELECT version FROM data_version")).scalar_one()

    upgrade(engine)

    with engine.connect() as conn:
        assert conn.execute(text("SELECT orders FROM orders_daily")).scalar_one() == 2
        assert conn.execute(text("SELECT orders, units FROM sales_daily")).one() == (2, 4)
        assert conn.execute(text("SELECT orders FROM sales_product_monthly")).scalar_one() == 2
        assert conn.execute(text("SELECT version FROM data_version")).scalar_one() == version + 1
    engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0005_keys_lines_by_source_and_external_id_and_downgrades_cleanly(tmp_path: Path) -> None:
    engine = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'keys.db'}")
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sales_line (source, external_id, order_id, order_date, territory, channel, product,"
                " category, units, currency, net_revenue, cogs, net_revenue_rc, cogs_rc) VALUES"
                " ('shop', 'L1', 'SO-1', '2025-03-03', 'UK', 'Online', 'Widget', 'Gadgets', 2, 'GBP', 1000, 400,"
                " 1000, 400)"
            )
        )

    upgrade(engine)
    with engine.connect() as conn:
        assert [c["name"] for c in inspect(conn).get_columns("sales_line")][:2] == ["source", "external_id"]
        assert inspect(conn).get_pk_constraint("sales_line")["constrained_columns"] == ["source", "external_id"]
        assert conn.execute(text("SELECT count(*) FROM sales_line")).scalar_one() == 1

    downgrade(engine, "0004")
    with engine.connect() as conn:
        assert inspect(conn).get_pk_constraint("sales_line")["constrained_columns"] == ["id"]
        assert conn.execute(text("SELECT id, external_id FROM sales_line")).one() == (1, "L1")
    engine.dispose()
