"""Territory scopes and "view as" in a real browser (Debian's Chromium), served as in production.

The demo data sells in 14 territories; Irene may see Ireland (IE) only. Panel renders inside
shadow roots, so every check goes through Playwright locators, which look inside them; the
territory chart is drawn on a canvas, so its bars are read from the browser's Bokeh document.
Each test saves a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.pages.registry import pages_for
from db.scope import Scope
from services.auth import Role
from tests.dashboard.served import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # the CI box is shared; waiting is not a performance claim
OTHER_TERRITORY = re.compile(r"\b(UK|DE|FR|ES|NL|BE|PT|SE|NO|DK|PL|CH)\b")
"""Every demo territory but Ireland, as a whole word (IT is left out: it is also an expense category)."""
BARS_JS = """
(title) => {
  for (const doc of Bokeh.documents) {
    for (const model of doc._all_models.values()) {
      if (model.type === "Figure" && model.title?.text === title) return model.y_range.factors;
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
    page.screenshot(path=str(ARTIFACTS / f"scopes-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def irene(stack: Stack) -> str:
    """A viewer who may see Ireland only."""
    stack.add_user("irene", role=Role.viewer, scope=Scope.only(["IE"]))
    return "irene"


def sign_in(page: Page, stack: Stack, username: str, path: str = "/") -> None:
    """Sign in through /login and wait for the app to be there."""
    page.goto(f"{stack.dashboard_url}{path}")
    page.fill("#username", username)
    page.fill("#password", stack.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator(".user-card")).to_be_visible()


def open_page(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def names(page: Page) -> list[str]:
    """The Name column of the first table on screen."""
    table = page.locator(".tabulator:visible").first
    return table.locator('.tabulator-row .tabulator-cell[tabulator-field="Name"]').all_inner_texts()


def test_a_user_of_one_territory_sees_it_and_no_other_on_glance_sales_and_pnl(
    page: Page, stack: Stack, irene: str
) -> None:
    sign_in(page, stack, irene)
    expect(page.locator(".user-card")).to_contain_text("Territories: IE")
    expect(page.locator(".cards[data-loaded]")).to_be_visible()
    expect(page.locator(".glance-chart:visible")).to_have_count(2)
    assert page.wait_for_function(BARS_JS, arg="Revenue by territory").json_value() == ["IE"]
    expect(page.get_by_role("combobox", name="Territory").locator("option")).to_have_text(["All territories", "IE"])
    expect(page.get_by_text(OTHER_TERRITORY)).to_have_count(0)

    open_page(page, "Sales")
    expect(page.locator(".tabulator:visible").first.locator(".tabulator-row")).to_have_count(2)
    assert names(page) == ["IE", "Total"]
    expect(page.locator(".tabulator:visible").nth(1).locator(".tabulator-row").first).to_be_visible()  # products
    expect(page.get_by_text(OTHER_TERRITORY)).to_have_count(0)

    open_page(page, "P&L")
    tables = page.locator(".tabulator:visible")
    for table in range(4):  # by territory, by month, budget, opex
        expect(tables.nth(table).locator(".tabulator-row").first).to_be_visible()
    assert names(page) == ["IE", "Total"]
    expect(page.get_by_text(OTHER_TERRITORY)).to_have_count(0)


def test_an_admin_views_the_dashboard_as_that_user_read_only_and_comes_back(
    page: Page, stack: Stack, irene: str
) -> None:
    sign_in(page, stack, "admin", "/?as=irene&page=sales")

    expect(page.locator(".notice.view-as")).to_contain_text("Viewing as Irene (territories: IE) — read only.")
    expect(page.locator(".tabulator:visible").first.locator(".tabulator-row")).to_have_count(2)
    assert names(page) == ["IE", "Total"]
    expect(page.get_by_role("button", name="Ops", exact=True)).to_have_count(0)  # Irene's role: a viewer
    open_page(page, "P&L")
    expect(page).to_have_url(re.compile(r"as=irene"))
    expect(page.locator(".notice.view-as")).to_be_visible()

    page.get_by_role("link", name="Back to your own view").click()

    expect(page.locator("text=People and territories")).to_be_visible()
    expect(page.locator(".notice.view-as")).to_have_count(0)


def test_a_viewer_asking_to_view_as_the_admin_keeps_their_own_view(page: Page, stack: Stack) -> None:
    sign_in(page, stack, "viewer", "/?as=admin")

    expect(page.locator(".notice.error")).to_contain_text("Only an admin who sees every territory can view")
    expect(page.locator(".notice.view-as")).to_have_count(0)
    expect(page.locator(".user-card .name")).to_have_text("Demo Viewer")
    expect(page.get_by_role("button", name="Ops", exact=True)).to_have_count(0)


@pytest.mark.parametrize("allowed", [["IE"], []], ids=["IE", "no territories"])
def test_a_walk_over_every_page_sends_the_browser_nothing_of_another_territory(
    page: Page, stack: Stack, allowed: list[str]
) -> None:
    # Every page an analyst may open, from the registry the app builds its navigation from, with every
    # frame the server sends over the websocket: what a page hides on screen must not reach the browser.
    username = f"walker{len(allowed)}"
    stack.add_user(username, role=Role.analyst, scope=Scope.only(allowed))
    frames: list[str] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda data: frames.append(str(data))))
    sign_in(page, stack, username)
    hidden = {"UK", "DE", "FR", "ES", "NL", "BE", "PT", "SE", "NO", "DK", "PL", "CH", "IE"} - set(allowed)
    quoted = re.compile(r'"(' + "|".join(sorted(hidden)) + r')"')
    on_screen = re.compile(r"\b(" + "|".join(sorted(hidden)) + r")\b")
    walked = pages_for(Role.analyst)
    assert {"glance", "sales", "pnl", "imports", "profile"} <= set(walked)
    for key in walked:
        frames.clear()
        page.goto(f"{stack.dashboard_url}/?page={key}")
        expect(page.locator(".user-card")).to_contain_text("Territories: " + (", ".join(allowed) or "none"))
        page.wait_for_timeout(3_000)  # let the page's data arrive; a shorter wait only checks fewer frames
        assert frames, f"no websocket frame reached the browser on {key}"
        leaked = sorted({match for frame in frames for match in quoted.findall(frame)})
        assert not leaked, f"page {key} sent {leaked} to a user who may see {allowed or 'no territory'}"
        expect(page.get_by_text(on_screen)).to_have_count(0)
        if key == "sales":
            with page.expect_download() as download:
                page.get_by_role("button", name="Download CSV").click()
            lines = Path(download.value.path()).read_text().splitlines()
            assert not [line for line in lines if on_screen.search(line)], "the CSV names another territory"
            if allowed:
                assert lines[1:], "the user's own products are in the download"
            else:
                assert lines[1:] == [], "a user with no territories downloads no figures"
