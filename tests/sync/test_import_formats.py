"""Every supported format and encoding reads back the same rows."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.scope import Scope
from tests.sync.conftest import (
    Importer,
    sales_rows,
    scalar,
    write_csv,
    write_jsonl,
    write_parquet,
    write_xlsx,
)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_with_any_delimiter_is_sniffed(
    delimiter: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    file = write_csv(tmp_path / "sales.csv", sales_rows(7), delimiter=delimiter)
    report = do_import("sales", file)
    assert (report.status, report.inserted, report.rejected) == ("succeeded", 7, 0)
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 7


def test_quoted_fields_with_embedded_newlines_and_delimiters(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(3)
    rows[1]["product"] = "Widget, large\nsecond line"
    report = do_import("sales", write_csv(tmp_path / "sales.csv", rows))
    assert report.inserted == 3
    stored = scalar(backend_engine, "SELECT product FROM sales_line WHERE external_id = 'L2'")
    assert stored == "Widget, large\nsecond line"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_text_encodings_are_detected(
    encoding: str, tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    rows = sales_rows(2, territory="Côte d'Azur")
    rows[0]["product"] = "Crème brûlée"
    report = do_import("sales", write_csv(tmp_path / "sales.csv", rows, encoding=encoding))
    assert report.inserted == 2
    assert scalar(backend_engine, "SELECT product FROM sales_line WHERE external_id = 'L1'") == "Crème brûlée"
    assert scalar(backend_engine, "SELECT max(territory) FROM sales_line") == "Côte d'Azur"


def test_utf8_bom_does_not_leak_into_the_first_header(tmp_path: Path, do_import: Importer) -> None:
    file = write_csv(tmp_path / "sales.csv", sales_rows(2), encoding="utf-8-sig")
    assert file.read_bytes().startswith(codecs.BOM_UTF8)
    assert do_import("sales", file).inserted == 2


def test_encoding_can_be_given(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    rows = sales_rows(1)
    rows[0]["product"] = "Ÿ-shaped"  # 0x9F in cp1252, a control character in latin-1
    report = do_import("sales", write_csv(tmp_path / "s.csv", rows, encoding="cp1252"), encoding="cp1252")
    assert report.encoding == "cp1252"
    assert scalar(backend_engine, "SELECT product FROM sales_line") == "Ÿ-shaped"


def test_xlsx_first_sheet_and_named_sheet(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    assert do_import("sales", write_xlsx(tmp_path / "a.xlsx", sales_rows(4))).inserted == 4
    named = write_xlsx(tmp_path / "b.xlsx", sales_rows(3, start=10), sheet="Sales", first_sheet="Read me")
    report = do_import("sales", named, sheet="Sales", source="b")
    assert (report.status, report.inserted, report.file_format) == ("succeeded", 3, "xlsx")
    refused = do_import("sales", named, sheet="Nope", source="b")
    assert refused.status == "refused" and "Read me, Sales" in refused.message


def test_xlsx_native_dates_and_numbers(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    from datetime import date

    rows = [{"external_id": "X1", "order_date": date(2025, 1, 31), "territory": "UK", "units": 3, "net_revenue": 12.5}]
    report = do_import("sales", write_xlsx(tmp_path / "n.xlsx", rows))
    assert report.inserted == 1
    assert str(scalar(backend_engine, "SELECT order_date FROM sales_line")) == "2025-01-31"


def test_parquet_round_trip(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    report = do_import("sales", write_parquet(tmp_path / "s.parquet", sales_rows(5)))
    assert (report.inserted, report.file_format) == (5, "parquet")


def test_json_lines_round_trip(tmp_path: Path, do_import: Importer, backend_engine: Engine) -> None:
    rows = sales_rows(4)
    rows[2]["units"] = 3  # a JSON number, not a string
    report = do_import("sales", write_jsonl(tmp_path / "s.jsonl", rows))
    assert (report.inserted, report.file_format) == (4, "jsonl")


def test_format_is_read_from_content_not_name(tmp_path: Path, do_import: Importer) -> None:
    disguised = write_parquet(tmp_path / "really-parquet.csv", sales_rows(2))
    assert do_import("sales", disguised).inserted == 2


def test_batches_keep_every_row(tmp_path: Path, backend_engine: Engine) -> None:
    from services.imports import run_import
    from services.runtime.settings import Settings

    file = write_csv(tmp_path / "s.csv", sales_rows(23))
    report = run_import(
        backend_engine, scope=Scope.everything(), kind="sales", file=file, settings=Settings(import_batch_rows=5)
    )
    assert (report.rows_read, report.inserted) == (23, 23)
    assert scalar(backend_engine, "SELECT sum(units) FROM sales_daily") == sum(1 + n % 4 for n in range(1, 24))
