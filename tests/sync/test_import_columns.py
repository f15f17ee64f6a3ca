"""Every column of a file is read, wherever it first appears, and a column no field reads is reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from db.models import SalesLine
from db.scope import Scope
from services.auth import create_token
from services.cli.main import app as cli
from services.contracts.report import IgnoredColumn
from services.imports import run_import
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from services.sync.app import create_app
from tests.sync.conftest import Importer, sales_rows, scalar, write_csv, write_jsonl, write_parquet, write_xlsx

LATE = 300
"""Lines that carry the late keys: the last 300 of each file."""


def _late_keys_file(path: Path, *, first_late_line: int) -> Path:
    """Sales lines of 100.00 with no currency, channel or cogs key until `first_late_line`; then EUR, Online, 40.00."""
    early = [
        {k: v for k, v in row.items() if k not in ("currency", "channel", "cogs")}
        for row in _lines(1, first_late_line - 1)
    ]
    late = [{**row, "currency": "EUR", "channel": "Online", "cogs": "40.00"} for row in _lines(first_late_line, LATE)]
    return write_jsonl(path, early + late)


def _lines(start: int, count: int) -> list[dict[str, Any]]:
    return [{**row, "net_revenue": "100.00"} for row in sales_rows(count, start=start)]


def _totals(engine: Engine) -> tuple[Decimal, Decimal]:
    """Net revenue and COGS of every stored line, in the reporting currency, as exact decimals."""
    with Session(engine) as session:
        revenue, cogs = session.execute(select(func.sum(SalesLine.net_revenue_rc), func.sum(SalesLine.cogs_rc))).one()
    return revenue, cogs


@pytest.mark.parametrize("first_late_line", [1_001, 100_001])
def test_keys_that_first_appear_late_in_json_lines_are_read_on_every_line_that_has_them(
    first_late_line: int, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    do_import("fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "0.5"}]))
    early = first_late_line - 1
    report = do_import("sales", _late_keys_file(tmp_path / "s.jsonl", first_late_line=first_late_line))
    assert (report.status, report.inserted, report.rejected) == ("succeeded", early + LATE, 0)
    defaults = {d.field: d.rows for d in report.defaults_used}
    assert (defaults["currency"], defaults["channel"], defaults["cogs"]) == (early, early, early)
    assert _totals(backend_engine) == (Decimal(early * 100 + LATE * 50), Decimal(LATE * 20))
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE channel = 'Online'") == LATE
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE currency = 'EUR'") == LATE


def test_json_lines_columns_are_in_the_order_keys_first_appear(tmp_path: Path, do_import: Importer) -> None:
    rows = _lines(1, 1_200)
    rows[1_100]["Region code"] = "N1"
    rows[1_150]["Notes"] = "late"
    rows[1_199]["Region code"] = "N2"
    report = do_import("sales", write_jsonl(tmp_path / "s.jsonl", rows))
    assert report.ignored_columns == [
        IgnoredColumn(column="Region code", rows=2),
        IgnoredColumn(column="Notes", rows=1),
    ]


def test_a_key_holding_numbers_text_null_objects_and_lists_is_read_as_text_and_checked(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows: list[dict[str, Any]] = _lines(1, 1_006)
    for row in rows:
        del row["cogs"]
    cells = [12, "1,250.50", None, 7.5, {"cost": 1}, [1, 2]]  # from line 1,001: first seen after any sample
    for row, cogs in zip(rows[1_000:], cells, strict=True):
        row["cogs"] = cogs
    report = do_import("sales", write_jsonl(tmp_path / "s.jsonl", rows))
    assert (report.status, report.inserted) == ("succeeded", 1_004)
    assert [(r.row, r.field) for r in report.rejections] == [(1_005, "cogs"), (1_006, "cogs")]
    assert _totals(backend_engine)[1] == Decimal("1270.00")  # 12 + 1,250.50 + 0.00 (null: the default) + 7.5


def test_an_xlsx_column_of_numbers_that_turns_to_text_is_read_as_text(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows: list[dict[str, Any]] = [
        {"external_id": n, "order_date": "2025-03-03", "territory": "UK", "units": 1, "net_revenue": 100, "product": n}
        for n in range(1, 1_201)
    ]
    rows[1_100].update(external_id="A-1101", net_revenue="£1,000.50", product="Widget")
    report = do_import("sales", write_xlsx(tmp_path / "s.xlsx", rows))
    assert (report.status, report.inserted, report.rejected) == ("succeeded", 1_200, 0)
    assert scalar(backend_engine, "SELECT product FROM sales_line WHERE external_id = 'A-1101'") == "Widget"
    assert scalar(backend_engine, "SELECT product FROM sales_line WHERE external_id = '1100'") == "1100"
    assert _totals(backend_engine)[0] == Decimal("120900.50")


def _with_unused(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows with a 'Region code' in every row and 'Notes' in every third (blank or spaces otherwise)."""
    return [
        {**row, "Region code": f"R{n % 4}", "Notes": "call back" if n % 3 == 0 else " " * (n % 2)}
        for n, row in enumerate(rows)
    ]


