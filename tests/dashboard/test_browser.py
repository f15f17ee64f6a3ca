"""The dashboard in a real browser (Debian's Chromium via Playwright), served as in production.

Each test saves a screenshot under tests/artifacts/ so a failure can be looked at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from dashboard.assets import asset_url, assets
from tests.dashboard.served import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # the CI box is shared; waiting is not a performance claim


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions seen by the page."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(TIMEOUT_MS)
    return errors


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest, page: Page) -> Iterator[None]:
    """Save what the browser showed at the end of each test."""
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def log_in(page: Page, stack: Stack, username: str, path: str = "/") -> None:
    """Sign in through /login and wait for the app to be there."""
    page.goto(f"{stack.dashboard_url}{path}")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", username)
    page.fill("#password", stack.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator(".user-card")).to_be_visible(timeout=TIMEOUT_MS)


def column(page: Page, heading: str = "Name", table_index: int = 0) -> list[str]:
    """The texts of one column of the n-th Tabulator on the page."""
    table = page.locator(".tabulator").nth(table_index)
    return table.locator(f'.tabulator-row .tabulator-cell[tabulator-field="{heading}"]').all_inner_texts()


def test_a_wrong_password_is_refused_and_the_page_stays_private(
    page: Page, stack: Stack, console_errors: list[str]
) -> None:
    page.goto(f"{stack.dashboard_url}/login")
    page.fill("#username", "admin")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")

    expect(page.locator(".error")).to_have_text("Wrong username or password.")
    page.goto(stack.dashboard_url)
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_every_page_renders_without_console_errors(page: Page, stack: Stack, console_errors: list[str]) -> None:
    log_in(page, stack, "admin")
    expect(page.locator(".cards[data-loaded]")).to_be_visible()

    for name, marker in [
        ("Sales", ".tabulator-row"),
        ("P&L", ".tabulator-row"),
        ("Imports", "input[type=file]"),
        ("Ops", "text=What each part runs"),
        ("Profile", "text=Member since"),
        ("At a glance", ".cards[data-loaded]"),
    ]:
        page.get_by_role("button", name=name, exact=True).click()
        expect(page.locator(marker).first).to_be_visible()

    page.wait_for_timeout(500)
    assert console_errors == []


def test_banner_and_kpis_equal_glance_report_for_the_same_period(page: Page, stack: Stack) -> None:
    log_in(page, stack, "admin")
    expect(page.locator(".cards[data-loaded]")).to_be_visible()

    report = json.loads(stack.glance("report", "kpis", "--period", "mtd", "--format", "json").stdout)

    expect(page.locator(".banner .headline")).to_have_text(report["headline"])
    values = {row["key"]: row["value"] for row in report["rows"]}
    exact = {
        "net_revenue": f"£{Decimal(values['net_revenue']):,.2f}",
        "gross_margin": f"£{Decimal(values['gross_margin']):,.2f}",
        "orders": f"{int(Decimal(values['orders'])):,}",
    }
    for metric, text in exact.items():
        expect(page.locator(f'.card[data-metric="{metric}"] .value')).to_have_attribute("title", text)


def test_clicking_a_territory_filters_the_sales_page_and_the_url_reopens_that_view(page: Page, stack: Stack) -> None:
    log_in(page, stack, "admin", "/?page=sales")
    expect(page.locator(".tabulator-row").first).to_be_visible()
    territories = column(page)
    chosen = territories[1]  # the second-largest territory, so the choice is not the default order's first

    page.locator(".tabulator").first.locator(
        '.tabulator-cell[tabulator-field="Name"]', has_text=re.compile(f"^{chosen}$")
    ).click()

    expect(page).to_have_url(re.compile(f"territory={chosen}"))
    expect(page.locator(".tabulator").first.locator(".tabulator-row")).to_have_count(2)
    assert column(page) == [chosen, "Total"]
    filtered_url = page.url

    other = page.context.new_page()
    other.goto(filtered_url)
    expect(other.locator(".tabulator").first.locator(".tabulator-row")).to_have_count(2)
    assert column(other) == [chosen, "Total"]
    expect(other.get_by_role("combobox", name="Territory")).to_have_value(chosen)
    other.close()


def test_a_url_with_filters_opens_the_pnl_for_that_territory_and_period(page: Page, stack: Stack) -> None:
    log_in(page, stack, "admin", "/?page=pnl&period=ytd&territory=DE")

    expect(page.locator(".tabulator").first.locator(".tabulator-row")).to_have_count(2)
    assert column(page) == ["DE", "Total"]
    report = json.loads(
        stack.glance("report", "kpis", "--period", "ytd", "--territory", "DE", "--format", "json").stdout
    )
    revenue = next(row["value"] for row in report["rows"] if row["key"] == "net_revenue")
    assert column(page, "Net revenue")[-1] == f"£{Decimal(revenue):,.2f}"


def test_an_upload_with_one_bad_row_shows_the_report_and_the_rejected_row(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    upload = tmp_path / "shop-sales.csv"
    upload.write_text(
        "Order,Date,Region,Qty,Revenue\n"
        "WEB-1,2025-01-03,UK,2,20.00\n"
        "WEB-2,2025-01-04,DE,lots,30.00\n"
        "WEB-3,2025-01-05,FR,1,15.50\n",
        encoding="utf-8",
    )
    log_in(page, stack, "admin", "/?page=imports")
    page.locator("input[type=file]").set_input_files(str(upload))
    pickers = page.locator("select")
    expect(pickers.nth(3)).to_be_visible()  # kind, then one picker per field once the header is read
    for field, column in {
        "order_id": "Order",
        "order_date": "Date",
        "territory": "Region",
        "units": "Qty",
        "net_revenue": "Revenue",
    }.items():
        page.locator(
            ".bk-input-group", has=page.locator(f"label:text-is('{field} *'), label:text-is('{field}')")
        ).locator("select").select_option(column)

    page.get_by_role("button", name="Upload").click()

    report = page.locator("[data-run]")
    expect(report).to_contain_text("2 inserted", timeout=60_000)
    expect(report).to_contain_text("1 rejected")
    rejected = page.locator(".tabulator").nth(0)
    expect(rejected.locator(".tabulator-row")).to_have_count(1)
    expect(rejected.locator(".tabulator-row")).to_contain_text("units")
    expect(rejected.locator(".tabulator-row")).to_contain_text("lots")
    expect(page.get_by_role("button", name="Download rejected rows (CSV)")).to_be_visible()


@pytest.mark.parametrize("restricted", ["imports", "ops"])
def test_a_viewer_cannot_reach_imports_or_ops_even_by_url(page: Page, stack: Stack, restricted: str) -> None:
    log_in(page, stack, "viewer", f"/?page={restricted}")

    expect(page.locator(".notice.error")).to_contain_text("cannot open")
    expect(page).to_have_url(re.compile(r"page=glance"))
    expect(page.get_by_role("button", name="Imports", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Ops", exact=True)).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)


def test_logging_out_ends_the_session(page: Page, stack: Stack) -> None:
    log_in(page, stack, "viewer")

    page.get_by_role("link", name="Log out").click()

    expect(page.locator("h1")).to_have_text("You are signed out.")
    page.goto(stack.dashboard_url)
    expect(page).to_have_url(re.compile(r"/login"))


def test_back_returns_to_the_previous_page(page: Page, stack: Stack) -> None:
    log_in(page, stack, "viewer")
    expect(page.locator(".cards[data-loaded]")).to_be_visible()
    page.get_by_role("button", name="P&L", exact=True).click()
    expect(page).to_have_url(re.compile(r"page=pnl"))
    expect(page.locator(".tabulator-row").first).to_be_visible()

    page.go_back()

    expect(page.locator(".cards[data-loaded]")).to_be_visible()
    expect(page.locator(".tabulator-row")).to_have_count(0)


def test_pages_opened_in_quick_succession_all_fill_in(page: Page, stack: Stack, console_errors: list[str]) -> None:
    log_in(page, stack, "viewer")

    for name in ["Sales", "P&L", "At a glance", "Sales", "P&L"]:  # each click before the last page finished loading
        page.get_by_role("button", name=name, exact=True).click()

    expect(page).to_have_url(re.compile(r"page=pnl"))
    tables = page.locator(".tabulator:visible")  # the pages visited before stay in the document, hidden
    for table in range(4):  # by territory, by month, opex, budget
        expect(tables.nth(table).locator(".tabulator-row").first).to_be_visible()
    expect(tables.first.locator(".tabulator-row").last).to_contain_text("Total")
    page.get_by_role("button", name="Sales", exact=True).click()
    expect(tables.first.locator(".tabulator-row").first).to_be_visible()
    page.get_by_role("button", name="At a glance", exact=True).click()
    expect(page.locator(".cards[data-loaded]")).to_be_visible()
    expect(page.locator(".glance-chart:visible")).to_have_count(2)
    assert console_errors == []


def test_a_language_chosen_on_the_profile_applies_at_once_and_after_signing_in_again(page: Page, stack: Stack) -> None:
    added = stack.glance("users", "add", "lan", "--role", "viewer", "--display-name", "Lan").stdout
    stack.passwords["lan"] = added.strip().splitlines()[-1]  # generated and printed once
    log_in(page, stack, "lan", "/?page=profile")  # an English (en-GB) browser
    expect(page.get_by_role("button", name="Profile", exact=True)).to_be_visible()

    page.get_by_role("combobox", name="Language").select_option(label="Tiếng Việt")

    expect(page.get_by_role("button", name="Hồ sơ", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Ngôn ngữ")).to_have_value("Tiếng Việt")
    expect(page).to_have_url(re.compile(r"page=profile"))
    page.get_by_role("link", name="Đăng xuất").click()
    expect(page.locator("h1")).to_have_text("You are signed out.")  # before sign-in, the browser's language
    log_in(page, stack, "lan")
    expect(page.get_by_role("button", name="Tổng quan", exact=True)).to_be_visible()
    expect(page.locator(".cards[data-loaded]")).to_contain_text("Doanh thu thuần")


def test_static_files_are_served_under_their_content_hash_and_cached_for_good(page: Page, stack: Stack) -> None:
    found = assets()["glance.css"]

    hashed = httpx.get(f"{stack.dashboard_url}{asset_url('glance.css')}")
    plain = httpx.get(f"{stack.dashboard_url}/assets/glance.css")

    assert hashed.status_code == 200
    assert hashed.content == found.path.read_bytes()
    assert "immutable" in hashed.headers["Cache-Control"]
    assert plain.status_code == 404
