"""Rejected rows as a CSV a spreadsheet can open safely: formulas are neutralised, never executed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.scope import Scope
from services.imports.runs import iter_rejected

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def rejected_csv(engine: Engine, *, run_id: int, scope: Scope, requester: str) -> Iterator[str]:
    """The run's rejected rows the caller may see (`iter_rejected`) as CSV text, chunk by chunk: row, field,
    value, reason, then the row as read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns: list[str] | None = None
    with Session(engine) as session:
        for count, rejected in enumerate(iter_rejected(session, run_id=run_id, scope=scope, requester=requester)):
            raw = json.loads(rejected.raw or "{}")
            if columns is None:
                columns = list(raw)
                writer.writerow(["row", "field", "value", "reason", *columns])
            cells = [rejected.field, rejected.value, rejected.reason, *(_text(raw.get(c)) for c in columns)]
            writer.writerow([rejected.row_number, *(neutralise(c) for c in cells)])
            if count % 1000 == 999:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    if columns is None:
        writer.writerow(["row", "field", "value", "reason"])
    yield buffer.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value)
