"""The README's Access table, walked row by row against the running sync service and dashboard.

For an endpoint: no credentials is refused unless the row says `none`, a token one role below is
refused with 403, and a token of the role gets past authorisation. For a page: a signed-in user
of the role sees it; one role below is refused and sent to the home page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from services.auth import Role
from services.sync.app import create_app
from tests.hardening.conftest import ARTIFACTS, Served

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (?P<what>[^|]+?) \| (?P<service>sync|dashboard) \| (?P<role>none|viewer|analyst|admin) \|$")
ENDPOINT = re.compile(r"^`(?P<method>GET|POST) (?P<path>/[^`]*)`$")
PAGE = re.compile(r"^page `/\?page=(?P<page>\w+)`")
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class AccessRow:
    """One row of the table: an endpoint (method and path) or a dashboard page, and the role it needs."""

    service: str
    role: str
    method: str = ""
    path: str = ""
    page: str = ""


def access_rows() -> list[AccessRow]:
    """The rows of the table under `## Access` in README.md."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Access\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        found = ROW.match(line.strip())
        if not found:
            continue
        what, service, role = found["what"], found["service"], found["role"]
        if endpoint := ENDPOINT.match(what):
            rows.append(AccessRow(service=service, role=role, method=endpoint["method"], path=endpoint["path"]))
        elif page := PAGE.match(what):
            rows.append(AccessRow(service=service, role=role, page=page["page"]))
        else:
            raise AssertionError(f"README Access row not understood: {line}")
    return rows


ROWS = access_rows()
ENDPOINT_ROWS = [row for row in ROWS if row.path]
PAGE_ROWS = [row for row in ROWS if row.page]


def _below(role: str) -> str | None:
    rank = Role(role).rank
    return list(Role)[rank - 1].value if rank > 0 else None


def _concrete(path: str) -> str:
    # A run that does not exist: authorisation is decided before the handler looks for it.
    return path.replace("{run_id}", "1").replace("{kind}", "sales")


def _call(served: Served, row: AccessRow, headers: dict[str, str]) -> httpx.Response:
    base = served.sync_url if row.service == "sync" else served.dashboard_url
    url = base + _concrete(row.path)
    if row.method == "POST":
        files = {"file": ("empty.csv", b"", "text/csv")}
        return httpx.post(url, headers=headers, files=files, timeout=30, follow_redirects=False)
    return httpx.get(url, headers=headers, timeout=30, follow_redirects=False)


def test_the_table_lists_every_operation_of_the_sync_api() -> None:
    schema = create_app().openapi()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    listed = {(row.method, row.path) for row in ENDPOINT_ROWS if row.service == "sync"}
    assert operations - listed == set(), "add these sync endpoints to the README Access table"
    assert len(PAGE_ROWS) == 6


@pytest.mark.slow
@pytest.mark.parametrize("row", ENDPOINT_ROWS, ids=lambda r: f"{r.service}:{r.method} {r.path}")
def test_an_endpoint_admits_exactly_the_role_in_the_table(served: Served, row: AccessRow) -> None:
    anonymous = _call(served, row, {})
    if row.role == "none":
        assert anonymous.status_code < 400 or anonymous.status_code == 503, anonymous.text
        return
    if row.service == "sync":
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
        assert _call(served, row, {"Authorization": "Bearer glance_not-a-real-token"}).status_code == 401
        lower = _below(row.role)
        if lower is not None:
            refused = _call(served, row, served.bearer(lower))
            assert refused.status_code == 403 and row.role in refused.json()["detail"]
        admitted = _call(served, row, served.bearer(row.role))
        assert admitted.status_code not in (401, 403), admitted.text
    else:
        assert anonymous.status_code in (302, 401, 403)


def _sign_in(page: Page, served: Served, username: str, path: str) -> None:
    page.goto(f"{served.dashboard_url}{path}")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("#username", username)
    page.fill("#password", served.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator(".user-card")).to_be_visible(timeout=TIMEOUT_MS)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("row", PAGE_ROWS, ids=lambda r: r.page)
def test_a_page_opens_for_its_role_and_not_below(served: Served, browser: Browser, row: AccessRow) -> None:
    anonymous = httpx.get(f"{served.dashboard_url}/?page={row.page}", follow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["location"]
    checks = [(row.role, True)] + ([(lower, False)] if (lower := _below(row.role)) else [])
    for username, admitted in checks:
        context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        refused: list[str] = []

        def on_console(message: ConsoleMessage, refused: list[str] = refused) -> None:
            if "Content Security Policy" in message.text:
                refused.append(message.text)

        page.on("console", on_console)
        try:
            _sign_in(page, served, username, f"/?page={row.page}")
            expect(page.locator(".glance.footer")).to_be_visible()  # the session has loaded its page
            if admitted:
                expect(page).to_have_url(re.compile(rf"page={row.page}"))
                expect(page.locator(".notice.error")).to_have_count(0)
            else:
                expect(page.locator(".notice.error")).to_contain_text("cannot open")
                expect(page).to_have_url(re.compile(r"page=glance"))
            assert refused == [], "the Content-Security-Policy blocked part of the dashboard"
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"access-{row.page}-{username}.png"))
            context.close()
