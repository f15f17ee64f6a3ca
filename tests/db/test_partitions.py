"""Postgres keeps each source's sales lines in a partition of its own; users see one table all the same."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from db.engine import make_engine
from db.migrate import upgrade
from db.partitions import partition_name
from db.scope import Scope
from services.imports import ImportReport, run_import
from services.runtime.settings import Settings
from tests.conftest import throwaway_pg_database
from tests.factories import sale, store_sales_lines
from tests.sync.conftest import sales_rows, scalar, snapshot, write_csv

pytestmark = pytest.mark.postgres

_INSERT = (
    "INSERT INTO sales_line (source, external_id, order_id, order_date, territory, channel, product, category,"
    " units, currency, net_revenue, cogs, net_revenue_rc, cogs_rc) VALUES"
    " (:source, :id, 'SO-1', '2025-03-03', 'UK', 'Online', 'Widget', 'Gadgets', 2, 'GBP', 10, 4, 10, 4)"
)
_KEY_COLLATION = (
    "SELECT collation_name FROM information_schema.columns"
    " WHERE table_name = 'sales_line' AND column_name = 'external_id'"
)


@pytest.fixture
def engine(pg_database: str) -> Iterator[Engine]:
    engine = make_engine(Settings(), url=pg_database)
    yield engine
    engine.dispose()


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _partitions(engine: Engine) -> dict[str, str]:
    """Each partition of sales_line with the source its bound names."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sales_line'::regclass"
            )
        )
        return {name: bound for name, bound in rows}


def test_a_new_sources_first_import_gets_a_partition_with_its_key_and_indexes(tmp_path: Path, engine: Engine) -> None:
    source = f"shop {uuid.uuid4().hex[:6]} 'quoted'"
    report = run_import(
        engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "a.csv", sales_rows(30)),
        source=source,
        settings=Settings(),
    )

    assert report.status == "succeeded" and report.inserted == 30
    name = partition_name(source)
    assert _partitions(engine)[name] == f"FOR VALUES IN ('shop {source[5:11]} ''quoted''')"
    assert scalar(engine, f"SELECT count(*) FROM {name}") == 30
    # Loaded with source and run as the new table's defaults, which are gone once it is attached.
    assert scalar(engine, f"SELECT count(DISTINCT (source, import_run_id)) FROM {name}") == 1
    assert scalar(engine, f"SELECT import_run_id FROM {name} LIMIT 1") == report.run_id
    assert scalar(engine, f"SELECT count(*) FROM sales_line WHERE source = {_quoted(source)}") == 30
    defaults = (
        f"SELECT count(*) FROM information_schema.columns WHERE table_name = '{name}' AND column_default IS NOT NULL"
    )
    assert scalar(engine, defaults) == 0
    with engine.connect() as conn:
        indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": name}).scalars()
        definitions = sorted(indexes)
    assert any("UNIQUE" in d and "(source, external_id)" in d for d in definitions)
    assert any("USING brin (order_date)" in d for d in definitions)
    # The key holds across the partition: a re-import updates and never duplicates.
    again = run_import(
        engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "b.csv", sales_rows(40)),
        source=source,
        settings=Settings(),
    )
    assert (again.inserted, again.updated, again.unchanged) == (10, 0, 30)
    assert scalar(engine, f"SELECT count(*) FROM sales_line WHERE source = {_quoted(source)}") == 40


def test_a_refused_or_dry_run_first_import_leaves_no_partition(tmp_path: Path, engine: Engine) -> None:
    before = snapshot(engine)
    rows = [*sales_rows(5), dict(sales_rows(1, start=6)[0], order_date="31/02/2025")]
    strict_source, dry_source = f"strict-{uuid.uuid4().hex}", f"dry-{uuid.uuid4().hex}"
    file = write_csv(tmp_path / "bad.csv", rows)

    strict = run_import(
        engine,
        scope=Scope.everything(),
        kind="sales",
        file=file,
        source=strict_source,
        strict=True,
        settings=Settings(),
    )
    dry = run_import(
        engine, scope=Scope.everything(), kind="sales", file=file, source=dry_source, dry_run=True, settings=Settings()
    )

    assert (strict.status, dry.status) == ("refused", "succeeded") and dry.inserted == 5
    assert snapshot(engine) == before
    assert partition_name(strict_source) not in _partitions(engine)
    assert partition_name(dry_source) not in _partitions(engine)


def test_lines_stored_outside_an_import_get_their_sources_partition(engine: Engine) -> None:
    sources = [f"api-{uuid.uuid4().hex[:8]}", f"api-{uuid.uuid4().hex[:8]}"]
    with Session(engine) as session:
        store_sales_lines(session, [sale(source=s, external_id=f"{s}-1") for s in sources])
        session.commit()

    assert {partition_name(s) for s in sources} <= set(_partitions(engine))
    assert scalar(engine, f"SELECT count(*) FROM sales_line WHERE source IN ('{sources[0]}', '{sources[1]}')") == 2


def test_first_imports_of_new_sources_run_side_by_side(tmp_path: Path, engine: Engine) -> None:
    names = [f"side-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    reports: list[ImportReport] = []
    threads = [
        threading.Thread(
            target=lambda n=n: reports.append(
                run_import(
                    engine,
                    scope=Scope.everything(),
                    kind="sales",
                    file=write_csv(tmp_path / f"{n}.csv", sales_rows(200, territory=n)),
                    source=n,
                    settings=Settings(),
                )
            )
        )
        for n in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(r.status for r in reports) == ["succeeded"] * 3
    assert {partition_name(n) for n in names} <= set(_partitions(engine))
    for n in names:
        assert scalar(engine, f"SELECT sum(lines) FROM sales_daily WHERE territory = '{n}'") == 200


def test_0006_moves_each_sources_lines_into_its_partition_and_downgrades_cleanly() -> None:
    from tests.db.test_migrations import downgrade

    with throwaway_pg_database() as url:
        engine = make_engine(Settings(), url=url)
        upgrade(engine, "0005")
        lines = [("shop", "L1"), ("shop", "L2"), ("it's market", "L1")]
        with engine.begin() as conn:
            for source, external_id in lines:
                conn.execute(text(_INSERT), {"source": source, "id": external_id})

        upgrade(engine)
        assert _partitions(engine) == {
            partition_name("shop"): "FOR VALUES IN ('shop')",
            partition_name("it's market"): "FOR VALUES IN ('it''s market')",
        }
        assert scalar(engine, f"SELECT count(*) FROM {partition_name('shop')}") == 2
        assert scalar(engine, _KEY_COLLATION) == "C"  # keys compare byte by byte
        with engine.connect() as conn:
            assert sorted(conn.execute(text("SELECT source, external_id FROM sales_line")).all()) == sorted(lines)
            with pytest.raises(Exception, match="duplicate key"):
                conn.execute(text(_INSERT), {"source": "shop", "id": "L1"})

        downgrade(engine, "0005")
        assert scalar(engine, "SELECT relkind FROM pg_class WHERE relname = 'sales_line'") == "r"
        assert scalar(engine, "SELECT count(*) FROM pg_class WHERE relname LIKE 'sales_line_s_%'") == 0
        assert scalar(engine, _KEY_COLLATION) is None  # the database's own, as before
        with engine.connect() as conn:
            assert sorted(conn.execute(text("SELECT source, external_id FROM sales_line")).all()) == sorted(lines)
        engine.dispose()
