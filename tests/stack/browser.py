"""The dashboard as a person sees it: headless Chromium logged in, reading the sales page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from babel import Locale
from playwright.sync_api import Page, expect, sync_playwright

from dashboard.formatting import Formatter
from tests.stack.harness import Stack

VIEWER = "stackviewer"
# The imported file covers the first quarter of 2025; the default period (month to date) would not.
SALES_PAGE = "/?page=sales&period=custom&from=2025-01-01&to=2025-03-31"


def chromium_or_skip() -> str:
    """The system Chromium (CI installs Debian's), or skip the test saying how to get it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return chromium


@contextmanager
def logged_in(stack: Stack, *, password: str, screenshot: Path) -> Iterator[Page]:
    """A browser page logged in to the dashboard as the viewer; a screenshot is saved at the end."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_or_skip(), args=["--no-sandbox"])
        page = browser.new_page(locale="en-GB")
        try:
            page.goto(stack.dashboard_url + "/login")
            page.fill("#username", VIEWER)
            page.fill("#password", password)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/login" not in url)
            yield page
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            browser.close()


def expect_revenue_rows(page: Page, stack: Stack, revenue_by_key: dict[str, Decimal]) -> None:
    """The sales page shows one row per key with that key's exact net revenue."""
    money = Formatter(locale=Locale.parse("en_GB"), currency="GBP").money
    page.goto(stack.dashboard_url + SALES_PAGE)
    for key, revenue in revenue_by_key.items():
        row = page.get_by_role("row").filter(has=page.get_by_role("gridcell", name=key, exact=True))
        expect(row.first).to_contain_text(money(revenue), timeout=60_000)
