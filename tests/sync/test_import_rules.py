"""The import rules a user relies on: mapping, defaults, rejections, strict, idempotence, FX."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.scope import Scope
from tests.sync.conftest import Importer, sales_rows, scalar, snapshot, write_csv

MAPPED_HEADER = ["LineNo", "Date", "Country", "Segment", "Item", "Price", "Qty"]


def _mapped_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    return write_csv(tmp_path / "shop.csv", [dict(zip(MAPPED_HEADER, r, strict=True)) for r in rows])


ISSUE_MAPPING = {
    "external_id": "LineNo",
    "order_date": "Date",
    "territory": "Country",
    "category": "Segment",
    "product": "Item",
    "unit_price": "Price",
    "units": "Qty",
}


def test_mapping_adapts_the_issues_example_file_and_reports_defaults(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    file = _mapped_file(
        tmp_path,
        [["1", "2025-03-01", "UK", "Toys", "Bear", "2.50", "4"], ["2", "2025-03-02", "Peru", "Toys", "Car", "10", "1"]],
    )
    report = do_import("sales", file, mapping=ISSUE_MAPPING)
    assert (report.inserted, report.rejected) == (2, 0)
    assert scalar(backend_engine, "SELECT net_revenue FROM sales_line WHERE external_id = '1'") in (
        Decimal("10.00"),
        1000,
    )
    defaults = {d.field: (d.value, d.rows) for d in report.defaults_used}
    assert defaults["channel"] == ("Unassigned", 2)
    assert defaults["cogs"] == ("0.00", 2)
    assert defaults["currency"] == ("GBP", 2)
    assert defaults["order_id"] == ("the row's external_id", 2)
    assert scalar(backend_engine, "SELECT count(DISTINCT territory) FROM sales_daily") == 2


@pytest.mark.parametrize(
    ("cell", "column", "reason"),
    [
        ("31/02/2025", "Date", "order_date (column 'Date') '31/02/2025' is not a date"),
        ("soon", "Date", "order_date (column 'Date') 'soon' is not a date"),
        ("31/03/0000", "Date", "order_date (column 'Date') '31/03/0000' is not a date"),  # no year 0 anywhere
        ("", "Country", "territory (column 'Country') is blank (it is required)"),
        ("x" * 101, "Country", "is longer than 100 characters"),
        ("three", "Qty", "units (column 'Qty') 'three' is not a number"),
        ("2.5", "Qty", "units (column 'Qty') '2.5' is not a whole number"),
        ("12,34", "Price", "unit_price (column 'Price') '12,34' is not a number"),
        ("=1+2", "Price", "unit_price (column 'Price') '=1+2' is not a number"),
        ("99999999999999999", "Price", "is too large"),
    ],
)
def test_each_bad_value_is_rejected_with_row_field_value_and_reason(
    cell: str, column: str, reason: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    good = ["1", "31/03/2025", "UK", "Toys", "Bear", "2.50", "4"]
    bad = ["2", "31/03/2025", "UK", "Toys", "Bear", "2.50", "4"]
    bad[MAPPED_HEADER.index(column)] = cell
    report = do_import("sales", _mapped_file(tmp_path, [good, bad]), mapping=ISSUE_MAPPING)
    assert (report.status, report.inserted, report.rejected) == ("succeeded", 1, 1)
    (rejection,) = report.rejections
    assert rejection.row == 3  # the header is row 1
    assert rejection.value == cell
    assert reason in rejection.reason
    assert scalar(backend_engine, "SELECT count(*) FROM rejected_row") == 1


def test_numbers_with_separators_symbols_and_parentheses(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(4)
    for row, amount in zip(rows, ["1,234.50", "£1,000", "(12.40)", "€ 7"], strict=True):
        row["net_revenue"] = amount
    do_import("sales", write_csv(tmp_path / "s.csv", rows))
    with backend_engine.connect() as conn:
        from sqlalchemy import select

        from db.models import SalesLine

        stored = dict(conn.execute(select(SalesLine.external_id, SalesLine.net_revenue)).all())
    assert stored == {
        "L1": Decimal("1234.50"),
        "L2": Decimal("1000.00"),
        "L3": Decimal("-12.40"),
        "L4": Decimal("7.00"),
    }


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["2025-03-01", "2025-03-13"], "ISO (YYYY-MM-DD)"),
        (["01/03/2025", "13/03/2025"], "day-first (DD/MM/YYYY)"),
        (["03/01/2025", "03/13/2025"], "month-first (MM/DD/YYYY)"),
    ],
)
def test_date_order_is_chosen_per_file_and_stated(
    dates: list[str], expected: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(2)
    for row, day in zip(rows, dates, strict=True):
        row["order_date"] = day
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows))
    assert report.date_format == expected
    assert str(scalar(backend_engine, "SELECT min(order_date) FROM sales_line")) == "2025-03-01"


@pytest.mark.parametrize("first_batch", ["2025-03-01", "01/03/2025"])
def test_the_whole_file_decides_the_date_order_not_its_first_batch(
    first_batch: str, tmp_path: Path, backend_engine: Engine
) -> None:
    """The first batch looks ISO (or cannot tell) but a later one is day-first: every slashed date is day-first."""
    from services.imports import run_import
    from services.runtime.settings import Settings

    rows = sales_rows(6)
    days = [first_batch, first_batch, first_batch, "25/03/2025", "03/04/2025", "2025-03-02"]
    for row, day in zip(rows, days, strict=True):
        row["order_date"] = day
    file = _json_lines(tmp_path / "s.jsonl", rows)  # JSON lines: batches of exactly 3 rows
    report = run_import(
        backend_engine, scope=Scope.everything(), kind="sales", file=file, settings=Settings(import_batch_rows=3)
    )
    assert (report.status, report.inserted, report.date_format) == ("succeeded", 6, "day-first (DD/MM/YYYY)")
    assert str(scalar(backend_engine, "SELECT order_date FROM sales_line WHERE external_id = 'L5'")) == "2025-04-03"
    assert scalar(backend_engine, "SELECT sum(lines) FROM sales_daily") == 6


def test_mixed_orders_in_later_batches_are_refused_naming_the_first_rows(
    tmp_path: Path, backend_engine: Engine
) -> None:
    from services.imports import run_import
    from services.runtime.settings import Settings

    rows = sales_rows(9)
    days = ["13/02/2025", "01/02/2025", "01/02/2025", "14/02/2025", "01/02/2025", "02/14/2025", "02/13/2025"]
    for row, day in zip(rows, [*days, "01/02/2025", "01/02/2025"], strict=True):
        row["order_date"] = day
    before = snapshot(backend_engine)
    report = run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=_json_lines(tmp_path / "s.jsonl", rows),
        settings=Settings(import_batch_rows=3),
    )
    assert report.status == "refused"
    assert "row 1 has '13/02/2025' (day first) and row 6 has '02/14/2025' (month first)" in report.message
    assert snapshot(backend_engine) == before


def _json_lines(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_ambiguous_dates_refuse_the_file_with_the_reason(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(2)
    rows[0]["order_date"], rows[1]["order_date"] = "01/02/2025", "03/04/2025"
    before = snapshot(backend_engine)
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows))
    assert report.status == "refused"
    assert "could be day-first or month-first" in report.message and "--date-format" in report.message
    assert snapshot(backend_engine) == before
    from services.imports import DateFormat

    assert do_import("sales", write_csv(tmp_path / "s.csv", rows), date_format=DateFormat.day_first).inserted == 2


def test_mixed_date_orders_are_refused_naming_both_rows(tmp_path: Path, do_import: Importer) -> None:
    rows = sales_rows(2)
    rows[0]["order_date"], rows[1]["order_date"] = "13/02/2025", "02/13/2025"
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows))
    assert report.status == "refused" and "row 2" in report.message and "row 3" in report.message


@pytest.mark.parametrize("source", ["s", "new"])
def test_a_repeated_key_rejects_the_second_row_naming_the_first(
    tmp_path: Path, backend_engine: Engine, source: str
) -> None:
    """Also in a source's first import, which leaves repeats to the key, then reads again to reject them."""
    from services.imports import run_import
    from services.runtime.settings import Settings

    source = f"new-{uuid.uuid4().hex}" if source == "new" else source  # "new": a partition of its own on Postgres
    rows = sales_rows(6)
    rows[5]["external_id"] = "L2"  # in a later batch than its first use
    file = write_csv(tmp_path / "s.csv", rows)
    report = run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=file,
        source=source,
        settings=Settings(import_batch_rows=3),
    )
    assert (report.status, report.inserted, report.rejected) == ("succeeded", 5, 1)
    assert report.rejections[0].row == 7
    assert report.rejections[0].reason == "external_id 'L2' repeats row 3 (the first is kept)"
    assert scalar(backend_engine, "SELECT sum(lines) FROM sales_daily") == 5
    assert scalar(backend_engine, "SELECT count(*) FROM rejected_row") == 1
    again = run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=file,
        source=source,
        settings=Settings(import_batch_rows=3),
    )
    assert (again.inserted, again.unchanged, again.rejected) == (0, 5, 1)


