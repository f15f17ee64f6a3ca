"""All or nothing: a database error, a killed process or a concurrent import never leaves half an import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.partitions import partition_name
from db.scope import Scope
from services.imports import ImportReport, run_import
from services.imports.pipeline import SOURCE_LOCK_NAMESPACE
from services.imports.runs import fail_interrupted_runs
from services.runtime.settings import Settings
from tests.sync.conftest import sales_rows, scalar, snapshot, write_csv

_PG_TRIGGER = """
CREATE OR REPLACE FUNCTION glance_test_fail() RETURNS trigger AS $$
BEGIN IF NEW.external_id = 'L9' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER glance_test_fail BEFORE INSERT OR UPDATE ON sales_line FOR EACH ROW EXECUTE FUNCTION glance_test_fail();
"""
_PG_ATTACH_FAILS = """
CREATE OR REPLACE FUNCTION glance_test_fail_attach() RETURNS event_trigger AS $$
BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql;
CREATE EVENT TRIGGER glance_test_fail_attach ON ddl_command_end WHEN TAG IN ('ALTER TABLE')
EXECUTE FUNCTION glance_test_fail_attach();
"""
_SQLITE_TRIGGER = """CREATE TRIGGER glance_test_fail BEFORE INSERT ON sales_line WHEN NEW.external_id = 'L9'
BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"""


@pytest.fixture
def failing_line(backend_engine: Engine) -> object:
    """A real database error whenever line L9 is written."""
    with backend_engine.begin() as conn:
        if backend_engine.dialect.name == "postgresql":
            conn.execute(text(_PG_TRIGGER))
        else:
            conn.execute(text(_SQLITE_TRIGGER))
    yield
    with backend_engine.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER glance_test_fail"
                + (" ON sales_line" if backend_engine.dialect.name == "postgresql" else "")
            )
        )


@pytest.mark.parametrize("source", ["first", "new"])
def test_a_database_error_mid_import_leaves_nothing_and_records_the_failure(
    tmp_path: Path, backend_engine: Engine, failing_line: object, source: str
) -> None:
    """Into a source with lines (the merge) and into a new one (on Postgres, a partition of its own)."""
    settings = Settings(import_batch_rows=4)
    run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "first.csv", sales_rows(5)),
        source="first",
        settings=settings,
    )
    before = snapshot(backend_engine)
    if source == "new":
        source = f"new-{uuid.uuid4().hex}"
        if backend_engine.dialect.name == "postgresql":
            # A new source's lines skip row triggers (they go into a table of their own): fail its attach instead.
            with backend_engine.begin() as conn:
                conn.execute(text(_PG_ATTACH_FAILS))
    try:
        report = run_import(
            backend_engine,
            scope=Scope.everything(),
            kind="sales",
            file=write_csv(tmp_path / "second.csv", sales_rows(12)),
            source=source,
            settings=settings,
        )
    finally:
        if backend_engine.dialect.name == "postgresql":
            with backend_engine.begin() as conn:
                conn.execute(text("DROP EVENT TRIGGER IF EXISTS glance_test_fail_attach"))
    assert report.status == "failed"
    assert "disk on fire" in report.message and "nothing was stored" in report.message
    assert snapshot(backend_engine) == before
    assert scalar(backend_engine, f"SELECT status FROM import_run WHERE id = {report.run_id}") == "failed"
    if backend_engine.dialect.name == "postgresql":
        assert scalar(backend_engine, f"SELECT to_regclass('{partition_name(source)}') IS NULL") == (source != "first")


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkill_mid_copy_leaves_the_database_unchanged(tmp_path: Path, pg_database: str) -> None:
    from db.engine import make_engine
    from tests.conftest import empty_tables

    engine = make_engine(Settings(), url=pg_database)
    empty_tables(engine)
    run_import(
        engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "base.csv", sales_rows(10)),
        settings=Settings(),
    )
    before = snapshot(engine)
    big = write_csv(tmp_path / "big.csv", sales_rows(400_000, start=100))
    env = dict(
        os.environ,
        GLANCE_DATABASE_URL=pg_database,
        GLANCE_DATA_DIR=str(tmp_path / "data"),
        GLANCE_IMPORT_BATCH_ROWS="40000",
    )
    child = subprocess.Popen(
        [sys.executable, "-c", "from services.cli.main import app; app()", "import", "sales", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(
            engine,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND query ILIKE 'COPY%sales_line%'",
            timeout=120,
        )
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 60
    while fail_interrupted_runs(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the server ends the killed client's backend (and its locks) shortly after
    assert scalar(engine, "SELECT status FROM import_run ORDER BY id DESC LIMIT 1") == "failed"
    assert "killed or crashed" in scalar(engine, "SELECT error FROM import_run ORDER BY id DESC LIMIT 1")
    assert snapshot(engine) == before
    engine.dispose()


def _wait_for(engine: Engine, sql: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scalar(engine, sql):
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for: {sql}")


@pytest.mark.postgres
def test_imports_of_one_source_wait_for_each_other(tmp_path: Path, pg_database: str) -> None:
    from db.engine import make_engine
    from tests.conftest import empty_tables

    engine = make_engine(Settings(), url=pg_database)
    empty_tables(engine)
    file = write_csv(tmp_path / "shop.csv", sales_rows(20))
    results: list[ImportReport] = []
    with engine.connect() as holder:
        # Another import of "shop" is mid-transaction: it holds the source lock.
        holder.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext('shop'))"), {"ns": SOURCE_LOCK_NAMESPACE})
        worker = threading.Thread(
            target=lambda: results.append(
                run_import(engine, scope=Scope.everything(), kind="sales", file=file, settings=Settings())
            )
        )
        worker.start()
        _wait_for(engine, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", timeout=60)
        assert scalar(engine, "SELECT count(*) FROM sales_line") == 0
        assert scalar(engine, "SELECT status FROM import_run ORDER BY id DESC LIMIT 1") == "running"
        holder.commit()
    worker.join(timeout=120)
    assert results[0].status == "succeeded" and results[0].inserted == 20
    engine.dispose()


@pytest.mark.postgres
def test_concurrent_imports_keep_rollups_equal_to_the_lines(tmp_path: Path, pg_database: str) -> None:
    from db.engine import make_engine
    from tests.conftest import empty_tables

    engine = make_engine(Settings(), url=pg_database)
    empty_tables(engine)
    files = [
        (write_csv(tmp_path / f"{name}.csv", sales_rows(300, territory=name)), name)
        for name in ("north", "south", "north")
    ]
    reports: list[ImportReport] = []
    threads = [
        threading.Thread(
            target=lambda f=f, s=s: reports.append(
                run_import(engine, scope=Scope.everything(), kind="sales", file=f, source=s, settings=Settings())
            )
        )
        for f, s in files
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status for r in reports) == ["succeeded"] * 3
    assert sorted((r.inserted, r.unchanged) for r in reports) == [(0, 300), (300, 0), (300, 0)]
    assert scalar(engine, "SELECT count(*) FROM sales_line") == 600
    assert scalar(engine, "SELECT sum(units) FROM sales_daily") == scalar(engine, "SELECT sum(units) FROM sales_line")
    assert scalar(engine, "SELECT sum(lines) FROM sales_daily") == 600
    engine.dispose()
