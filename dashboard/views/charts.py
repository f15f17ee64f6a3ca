"""HoloViews charts of `db.queries` results, readable for any number of points.

Money axes are labelled with the Formatter's compact money (the same text as the KPI cards) on
ticks chosen here, from zero; a tooltip shows the exact figure. Nothing to draw is a message,
never an empty plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers the .hvplot accessor and loads the Bokeh backend)
import pandas as pd
import panel as pn
from bokeh.models import DatetimeTickFormatter

from dashboard.formatting import Formatter
from dashboard.store import Trend
from dashboard.views.notices import html_pane, notice_html, skeleton_html
from db.dates import month_start
from db.queries import BreakdownRow, Dimension

CHART_HEIGHT = 300
BAR_COLOUR = "#0072B5"
HIGHLIGHT_COLOUR = "#F0B429"
MONEY_TICKS = 5
"""About how many steps a money axis is cut into; each step is 1, 2 or 5 times a power of ten."""
MIN_MONEY_SPAN = Decimal(10)
"""The least a money axis spans, so that even a currency without minor units gets distinct labels."""
TOOLTIP = "<b>@{label}</b><br>@{exact}"
QUIET: dict[str, Any] = {"toolbar": None, "default_tools": []}
"""No toolbar, pan or zoom: the ticks are fixed, and a page of figures is not for exploring."""
HALF_DAY = pd.Timedelta(hours=12)
HALF_MONTH = pd.Timedelta(days=16)


def money_ticks(values: Sequence[Decimal], fmt: Formatter) -> list[tuple[float, str]]:
    """Evenly spaced ticks from zero (or the lowest value) past the highest, each labelled as compact money."""
    low, high = min([*values, Decimal(0)]), max([*values, Decimal(0)])
    high = max(high, low + MIN_MONEY_SPAN)
    step = _nice_step((high - low) / MONEY_TICKS)
    first = int((low / step).to_integral_value(rounding=ROUND_FLOOR))
    last = int((high / step).to_integral_value(rounding=ROUND_CEILING))
    return [(float(step * i), fmt.money_axis(step * i)) for i in range(first, last + 1)]


def _nice_step(rough: Decimal) -> Decimal:
    power = Decimal(10) ** rough.adjusted()
    return next(power * mantissa for mantissa in (1, 2, 5, 10) if power * mantissa >= rough)


def _ends(ticks: list[tuple[float, str]]) -> tuple[float, float]:
    return ticks[0][0], ticks[-1][0]


def _place(day: date, *, monthly: bool) -> pd.Timestamp:
    """Where a day's figure sits on a time axis: on the day, or on the first of its month."""
    return pd.Timestamp(month_start(day) if monthly else day)


def _look(title: str) -> dict[str, object]:
    """What every Glance chart shares: size, no axis titles, no shared axes."""
    return {
        "title": title,
        "height": CHART_HEIGHT,
        "responsive": True,
        "shared_axes": False,
        "xlabel": "",
        "ylabel": "",
    }


def revenue_bars(rows: Sequence[BreakdownRow], fmt: Formatter, *, title: str) -> hv.Bars | None:
    """Net revenue by a dimension, largest first, as horizontal bars; None when there are no rows."""
    if not rows:
        return None
    frame = pd.DataFrame(
        {
            "key": [r.key for r in rows],
            # Floats only place the bars; every number a person reads is the exact text below.
            "revenue": [float(r.net_revenue) for r in rows],
            "label": [r.key for r in rows],
            "exact": [fmt.money(r.net_revenue) for r in rows],
        }
    ).iloc[::-1]
    ticks = money_ticks([r.net_revenue for r in rows], fmt)
    # Horizontal bars: `ylim` is the revenue dimension's range, `xticks` the axis it is drawn along.
    bars = frame.hvplot.barh(
        x="key",
        y="revenue",
        hover_cols=["label", "exact"],
        color=BAR_COLOUR,
        ylim=_ends(ticks),
        xticks=ticks,
        **_look(title),
    )
    return bars.opts(**QUIET, tools=["hover"], hover_tooltips=TOOLTIP)


def revenue_trend(trend: Trend, fmt: Formatter, *, title: str) -> hv.Overlay | None:
    """Net revenue per day or month over the trend's window, the chosen period shaded; None without sales in it."""
    period, sales = trend.period, trend.sales
    monthly = sales.by is Dimension.MONTH
    places = [_place(date.fromisoformat(r.key), monthly=monthly) for r in sales.rows]
    # The days before a short period are only context: with no sales in the period itself, say so.
    if not any(_place(period.start, monthly=monthly) <= place <= pd.Timestamp(period.end) for place in places):
        return None
    frame = pd.DataFrame(
        {
            "day": places,
            "revenue": [float(r.net_revenue) for r in sales.rows],
            "label": [fmt.month(r.key) if monthly else fmt.day(date.fromisoformat(r.key)) for r in sales.rows],
            "exact": [fmt.money(r.net_revenue) for r in sales.rows],
        }
    )
    # The x range is the window, not the data: a single point still sits in a span of days.
    pad = HALF_MONTH if monthly else HALF_DAY
    xlim = (_place(sales.start, monthly=monthly) - pad, _place(sales.end, monthly=monthly) + pad)
    ticks = money_ticks([r.net_revenue for r in sales.rows], fmt)
    layers: list[hv.Element] = []
    if sales.start < period.start:
        span = hv.VSpan(pd.Timestamp(period.start) - HALF_DAY, pd.Timestamp(period.end) + HALF_DAY)
        layers.append(span.opts(color=HIGHLIGHT_COLOUR, alpha=0.25, **QUIET))
    layers.append(hv.Curve(frame, "day", "revenue").opts(color=BAR_COLOUR, **QUIET))
    # Points as well as the line: a single day or month is a dot, not an invisible line of length zero.
    points = hv.Scatter(frame, "day", ["revenue", "label", "exact"])
    layers.append(points.opts(color=BAR_COLOUR, size=6, **QUIET, tools=["hover"], hover_tooltips=TOOLTIP))
    return hv.Overlay(layers).opts(
        hv.opts.Overlay(
            xlim=xlim, ylim=_ends(ticks), yticks=ticks, xformatter=_date_formatter(), **_look(title), **QUIET
        )
    )


def _date_formatter() -> DatetimeTickFormatter:
    """Dates on a time axis: days as '05 Mar', months as 'Mar 2025', never times of day.

    A new formatter per chart: Bokeh models belong to one document.
    """
    return DatetimeTickFormatter(days="%d %b", months="%b %Y", years="%Y")


class Chart(pn.viewable.Viewer):
    """A chart slot: a loading note until the plot arrives, then the plot (or a message), swapped in place."""

    def __init__(self, *, loading_text: str, empty_text: str) -> None:
        super().__init__()
        self._loading_text = loading_text
        self._empty_text = empty_text
        self._note = html_pane(skeleton_html(loading_text))
        self._plot = pn.pane.HoloViews(None, sizing_mode="stretch_width", css_classes=["glance-chart"])
        self._layout = pn.Column(self._note, sizing_mode="stretch_width")

    def loading(self) -> None:
        self.message(skeleton_html(self._loading_text))

    def fill(self, plot: hv.Element | None) -> None:
        """Show the plot, or say there is nothing to draw (a chart builder's None)."""
        if plot is None:
            self.message(notice_html(self._empty_text))
            return
        self._plot.object = plot
        self._layout.objects = [self._plot]

    def message(self, content: str) -> None:
        self._note.object = content
        self._layout.objects = [self._note]

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
