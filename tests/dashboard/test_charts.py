"""Charts as Bokeh models: readable axes and a clear message for any number of points (SQLite and Postgres)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import holoviews as hv
import pandas as pd
import pytest
from babel import Locale
from bokeh.models import BoxAnnotation, DatetimeTickFormatter, FixedTicker, GlyphRenderer, Plot
from sqlmodel import Session

from dashboard.formatting import Formatter
from dashboard.store import DataStore, Trend
from dashboard.views.charts import Chart, money_ticks, revenue_bars, revenue_trend
from db.queries import Breakdown, BreakdownRow, Dimension, Period, PeriodName

GBP = Formatter(locale=Locale.parse("en_GB"), currency="GBP")
NO_SALES = "No sales in this period."


def row(key: str, revenue: str) -> BreakdownRow:
    """A breakdown row with just a key and its net revenue."""
    return BreakdownRow(key=key, net_revenue=Decimal(revenue), cogs=Decimal(0), units=1, orders=1)


def one_point_trend() -> Trend:
    """The month-to-date trend on 1 March when the only sale in its 30-day window is that day's."""
    sales = Breakdown(
        by=Dimension.DAY,
        start=date(2025, 1, 31),
        end=date(2025, 3, 1),
        rows=(row("2025-03-01", "8200.00"),),
        total=row("total", "8200.00"),
    )
    return Trend(period=Period(date(2025, 3, 1), date(2025, 3, 1), PeriodName.MTD), sales=sales)


def figure(plot: hv.Element) -> Plot:
    """The Bokeh figure a chart becomes in the browser."""
    return hv.render(plot, backend="bokeh")


def points(fig: Plot) -> dict[str, list[object]]:
    """The data behind the points or bars (the glyph that carries the tooltip's columns)."""
    source = next(
        r.data_source for r in fig.renderers if isinstance(r, GlyphRenderer) and "exact" in r.data_source.data
    )
    return {name: list(values) for name, values in source.data.items()}


def money_labels(fig: Plot, axis: str) -> list[str]:
    """The money axis's tick labels, bottom to top (or left to right)."""
    ruler = fig.yaxis[0] if axis == "y" else fig.xaxis[0]
    assert isinstance(ruler.ticker, FixedTicker)
    return [ruler.major_label_overrides[tick] for tick in ruler.ticker.ticks]


def choose(store: DataStore, start: date, end: date) -> None:
    store.param.update(period=PeriodName.CUSTOM.value, start=start, end=end)


def test_one_day_is_drawn_among_the_thirty_days_before_it_with_that_day_shaded(store: DataStore, shop: Session) -> None:
    choose(store, date(2025, 1, 12), date(2025, 1, 12))

    fig = figure(revenue_trend(store.trend(), GBP, title="Revenue trend"))

    assert (fig.x_range.start, fig.x_range.end) == (datetime(2024, 12, 13, 12), datetime(2025, 1, 12, 12))
    assert points(fig)["label"] == ["5 Jan 2025", "8 Jan 2025", "12 Jan 2025"]  # 10 Dec is before the window
    shaded = [r for r in fig.renderers if isinstance(r, BoxAnnotation)]
    assert [(s.left, s.right) for s in shaded] == [(datetime(2025, 1, 11, 12), datetime(2025, 1, 12, 12))]
    formatter = fig.xaxis[0].formatter
    assert isinstance(formatter, DatetimeTickFormatter)
    assert (formatter.days, formatter.months) == ("%d %b", "%b %Y")


def test_a_single_point_has_days_on_its_axis_and_distinct_money_labels_from_zero() -> None:
    fig = figure(revenue_trend(one_point_trend(), GBP, title="Revenue trend"))

    assert fig.x_range.end - fig.x_range.start == pd.Timedelta(days=30)
    assert (fig.y_range.start, fig.y_range.end) == (0, 10_000)
    labels = money_labels(fig, "y")
    assert labels == ["£0", "£2K", "£4K", "£6K", "£8K", "£10K"]


def test_the_tooltip_shows_the_exact_figure_and_the_day() -> None:
    fig = figure(revenue_trend(one_point_trend(), GBP, title="Revenue trend"))

    data = points(fig)
    assert (data["label"], data["exact"]) == (["1 Mar 2025"], ["£8,200.00"])
    (hover,) = fig.tools
    assert hover.tooltips == "<b>@{label}</b><br>@{exact}"


def test_a_period_without_sales_says_so_instead_of_drawing(store: DataStore, shop: Session) -> None:
    choose(store, date(2024, 6, 1), date(2024, 6, 30))
    trend_chart = Chart(loading_text="Loading…", empty_text=NO_SALES)
    bars_chart = Chart(loading_text="Loading…", empty_text=NO_SALES)

    trend_chart.fill(revenue_trend(store.trend(), GBP, title="Revenue trend"))
    bars_chart.fill(revenue_bars(store.sales(Dimension.TERRITORY).rows, GBP, title="Revenue by territory"))

    for chart in (trend_chart, bars_chart):
        (shown,) = chart._layout.objects
        assert NO_SALES in shown.object
        assert chart._plot not in chart._layout.objects


def test_a_quiet_period_after_busy_days_says_no_sales_rather_than_showing_only_the_days_before(
    store: DataStore, shop: Session
) -> None:
    choose(store, date(2025, 1, 15), date(2025, 1, 16))  # sales on 5, 8 and 12 January are in its window

    assert revenue_trend(store.trend(), GBP, title="Revenue trend") is None


def test_a_two_year_period_is_drawn_by_month_with_nothing_shaded(store: DataStore, shop: Session) -> None:
    choose(store, date(2023, 2, 1), date(2025, 1, 20))

    trend = store.trend()
    fig = figure(revenue_trend(trend, GBP, title="Revenue trend"))

    assert trend.sales.by is Dimension.MONTH
    assert (fig.x_range.start, fig.x_range.end) == (datetime(2023, 1, 16), datetime(2025, 1, 17))
    assert points(fig)["label"] == ["Dec 2024", "Jan 2025"]
    assert not [r for r in fig.renderers if isinstance(r, BoxAnnotation)]
    assert fig.xaxis[0].formatter.months == "%b %Y"
    assert money_labels(fig, "y") == ["£0", "£500", "£1K", "£1.5K", "£2K", "£2.5K"]


def test_bars_with_one_category_start_at_zero_with_money_labels() -> None:
    fig = figure(revenue_bars([row("UK", "1234.50")], GBP, title="Revenue by territory"))

    assert list(fig.y_range.factors) == ["UK"]
    assert (fig.x_range.start, fig.x_range.end) == (0, 1500)
    assert money_labels(fig, "x") == ["£0", "£500", "£1K", "£1.5K"]
    assert points(fig)["exact"] == ["£1,234.50"]


@pytest.mark.parametrize(
    "values",
    [[], ["0"], ["3.50"], ["999"], ["8200"], ["1049999"], ["99999999"], ["-300", "1200"], ["-5000"]],
)
@pytest.mark.parametrize("fmt", [GBP, Formatter(locale=Locale.parse("vi_VN"), currency="VND")], ids=["gbp", "vnd"])
def test_money_axis_labels_are_distinct_and_cover_zero_and_every_value(values: list[str], fmt: Formatter) -> None:
    figures = [Decimal(v) for v in values]

    ticks = money_ticks(figures, fmt)

    positions, labels = [t[0] for t in ticks], [t[1] for t in ticks]
    assert len(set(labels)) == len(labels)
    assert 0 in positions
    assert positions[0] <= min(figures, default=0) and positions[-1] >= max(figures, default=0)
    assert 3 <= len(ticks) <= 7
