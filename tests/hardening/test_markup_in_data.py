"""Names from imported files are shown as text in the dashboard: HTML and script in a territory never run."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.hardening.conftest import ARTIFACTS, Served

pytestmark = [pytest.mark.slow, pytest.mark.browser]
HOSTILE = [
    '<img src=x onerror="window.__glance_xss=1">',
    "<script>window.__glance_xss=2</script>",
    '"><svg onload="window.__glance_xss=3">',
]
TIMEOUT_MS = 30_000


def test_html_in_imported_names_is_shown_as_text_and_never_runs(served: Served, browser: Browser) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["external_id", "order_id", "order_date", "territory", "channel", "category", "product", "units", "net_revenue"]
    )
    for n, name in enumerate(HOSTILE):
        writer.writerow([f"X{n}", f"XO{n}", date.today().isoformat(), name, "Online", "Hats", "P", "1", "99999.00"])
    body = buffer.getvalue()
    uploaded = httpx.post(
        f"{served.sync_url}/api/v1/imports/sales",
        headers=served.bearer("analyst"),
        files={"file": ("hostile.csv", body.encode(), "text/csv")},
        data={"source": "hostile"},
        timeout=120,
    )
    assert uploaded.status_code == 200 and uploaded.json()["inserted"] == len(HOSTILE), uploaded.text
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{served.dashboard_url}/?page=sales")
        expect(page).to_have_url(re.compile(r"/login"))
        page.fill("#username", "viewer")
        page.fill("#password", served.passwords["viewer"])
        page.click("button[type=submit]")
        expect(page.locator(".user-card")).to_be_visible()
        expect(page.locator(".tabulator-cell", has_text=HOSTILE[1]).first).to_be_visible()  # the name, shown literally
        for key in ("glance", "pnl"):
            page.goto(f"{served.dashboard_url}/?page={key}")
            expect(page.locator(".glance.footer")).to_be_visible()
        page.wait_for_timeout(1000)
        assert page.evaluate("window.__glance_xss") is None
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "hardening-markup-in-data.png"), full_page=True)
        context.close()
