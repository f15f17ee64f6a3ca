"""hvPlot charts of `db.queries` results; the tooltip shows the exact, locale-formatted figure."""

from __future__ import annotations

from datetime import date

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers the .hvplot accessor)
import pandas as pd
import panel as pn
from bokeh.models import NumeralTickFormatter

from dashboard.formatting import Formatter
from dashboard.views.notices import html_pane, skeleton_html
from db.queries import BreakdownRow

CHART_HEIGHT = 300
BAR_COLOUR = "#0072B5"
COMPACT_FORMAT = "0.[0]a"  # a new formatter per chart: Bokeh models belong to one document


def _frame(rows: list[BreakdownRow], fmt: Formatter, *, months: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [fmt.day(date.fromisoformat(r.key)) if months else r.key for r in rows],
            "day": [date.fromisoformat(r.key) for r in rows] if months else [None] * len(rows),
            # Floats only place the bars; every number a person reads is the exact text below.
            "revenue": [float(r.net_revenue) for r in rows],
            "exact": [fmt.money(r.net_revenue) for r in rows],
        }
    )


def _look(title: str) -> dict[str, object]:
    """What every Glance chart shares: size, colour, no axis titles, no shared axes."""
    return {
        "title": title,
        "height": CHART_HEIGHT,
        "responsive": True,
        "shared_axes": False,
        "color": BAR_COLOUR,
        "xlabel": "",
        "ylabel": "",
    }


def revenue_bars(rows: list[BreakdownRow], fmt: Formatter, *, title: str) -> hv.Element:
    """Net revenue by a dimension, largest first, as horizontal bars."""
    frame = _frame(rows, fmt, months=False).iloc[::-1]
    return frame.hvplot.barh(
        x="key",
        y="revenue",
        hover_cols=["exact"],
        xformatter=NumeralTickFormatter(format=COMPACT_FORMAT),
        **_look(title),
    ).opts(default_tools=["hover"], toolbar=None)


def revenue_trend(rows: list[BreakdownRow], fmt: Formatter, *, title: str) -> hv.Element:
    """Net revenue by day or month (ISO keys) as a line."""
    frame = _frame(rows, fmt, months=True)
    return frame.hvplot.line(
        x="day",
        y="revenue",
        hover_cols=["key", "exact"],
        yformatter=NumeralTickFormatter(format=COMPACT_FORMAT),
        **_look(title),
    ).opts(default_tools=["hover"], toolbar=None)


class Chart(pn.viewable.Viewer):
    """A chart slot: a loading note until the plot arrives, then the plot, swapped in place."""

    def __init__(self, *, loading_text: str) -> None:
        super().__init__()
        self._loading_text = loading_text
        self._note = html_pane(skeleton_html(loading_text))
        self._plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", css_classes=["glance-chart"])
        self._layout = pn.Column(self._note, sizing_mode="stretch_width")

    def loading(self) -> None:
        self.message(skeleton_html(self._loading_text))

    def show(self, plot: hv.Element) -> None:
        self._plot.object = plot
        self._layout.objects = [self._plot]

    def message(self, content: str) -> None:
        self._note.object = content
        self._layout.objects = [self._note]

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
