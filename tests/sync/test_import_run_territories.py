"""Each import run records the territories of the rows it accepted (migration 0008), on SQLite and Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from db.engine import make_engine
from db.migrate import alembic_config, upgrade
from db.scope import Scope
from services.runtime.settings import Settings
from tests.conftest import throwaway_pg_database
from tests.sync.conftest import Importer, sales_rows, scalar, write_csv


def _territories(engine: Engine, run_id: int) -> list[str] | None:
    stored = scalar(engine, f"SELECT territories FROM import_run WHERE id = {run_id}")
    return None if stored is None else json.loads(stored)


def test_a_run_records_the_territories_of_the_rows_it_stored(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = (
        sales_rows(2, territory="UK") + sales_rows(2, start=5, territory="DE") + sales_rows(1, start=9, territory="FR")
    )
    rows[4]["units"] = "lots"  # the FR line is rejected, so FR is not touched

    report = do_import("sales", write_csv(tmp_path / "s.csv", rows))

    assert _territories(backend_engine, report.run_id) == ["DE", "UK"]


def test_a_scoped_callers_run_records_only_its_own_territories(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(2, territory="UK") + sales_rows(2, start=5, territory="DE")

    report = do_import("sales", write_csv(tmp_path / "s.csv", rows), scope=Scope.only(["UK"]))

    assert _territories(backend_engine, report.run_id) == ["UK"]


def test_runs_without_territories_record_an_empty_list_and_unread_runs_record_none(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rates = do_import(
        "fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "2"}])
    )
    dry = do_import("sales", write_csv(tmp_path / "s.csv", sales_rows(2, territory="IE")), dry_run=True)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = do_import("sales", empty)

    assert _territories(backend_engine, rates.run_id) == []
    assert _territories(backend_engine, dry.run_id) == ["IE"]  # what it would have stored
    assert refused.status == "refused" and _territories(backend_engine, refused.run_id) is None


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database with no schema, for each backend in turn."""
    if request.param == "sqlite":
        engine = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'runs.db'}")
        yield engine
        engine.dispose()
        return
    request.applymarker(pytest.mark.postgres)
    with throwaway_pg_database() as url:
        engine = make_engine(Settings(), url=url)
        yield engine
        engine.dispose()


def _columns(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [c["name"] for c in inspect(conn).get_columns("import_run")]


def test_0008_adds_a_nullable_territories_column_and_downgrades_keeping_every_run(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0007")
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO import_run (id, kind, source, filename, file_sha256, status, started_at, rows_read,"
                " inserted, updated, unchanged, rejected, requested_by, details, error)"
                " VALUES (1, 'sales', 'shop', 's.csv', '', 'succeeded', CURRENT_TIMESTAMP, 2, 1, 0, 0, 1, 'cli:ops',"
                " '{}', '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO rejected_row (import_run_id, row_number, field, value, reason, raw)"
                " VALUES (1, 3, 'units', 'x', 'units ''x'' is not a number', '{}')"
            )
        )

    upgrade(fresh_engine)

    assert "territories" in _columns(fresh_engine)
    assert scalar(fresh_engine, "SELECT territories FROM import_run WHERE id = 1") is None  # not known
    _downgrade(fresh_engine, "0007")
    assert "territories" not in _columns(fresh_engine)
    assert scalar(fresh_engine, "SELECT count(*) FROM import_run") == 1
    assert scalar(fresh_engine, "SELECT count(*) FROM rejected_row") == 1
