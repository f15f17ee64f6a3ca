"""Backups on SQLite and Postgres: back up, lose the facts, restore, and every report total is back."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db.engine import make_engine
from db.migrate import head_revision, upgrade
from db.queries import Dimension, PnlDimension, budget_vs_actual, opex_by_category, pnl_report, sales_breakdown
from db.scope import Scope
from services.cli.main import app
from services.imports import run_import
from services.ops.backup import BackupError, create_backup, list_backups, prune_backups, restore_backup
from services.runtime.database import get_engine
from services.runtime.settings import Settings
from tests.conftest import PG_ADMIN_URL
from tests.factories import store_expense_lines, store_target_rows
from tests.sync.conftest import sales_rows, snapshot, write_csv

START, END = date(2025, 1, 1), date(2025, 12, 31)
FACT_TABLES = ["sales_line", "sales_daily", "orders_daily", "sales_product_monthly", "operating_expense", "kpi_target"]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of its own (restore replaces a whole database, so none is shared)."""
    if request.param == "sqlite":
        db = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'glance.db'}")
        upgrade(db)
        yield db
        db.dispose()
        return
    name = f"glance_backup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = make_engine(Settings(), url=PG_ADMIN_URL.rpartition("/")[0] + f"/{name}")
    upgrade(db)
    yield db
    db.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@dataclass(frozen=True)
class Figures:
    """Every report a user reads, as db.queries computes it."""

    breakdowns: list[object]
    pnl: list[object]
    opex: list[object]
    budget: list[object]


def figures(engine: Engine) -> Figures:
    with Session(engine) as session:
        return Figures(
            breakdowns=[
                sales_breakdown(session, scope=Scope.everything(), by=by, start=START, end=END) for by in Dimension
            ],
            pnl=[pnl_report(session, scope=Scope.everything(), by=by, start=START, end=END) for by in PnlDimension],
            opex=opex_by_category(session, scope=Scope.everything(), start=START, end=END),
            budget=budget_vs_actual(session, scope=Scope.everything(), start=START, end=END),
        )


def load_business(engine: Engine, tmp_path: Path, settings: Settings) -> None:
    """Sales through the import pipeline, plus expenses and targets."""
    rows = sales_rows(30) + sales_rows(20, start=100, territory="DE", day=date(2025, 6, 2))
    report = run_import(
        engine, scope=Scope.everything(), kind="sales", file=write_csv(tmp_path / "sales.csv", rows), settings=settings
    )
    assert report.inserted == 50
    with Session(engine) as session:
        store_expense_lines(
            session, [(date(2025, 3, 1), "UK", "Rent", "1200.00"), (date(2025, 6, 1), "DE", "Staff", "950.55")]
        )
        store_target_rows(
            session, [(date(2025, 3, 1), "*", "net_revenue", "900.00"), (date(2025, 6, 1), "DE", "gross_margin", "100")]
        )


def delete_facts(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in FACT_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


def test_restoring_a_backup_brings_every_report_total_back(engine: Engine, tmp_path: Path, settings: Settings) -> None:
    load_business(engine, tmp_path, settings)
    before = figures(engine)
    backup = create_backup(engine, directory=tmp_path / "backups", settings=settings)
    delete_facts(engine)
    emptied = figures(engine)

    with pytest.raises(BackupError, match="holds data"):
        restore_backup(engine, path=backup.path, force=False, settings=settings)
    restored = restore_backup(engine, path=backup.path, force=True, settings=settings)

    assert emptied != before
    assert figures(engine) == before
    assert restored.data_version == backup.data_version == 1
    assert restored.revision == head_revision()
    check = subprocess.run(
        ["sha256sum", "-c", backup.checksum_path.name], cwd=backup.path.parent, capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout


def test_an_archive_is_named_with_time_version_and_data_version(
    engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    load_business(engine, tmp_path, settings)

    backup = create_backup(engine, directory=tmp_path / "backups", settings=settings)

    assert [b.path for b in list_backups(tmp_path / "backups")] == [backup.path]
    assert backup.path.name.startswith(f"glance-{datetime.now(UTC):%Y%m%d}T")
    assert f"-dv{backup.data_version}-r{head_revision()}." in backup.path.name
    assert backup.backend == engine.dialect.name and backup.size > 0


def test_a_truncated_archive_is_refused_and_the_database_left_untouched(
    engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    load_business(engine, tmp_path, settings)
    backup = create_backup(engine, directory=tmp_path / "backups", settings=settings)
    delete_facts(engine)
    before = snapshot(engine)
    backup.path.write_bytes(backup.path.read_bytes()[: backup.size // 2])

    with pytest.raises(BackupError, match="truncated or corrupted; nothing was restored"):
        restore_backup(engine, path=backup.path, force=True, settings=settings)

    assert snapshot(engine) == before


def test_a_backup_restores_into_an_empty_database_without_force(
    engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    load_business(engine, tmp_path, settings)
    before = figures(engine)
    backup = create_backup(engine, directory=tmp_path / "backups", settings=settings)
    with engine.begin() as connection:
        for table in ["rejected_row", *FACT_TABLES, "fx_rate", "import_run"]:
            connection.execute(text(f"DELETE FROM {table}"))

    restore_backup(engine, path=backup.path, force=False, settings=settings)

    assert figures(engine) == before


def _fake_archive(directory: Path, when: datetime) -> Path:
    path = directory / f"glance-{when:%Y%m%dT%H%M%SZ}-v0.1.0-dv1-r0002.sqlite"
    path.write_bytes(b"x")
    path.with_name(path.name + ".sha256").write_text(f"{'0' * 64}  {path.name}\n")
    return path


def test_prune_keeps_the_newest_of_each_recent_day_and_week(tmp_path: Path) -> None:
    friday = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    times = [friday - timedelta(days=d) for d in range(21)] + [friday - timedelta(hours=1)]
    for when in times:
        _fake_archive(tmp_path, when)

    result = prune_backups(tmp_path, daily=3, weekly=2)

    kept = sorted(b.created_at.strftime("%m-%d %H") for b in result.kept)
    # Days: Nov 20 02h, 19, 18; weeks: this ISO week's newest (Nov 20) and last week's (Sun Nov 15).
    assert kept == ["11-15 02", "11-18 02", "11-19 02", "11-20 02"]
    assert len(result.removed) == len(times) - 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        n for b in result.kept for n in (b.path.name, b.checksum_path.name)
    )


def test_prune_refuses_to_keep_nothing(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="delete every backup"):
        prune_backups(tmp_path, daily=0, weekly=0)


def test_the_backup_commands_create_refuse_without_force_and_restore(glance_env: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    load_business(get_engine(), tmp_path, glance_env)

    created = runner.invoke(app, ["backup", "create"])
    archive = created.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["backup", "list"])
    refused = runner.invoke(app, ["backup", "restore", archive])
    restored = runner.invoke(app, ["backup", "restore", archive, "--force"])

    assert created.exit_code == 0 and Path(archive).is_file()
    assert "yes" in listed.output
    assert refused.exit_code == 1 and "--force" in refused.output
    assert restored.exit_code == 0, restored.output
    assert restored.output.strip().splitlines()[-1] == "data version 1"
