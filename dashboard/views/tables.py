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
from dashboard.views.notices import html_pane, skeleton_html

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
    return pd.DataFrame(
        {
            name: pd.Series([c.render(r, fmt) for r in rows], dtype=str)
            for name, c in zip(headings(columns, tr), columns, strict=True)
        }
    )


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


class Table(pn.viewable.Viewer):
    """A table slot: a loading note (if given) until rows arrive, then a read-only Tabulator made with those rows.

    Every fill makes a new Tabulator, created with its rows, and swaps it in place of the previous
    one. Panel's Tabulator drops data sent while the browser is still building it, so filling a
    table the browser has only just received (a page opened before another finished loading) could
    leave it empty. A table that is born with its rows, and never changed afterwards, cannot lose them.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        tr: Translator,
        fmt: Formatter,
        *,
        loading_text: str,
        on_click: Callable[[int], None] | None = None,
        page_size: int | None = None,
    ) -> None:
        super().__init__()
        self._columns = tuple(columns)
        self._tr = tr
        self._fmt = fmt
        self._on_click = on_click
        self._page_size = page_size
        self.value = table_frame([], self._columns, tr, fmt)
        """The rows shown, as display text under translated headings."""
        placeholder = [html_pane(skeleton_html(loading_text))] if loading_text else []
        self._layout = pn.Column(*placeholder, sizing_mode="stretch_width")

    def fill(self, rows: Sequence[object]) -> None:
        """Show these rows (in the order given), numbers right-aligned so their digits line up."""
        self.value = table_frame(rows, self._columns, self._tr, self._fmt)
        self._layout.objects = [self._tabulator(self.value)]

    def _tabulator(self, frame: pd.DataFrame) -> pn.widgets.Tabulator:
        names = headings(self._columns, self._tr)
        table = pn.widgets.Tabulator(
            frame,
            text_align={name: "right" for name, c in zip(names, self._columns, strict=True) if c.kind in _NUMERIC},
            show_index=False,
            disabled=True,
            sizing_mode="stretch_width",
            # Columns as wide as their data; the last one is not stretched across the page, which
            # pushed the final figure (operating profit, the verdict) far from its label.
            layout="fit_data_fill",
            pagination="local" if self._page_size else None,
            page_size=self._page_size or 20,
            configuration={"columnDefaults": {"headerSort": False}},
            selectable=False,
        )
        if self._on_click is not None:
            on_click = self._on_click
            table.on_click(lambda event: on_click(event.row))
        return table

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
