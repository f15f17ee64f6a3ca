"""Factories for import test files (every format) and a snapshot of what the database holds."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from sqlalchemy import Engine, text

from db.scope import Scope
from services.imports import ImportReport, run_import
from services.runtime.settings import Settings


def sales_rows(
    count: int, *, start: int = 1, day: date = date(2025, 3, 3), territory: str = "UK"
) -> list[dict[str, str]]:
    """`count` valid sales lines with ISO dates and distinct external ids."""
    return [
        {
            "external_id": f"L{n}",
            "order_id": f"O{(n + 1) // 2}",
            "order_date": (day + timedelta(days=n % 5)).isoformat(),
            "territory": territory,
            "channel": "Online" if n % 2 else "Retail",
            "product": f"Widget {n % 3}",
            "category": "Gadgets",
            "units": str(1 + n % 4),
            "net_revenue": f"{10 + n}.50",
            "cogs": f"{4 + n}.25",
            "currency": "GBP",
        }
        for n in range(start, start + count)
    ]


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: list[str] | None = None,
) -> Path:
    """Write rows as CSV (quoting only where needed)."""
    header = header or list(rows[0])
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([[row.get(c, "") for c in header] for row in rows])
    return path


def write_xlsx(
    path: Path, rows: list[dict[str, Any]], *, sheet: str = "Sheet1", first_sheet: str | None = None
) -> Path:
    """Write rows to an XLSX sheet (optionally after another, unrelated first sheet)."""
    workbook = openpyxl.Workbook()
    target = workbook.active
    if first_sheet:
        target.title = first_sheet
        target.append(["notes"])
        target = workbook.create_sheet(sheet)
    else:
        target.title = sheet
    target.append(list(rows[0]))
    for row in rows:
        target.append(list(row.values()))
    workbook.save(path)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows to Parquet with polars (text columns, as exported from many tools)."""
    pl.DataFrame(rows).write_parquet(path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write one JSON object per line."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Snapshot:
    """Everything an import may change, to compare before and after."""

    sales: list[tuple[Any, ...]]
    rollups: list[tuple[Any, ...]]
    data_version: int


def snapshot(engine: Engine) -> Snapshot:
    """What the facts, the rollups and the data version hold now."""
    with engine.connect() as conn:
        return Snapshot(
            sales=[tuple(r) for r in conn.execute(text("SELECT * FROM sales_line ORDER BY source, external_id"))],
            rollups=[tuple(r) for r in conn.execute(text("SELECT * FROM sales_daily ORDER BY 1, 2, 3, 4"))]
            + [tuple(r) for r in conn.execute(text("SELECT * FROM sales_product_monthly ORDER BY 1, 2, 3, 4, 5"))],
            data_version=conn.execute(text("SELECT version FROM data_version")).scalar_one(),
        )


def scalar(engine: Engine, sql: str) -> Any:
    """One value from the database."""
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


Importer = Callable[..., ImportReport]


@pytest.fixture
def do_import(backend_engine: Engine) -> Importer:
    """Run the pipeline on `backend_engine` with default settings, for a caller of every territory."""

    def run(kind: str, file: Path, **options: Any) -> ImportReport:
        options.setdefault("settings", Settings())
        options.setdefault("scope", Scope.everything())
        return run_import(backend_engine, kind=kind, file=file, **options)

    return run
