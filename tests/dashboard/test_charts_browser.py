"""The at-a-glance charts in a real browser for one day, no sales and two years (Debian's Chromium).

Bokeh draws axes on a canvas, so the checks read the figures from the browser's Bokeh document;
each test saves a screenshot under tests/artifacts/ to look at.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.served import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TIMEOUT_MS = 30_000
DAY_MS = 86_400_000
NO_SALES = "No sales in this period."
expect.set_options(timeout=TIMEOUT_MS)

# What a person would read off a figure: its x range, its date formats, its money labels, what is shaded.
FIGURE_JS = """
(title) => {
  for (const doc of Bokeh.documents) {
    for (const model of doc._all_models.values()) {
      if (model.type !== "Figure" || model.title?.text !== title) continue;
      const dates = model.below[0].formatter;
      const money = model.left[0];
      return {
        x: [model.x_range.start, model.x_range.end],
        y: [model.y_range.start, model.y_range.end],
        formatter: dates.type,
        days: dates.days,
        months: dates.months,
        ticker: money.ticker.type,
        labels: (money.ticker.ticks ?? []).map((tick) => money.major_label_overrides.get(tick)),
        shaded: model.renderers.filter((r) => r.type === "BoxAnnotation").map((r) => [r.left, r.right]),
      };
    }
  }
  return null;
}
"""


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest, page: Page) -> Iterator[None]:
    """Save what the browser showed at the end of each test."""
    page.set_default_timeout(TIMEOUT_MS)
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"charts-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def last_sale(stack: Stack) -> date:
    """The newest day with sales in the seeded demo data."""
    path = stack.env["GLANCE_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (day,) = db.execute("SELECT MAX(day) FROM sales_daily").fetchone()
    return date.fromisoformat(day)


def open_glance(page: Page, stack: Stack, start: date, end: date) -> None:
    """Sign in straight to the at-a-glance page for a custom period and wait for its cards."""
    page.goto(f"{stack.dashboard_url}/?page=glance&period=custom&from={start}&to={end}")
    page.fill("#username", "viewer")
    page.fill("#password", stack.passwords["viewer"])
    page.click("button[type=submit]")
    expect(page.locator(".cards[data-loaded]")).to_be_visible()


def trend_figure(page: Page) -> dict[str, Any]:
    """The revenue trend's figure, once the browser has drawn it."""
    expect(page.locator(".glance-chart:visible")).to_have_count(2)
    return page.wait_for_function(FIGURE_JS, arg="Revenue trend").json_value()


def epoch_ms(day: date) -> int:
    """A day as a Bokeh datetime axis measures it: milliseconds since 1970, midnight UTC."""
    return (day - date(1970, 1, 1)).days * DAY_MS


def assert_money_axis(figure: dict[str, Any]) -> None:
    """Fixed ticks from zero, every label in pounds and no two alike."""
    assert figure["ticker"] == "FixedTicker"
    assert figure["y"][0] == 0
    labels = figure["labels"]
    assert len(labels) >= 3
    assert all(label.startswith("£") for label in labels), labels
    assert len(set(labels)) == len(labels), labels


def test_one_day_shows_the_thirty_days_up_to_it_with_that_day_shaded(page: Page, stack: Stack, last_sale: date) -> None:
    open_glance(page, stack, last_sale, last_sale)

    figure = trend_figure(page)

    start, end = figure["x"]
    assert end - start == 30 * DAY_MS  # 30 days and half a day either side, not a second either side of one point
    assert (figure["formatter"], figure["days"]) == ("DatetimeTickFormatter", "%d %b")
    (shaded,) = figure["shaded"]
    assert shaded[1] - shaded[0] == DAY_MS
    assert_money_axis(figure)


def test_a_period_without_sales_says_so_in_place_of_both_charts(page: Page, stack: Stack) -> None:
    open_glance(page, stack, date(2001, 1, 1), date(2001, 1, 31))

    expect(page.get_by_text(NO_SALES, exact=True)).to_have_count(2)
    expect(page.locator(".glance-chart:visible")).to_have_count(0)
    assert page.evaluate(FIGURE_JS, "Revenue trend") is None


def test_two_years_are_drawn_month_by_month_with_nothing_shaded(page: Page, stack: Stack, last_sale: date) -> None:
    first = last_sale - timedelta(days=729)
    open_glance(page, stack, first, last_sale)

    figure = trend_figure(page)

    start, end = figure["x"]
    assert start <= epoch_ms(first) and end >= epoch_ms(last_sale)  # the whole period, not just where data is
    assert (figure["formatter"], figure["months"]) == ("DatetimeTickFormatter", "%b %Y")
    assert figure["shaded"] == []
    assert_money_axis(figure)