def test_a_strict_first_import_lists_a_repeat_with_the_other_bad_rows(tmp_path: Path, backend_engine: Engine) -> None:
    from services.imports import run_import
    from services.runtime.settings import Settings

    rows = sales_rows(6)
    rows[5]["external_id"] = "L2"
    rows[0]["units"] = "many"
    file = write_csv(tmp_path / "s.csv", rows)
    source = f"strict-{uuid.uuid4().hex}"
    report = run_import(
        backend_engine,
        scope=Scope.everything(),
        kind="sales",
        file=file,
        source=source,
        strict=True,
        settings=Settings(import_batch_rows=3),
    )
    assert report.status == "refused" and report.rejected == 2
    assert [(r.row, r.field) for r in report.rejections] == [(2, "units"), (7, "external_id")]
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 0


def test_strict_stores_nothing_and_lists_every_bad_row(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(5)
    rows[1]["units"], rows[3]["order_date"] = "many", "yesterday"
    before = snapshot(backend_engine)
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows), strict=True)
    assert report.status == "refused" and report.inserted == 0
    assert [r.row for r in report.rejections] == [3, 5]
    assert snapshot(backend_engine) == before
    assert scalar(backend_engine, "SELECT count(*) FROM rejected_row") == 2


def test_reimport_changes_nothing_and_says_so(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    file = write_csv(tmp_path / "s.csv", sales_rows(8))
    first = do_import("sales", file)
    after_first = snapshot(backend_engine)
    again = do_import("sales", file)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    assert again.data_version == first.data_version
    assert snapshot(backend_engine).sales == after_first.sales


def test_a_corrected_file_updates_exactly_the_changed_rows(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(8)
    do_import("sales", write_csv(tmp_path / "s.csv", rows))
    rows[2]["units"], rows[6]["order_date"] = "40", "2025-04-30"
    corrected = do_import("sales", write_csv(tmp_path / "s.csv", rows))
    assert (corrected.inserted, corrected.updated, corrected.unchanged) == (0, 2, 6)
    assert scalar(backend_engine, "SELECT sum(units) FROM sales_daily") == sum(int(r["units"]) for r in rows)
    assert str(scalar(backend_engine, "SELECT max(day) FROM sales_daily")) == "2025-04-30"


def test_dry_run_counts_but_stores_nothing(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    before = snapshot(backend_engine)
    report = do_import("sales", write_csv(tmp_path / "s.csv", sales_rows(3)), dry_run=True)
    assert (report.status, report.inserted, report.dry_run) == ("succeeded", 3, True)
    assert snapshot(backend_engine) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02binary\x00junk" * 50, "binary file"),
        (b"a,b,c\n1,2,3\n", "no recognised header"),
        (b"external_id,order_date,territory,units,net_revenue\n", "header but no rows"),
    ],
)
def test_unusable_files_get_one_clear_error(content: bytes, problem: str, tmp_path: Path, do_import: Importer) -> None:
    file = tmp_path / "data.csv"
    file.write_bytes(content)
    report = do_import("sales", file)
    assert report.status == "refused" and problem in report.message and "fix:" in report.message


def test_a_mapping_naming_an_absent_column_is_refused(tmp_path: Path, do_import: Importer) -> None:
    report = do_import("sales", write_csv(tmp_path / "s.csv", sales_rows(2)), mapping={"territory": "Country"})
    assert report.status == "refused"
    assert "territory=Country" in report.message and "check the spelling" in report.message


def test_foreign_lines_convert_and_lines_without_a_rate_are_rejected(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rates = write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "0.85"}])
    assert do_import("fx-rates", rates).inserted == 1
    rows = sales_rows(2)
    rows[0]["currency"], rows[0]["net_revenue"], rows[0]["cogs"] = "EUR", "100.00", "10"
    rows[1]["currency"] = "USD"
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows))
    assert report.inserted == 1
    assert report.rejections[0].reason == (
        "currency 'USD' has no FX rate for 2025-03 (import fx-rates into GBP for that month first)"
    )
    assert scalar(backend_engine, "SELECT net_revenue_rc FROM sales_line") in (Decimal("85.00"), 8500)


