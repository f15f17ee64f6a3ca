"""A pulled batch as a file on disk, so it goes through the very same import pipeline as an upload.

Pages (CSV text, JSON records, SQL rows) are appended to one CSV or JSON-lines file under the
pull directory; the file is removed once the import has read it.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from services.sources.errors import PullError


class BatchFile:
    """One pull's rows, written as CSV (`csv`) or JSON lines (`jsonl`) into a temporary file."""

    def __init__(self, directory: Path, *, source: str, format: Literal["csv", "jsonl"]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f"{source}-", suffix=f".{format}", dir=directory)
        self.path = Path(name)
        self.format = format
        self.source = source
        self.rows = 0
        self._header: list[str] | None = None
        self._handle = open(handle, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in __exit__)
        self._writer = csv.writer(self._handle)

    def __enter__(self) -> BatchFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)

    def reset(self) -> None:
        """Forget everything written so far (before a whole-batch retry)."""
        self._handle.seek(0)
        self._handle.truncate()
        self._header = None
        self.rows = 0

    def finish(self) -> Path:
        """Flush and close for writing; the pipeline reads the returned path."""
        self._handle.flush()
        return self.path

    def add_csv_page(self, text: str, *, page: int) -> int:
        """Append a CSV page (with its own header row); returns its data row count."""
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = next(reader, None)
        if header is None:
            return 0
        rows = [row for row in reader if any(cell.strip() for cell in row)]
        self.add_rows(header, rows, page=page)
        return len(rows)

    def add_rows(self, header: Sequence[str], rows: Iterable[Sequence[Any]], *, page: int = 1) -> int:
        """Append rows under `header` (CSV batches); every page must carry the same columns."""
        header = [str(column) for column in header]
        if self._header is None:
            self._header = header
            self._writer.writerow(header)
        elif header != self._header:
            raise PullError(
                f"source {self.source!r}: page {page} has columns {header}, but the first page had {self._header}",
                fix="make the endpoint return the same columns on every page",
            )
        count = 0
        for row in rows:
            self._writer.writerow([_text(value) for value in row])
            count += 1
        self.rows += count
        return count

    def add_records(self, records: list[Any], *, page: int) -> int:
        """Append JSON records (objects) as JSON lines with every value as text."""
        for index, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise PullError(
                    f"source {self.source!r}: record {index} of page {page} is not a JSON object",
                    fix="point `records` at the list of row objects in each page",
                )
            self._handle.write(json.dumps({str(k): _text(v) for k, v in record.items()}) + "\n")
        self.rows += len(records)
        return len(records)


def _text(value: Any) -> str:
    """A cell as the text an export would hold: exact decimals, ISO dates, blanks for nulls."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float | str):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