Writer = Callable[[Path, list[dict[str, Any]]], Path]


@pytest.mark.parametrize(
    ("writer", "name"),
    [(write_csv, "s.csv"), (write_xlsx, "s.xlsx"), (write_parquet, "s.parquet"), (write_jsonl, "s.jsonl")],
)
def test_columns_no_field_reads_are_reported_by_name_with_the_rows_that_hold_a_value(
    writer: Writer, name: str, tmp_path: Path, backend_engine: Engine
) -> None:
    file = writer(tmp_path / name, _with_unused(sales_rows(23)))
    report = run_import(
        backend_engine, scope=Scope.everything(), kind="sales", file=file, settings=Settings(import_batch_rows=5)
    )
    assert (report.status, report.inserted) == ("succeeded", 23)
    assert report.ignored_columns == [
        IgnoredColumn(column="Region code", rows=23),
        IgnoredColumn(column="Notes", rows=8),
    ]


def test_a_parquet_column_no_field_reads_is_counted_whatever_its_type(tmp_path: Path, do_import: Importer) -> None:
    rows = sales_rows(4)
    frame = pl.DataFrame(rows).with_columns(
        pl.Series("Tags", [["a"], None, ["b", "c"], []]), pl.Series("Score", [1.5, None, None, 2.0])
    )
    frame.write_parquet(tmp_path / "s.parquet")
    report = do_import("sales", tmp_path / "s.parquet")
    assert (report.status, report.inserted) == ("succeeded", 4)
    assert report.ignored_columns == [IgnoredColumn(column="Tags", rows=3), IgnoredColumn(column="Score", rows=2)]


def test_a_mapped_column_is_not_reported_as_unused(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    rows = [{**row, "Region code": "North"} for row in _with_unused(sales_rows(3))]
    for row in rows:
        del row["channel"]
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows), mapping={"channel": "Region code"})
    assert report.ignored_columns == [IgnoredColumn(column="Notes", rows=1)]
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE channel = 'North'") == 3


def test_a_dry_run_reports_unused_columns_too(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    report = do_import("sales", write_csv(tmp_path / "s.csv", _with_unused(sales_rows(6))), dry_run=True)
    assert report.dry_run and report.inserted == 6
    assert report.ignored_columns == [
        IgnoredColumn(column="Region code", rows=6),
        IgnoredColumn(column="Notes", rows=2),
    ]
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 0


def test_the_cli_prints_unused_columns_in_the_table_and_the_json(
    glance_env: Settings, tmp_path: Path, backend_engine: Engine
) -> None:
    file = write_csv(tmp_path / "s.csv", _with_unused(sales_rows(1_500)))
    table = CliRunner().invoke(cli, ["import", "sales", str(file)])
    assert table.exit_code == 0, table.output
    assert "Not used: 'Region code' (1,500 rows), 'Notes' (500 rows)" in table.stdout
    as_json = CliRunner().invoke(cli, ["import", "sales", str(file), "--format", "json"])
    assert json.loads(as_json.stdout)["ignored_columns"] == [
        {"column": "Region code", "rows": 1_500},
        {"column": "Notes", "rows": 500},
    ]


def test_the_api_returns_unused_columns_and_a_stored_run_keeps_them(glance_env: Settings, tmp_path: Path) -> None:
    with session_scope() as session:
        headers = {"Authorization": f"Bearer {create_token(session, name='analyst-token', role='analyst')}"}
    file = write_csv(tmp_path / "s.csv", _with_unused(sales_rows(3)))
    with TestClient(create_app(glance_env)) as client, file.open("rb") as handle:
        posted = client.post("/api/v1/imports/sales", headers=headers, files={"file": (file.name, handle)}).json()
        fetched = client.get(f"/api/v1/imports/{posted['run_id']}", headers=headers).json()
    expected = [{"column": "Region code", "rows": 3}, {"column": "Notes", "rows": 1}]
    assert posted["ignored_columns"] == fetched["ignored_columns"] == expected


def test_the_xlsx_header_reads_every_column_even_one_empty_at_the_top(tmp_path: Path, do_import: Importer) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "order_date", "territory", "units", "net_revenue", "Late note"])
    for n in range(1, 1_201):
        sheet.append([f"L{n}", "2025-03-03", "UK", 1, 10, "seen" if n > 1_100 else None])
    book.save(tmp_path / "s.xlsx")
    report = do_import("sales", tmp_path / "s.xlsx")
    assert report.ignored_columns == [IgnoredColumn(column="Late note", rows=100)]