@pytest.mark.parametrize(
    ("amount", "rate", "converted"),
    [
        ("4.66", "0.863734", "4.03"),  # 4.02500044: past the half, so up (a product cut to 6 places reads 4.025000)
        ("0.05", "0.5", "0.02"),  # exactly half: to the even penny
        ("-4.66", "0.863734", "-4.03"),
    ],
)
def test_a_converted_amount_rounds_the_exact_product_to_the_penny(
    amount: str, rate: str, converted: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    do_import("fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": rate}]))
    rows = sales_rows(1)
    rows[0]["currency"], rows[0]["net_revenue"], rows[0]["cogs"] = "EUR", amount, amount
    assert do_import("sales", write_csv(tmp_path / "s.csv", rows)).inserted == 1
    cents = int(Decimal(converted) * 100)
    assert scalar(backend_engine, "SELECT cogs_rc FROM sales_line") in (Decimal(converted), cents)
    assert scalar(backend_engine, "SELECT net_revenue_rc FROM sales_line") in (Decimal(converted), cents)


def test_changed_fx_rates_reconvert_stored_lines_and_rollups(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    do_import("fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "0.5"}]))
    rows = sales_rows(1)
    rows[0]["currency"], rows[0]["net_revenue"], rows[0]["cogs"] = "EUR", "100.00", "0"
    do_import("sales", write_csv(tmp_path / "s.csv", rows))
    report = do_import(
        "fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "0.9"}])
    )
    assert report.updated == 1
    assert scalar(backend_engine, "SELECT net_revenue_rc FROM sales_line") in (Decimal("90.00"), 9000)
    assert scalar(backend_engine, "SELECT net_revenue FROM sales_daily") in (Decimal("90.00"), 9000)


def test_expenses_targets_and_rates_import(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    expenses = write_csv(
        tmp_path / "opex.csv",
        [
            {"Month": "Mar 2025", "Territory": "UK", "Category": "Rent", "Amount": "£2,000"},
            {"Month": "2025-03", "Territory": "UK", "Category": "Rent", "Amount": "1"},
        ],
    )
    report = do_import("expenses", expenses)
    assert (report.inserted, report.rejected) == (1, 1)
    assert "repeats row 2" in report.rejections[0].reason
    targets = write_csv(
        tmp_path / "targets.csv",
        [
            {"month": "2025-03", "metric": "net_revenue", "value": "100000"},
            {"month": "2025-03", "metric": "opex:Rent", "value": "2500", "territory": "UK"},
            {"month": "2025-03", "metric": "happiness", "value": "1"},
        ],
    )
    report = do_import("targets", targets)
    assert (report.inserted, report.rejected) == (2, 1)
    assert "is not one of net_revenue" in report.rejections[0].reason
    assert scalar(backend_engine, "SELECT territory FROM kpi_target WHERE metric = 'net_revenue'") == "*"
    bad_rate = do_import(
        "fx-rates", write_csv(tmp_path / "fx.csv", [{"month": "2025-03", "currency": "EUR", "rate": "0"}])
    )
    assert bad_rate.rejections[0].reason == "rate '0' must be greater than 0"
