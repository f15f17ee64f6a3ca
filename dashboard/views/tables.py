"""Tabulator tables of `db.queries` rows, every figure formatted exactly for the locale."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import panel as pn

from dashboard.formatting import Formatter
from dashboard.text import Translator


_NUMERIC = ("money", "count", "percent")


@dataclass(frozen=True)
class Column:
    """One table column: the attribute it reads, its heading key and how its value is shown."""

    attr: str
    kind: str  # text, money, count, percent, month, date

    def render(self, row: object, fmt: Formatter) -> str:
        value = getattr(row, self.attr)
        match self.kind:
            case "money":
                return fmt.money(value)
            case "count":
                return fmt.count(value)
            case "percent":
                return fmt.percent(value)
            case "month":
                return fmt.month(value) if value != "total" else value
            case "date":
                return fmt.day(value)
            case _:
                return "" if value is None else str(value)


def headings(columns: Sequence[Column], tr: Translator) -> list[str]:
    """The translated column headings."""
    return [tr(f"col.{c.attr}") for c in columns]


def table_frame(rows: Sequence[object], columns: Sequence[Column], tr: Translator, fmt: Formatter) -> pd.DataFrame:
    """Rows as display text under translated headings (the order from `db.queries` is kept)."""
    return pd.DataFrame({name: [c.render(r, fmt) for r in rows] for name, c in zip(headings(columns, tr), columns, strict=True)})


def fill_table(
    table: pn.widgets.Tabulator, rows: Sequence[object], columns: Sequence[Column], tr: Translator, fmt: Formatter
) -> None:
    """Put rows in a table, numbers right-aligned so their digits line up."""
    table.value = table_frame(rows, columns, tr, fmt)


def csv_text(rows: Sequence[object], attrs: Sequence[str]) -> io.StringIO:
    """Rows as CSV with exact machine-readable values (decimal strings, ISO dates)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(attrs)
    for row in rows:
        writer.writerow([_plain(getattr(row, a)) for a in attrs])
    out.seek(0)
    return out


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else str(value)


def make_table(
    columns: Sequence[Column], tr: Translator, *, on_click: Callable[[int], None] | None = None, page_size: int | None = None
) -> pn.widgets.Tabulator:
    """A read-only table with its columns from the start; rows keep the order `db.queries` gives.

    Filling only ever changes rows: changing a Tabulator's columns while the browser is still
    building it fails there ("Cannot read properties of null").
    """
    names = headings(columns, tr)
    table = pn.widgets.Tabulator(
        pd.DataFrame({name: pd.Series(dtype=str) for name in names}),
        text_align={name: "right" for name, c in zip(names, columns, strict=True) if c.kind in _NUMERIC},
        show_index=False,
        disabled=True,
        sizing_mode="stretch_width",
        layout="fit_data_stretch",
        pagination="local" if page_size else None,
        page_size=page_size or 20,
        configuration={"columnDefaults": {"headerSort": False}},
        selectable=False,
    )
    if on_click is not None:
        table.on_click(lambda event: on_click(event.row))
    return table
