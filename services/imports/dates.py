"""Dates and months as files write them: ISO, day-first or month-first, chosen once per file.

`01/02/2025` means 1 February in a day-first file and 2 January in a month-first one, so the
order is decided from the whole file's evidence (a value such as `31/01/2025` can only be
day-first). A file with no such evidence, or with evidence both ways, is refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from services.imports.errors import ImportRefusedError
from services.imports.values import Parsed

_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][0-9:.+\-Z ]*)?$"
_SLASHED = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[T ][0-9:.+\-Z ]*)?$"
_ISO_MONTH = r"^(\d{4})[-/.](\d{1,2})$"
_MONTH_YEAR = r"^(\d{1,2})[/.\-](\d{4})$"
_NAMED_MONTH = r"^([A-Za-z]{3,9})[\s\-/.]+(\d{4})$"


class DateFormat(StrEnum):
    """How a file writes its dates."""

    iso = "iso"
    day_first = "day-first"
    month_first = "month-first"

    @property
    def description(self) -> str:
        """What the report says about the format."""
        return {
            DateFormat.iso: "ISO (YYYY-MM-DD)",
            DateFormat.day_first: "day-first (DD/MM/YYYY)",
            DateFormat.month_first: "month-first (MM/DD/YYYY)",
        }[self]


@dataclass(frozen=True)
class DateEvidence:
    """What a file's date column says about its format."""

    iso: int = 0
    slashed: int = 0
    day_first_row: int | None = None
    day_first_value: str = ""
    month_first_row: int | None = None
    month_first_value: str = ""
    day_first_rows: int = 0
    month_first_rows: int = 0

    def add(self, other: DateEvidence) -> DateEvidence:
        """Evidence of two batches together (the earlier example rows win)."""
        return DateEvidence(
            iso=self.iso + other.iso,
            slashed=self.slashed + other.slashed,
            day_first_row=self.day_first_row if self.day_first_row is not None else other.day_first_row,
            day_first_value=self.day_first_value or other.day_first_value,
            month_first_row=self.month_first_row if self.month_first_row is not None else other.month_first_row,
            month_first_value=self.month_first_value or other.month_first_value,
            day_first_rows=self.day_first_rows + other.day_first_rows,
            month_first_rows=self.month_first_rows + other.month_first_rows,
        )


def gather_evidence(frame: pl.DataFrame, *, column: str, row_column: str) -> DateEvidence:
    """Count ISO and slashed values and find the first value that only fits one order."""
    text = frame.select(pl.col(row_column), pl.col(column).cast(pl.String).str.strip_chars().alias("text")).filter(
        pl.col("text").is_not_null()
    )
    parts = text.with_columns(
        pl.col("text").str.extract(_SLASHED, 1).cast(pl.Int32, strict=False).alias("first"),
        pl.col("text").str.extract(_SLASHED, 2).cast(pl.Int32, strict=False).alias("second"),
    )
    day_first = parts.filter((pl.col("first") > 12) & (pl.col("second") <= 12))
    month_first = parts.filter((pl.col("second") > 12) & (pl.col("first") <= 12))
    return DateEvidence(
        iso=text.filter(pl.col("text").str.contains(_ISO)).height,
        slashed=parts.filter(pl.col("first").is_not_null()).height,
        day_first_row=day_first.item(0, row_column) if day_first.height else None,
        day_first_value=day_first.item(0, "text") if day_first.height else "",
        month_first_row=month_first.item(0, row_column) if month_first.height else None,
        month_first_value=month_first.item(0, "text") if month_first.height else "",
        day_first_rows=day_first.height,
        month_first_rows=month_first.height,
    )


def choose_format(evidence: DateEvidence, *, field: str, requested: DateFormat | None) -> DateFormat:
    """The file's date order, or a refusal naming the rows that make it ambiguous."""
    if requested is not None:
        return requested
    if evidence.slashed == 0:
        return DateFormat.iso
    day_first = evidence.day_first_row is not None
    month_first = evidence.month_first_row is not None
    if day_first and month_first:
        raise ImportRefusedError(
            f"the {field} column mixes day-first and month-first dates: row {evidence.day_first_row} has "
            f"'{evidence.day_first_value}' (day first) and row {evidence.month_first_row} has "
            f"'{evidence.month_first_value}' (month first)",
            fix="export every date in one form (YYYY-MM-DD is safest) or pass the order with --date-format",
        )
    if day_first:
        return DateFormat.day_first
    if month_first:
        return DateFormat.month_first
    raise ImportRefusedError(
        f"the {field} column's dates could be day-first or month-first (no value has a day above 12, "
        "so 01/02/2025 could be 1 February or 2 January)",
        fix="export dates as YYYY-MM-DD, or say which it is with --date-format day-first|month-first",
    )


def _ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    full_year = pl.when(year.str.len_chars() == 2).then(pl.lit("20") + year).otherwise(year)
    return _calendar(
        pl.concat_str([full_year, month, day], separator="-").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    )


def _calendar(day: pl.Expr) -> pl.Expr:
    """`day` when its year is 1 to 9999, else null: Polars reads year 0, which no database or Python date holds."""
    return pl.when(day.dt.year().is_between(1, 9999)).then(day)


def _slashed(raw: pl.Expr, date_format: DateFormat) -> pl.Expr:
    first, second, year = (raw.str.extract(_SLASHED, i) for i in (1, 2, 3))
    if date_format is DateFormat.month_first:
        return _ymd(year, first, second)
    return _ymd(year, second, first)


def _iso(raw: pl.Expr) -> pl.Expr:
    return _ymd(raw.str.extract(_ISO, 1), raw.str.extract(_ISO, 2), raw.str.extract(_ISO, 3))


def parse_date(raw: pl.Expr, *, label: str, date_format: DateFormat) -> Parsed:
    """A calendar date in ISO form or in the file's slashed order."""
    value = pl.coalesce(_iso(raw), _slashed(raw, date_format))
    plain_value = _calendar(raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    return Parsed(
        value=value,
        error=_not_a(raw, value, label, "is not a date"),
        plain=raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        plain_value=plain_value,
        plain_error=_not_a(raw, plain_value, label, "is not a date"),
    )


def parse_month(raw: pl.Expr, *, label: str, date_format: DateFormat) -> Parsed:
    """A month as `2025-03`, `03/2025`, `Mar 2025`, or any date in it; the value is its first day."""
    iso_month = _ymd(raw.str.extract(_ISO_MONTH, 1), raw.str.extract(_ISO_MONTH, 2), pl.lit("1"))
    month_year = _ymd(raw.str.extract(_MONTH_YEAR, 2), raw.str.extract(_MONTH_YEAR, 1), pl.lit("1"))
    named = pl.concat_str(
        [pl.lit("1 "), raw.str.extract(_NAMED_MONTH, 1), pl.lit(" "), raw.str.extract(_NAMED_MONTH, 2)]
    ).str.strptime(pl.Date, "%d %B %Y", strict=False)
    day = pl.coalesce(_iso(raw), _slashed(raw, date_format))
    value = pl.coalesce(iso_month, month_year, named, day.dt.month_start())
    return Parsed(value=value, error=_not_a(raw, value, label, "is not a month (use 2025-03 or 03/2025)"))


def _not_a(raw: pl.Expr, value: pl.Expr, label: str, reason: str) -> pl.Expr:
    message = pl.concat_str([pl.lit(f"{label} '"), raw, pl.lit(f"' {reason}")])
    return pl.when(raw.is_not_null() & value.is_null()).then(message).otherwise(pl.lit(None, dtype=pl.String))
