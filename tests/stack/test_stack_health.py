"""The running stack: figures end to end, degraded dependencies, tampered code, backup and restore.

Given the whole Compose stack of the working tree with one sales file imported through the sync
API, an operator checks what a user would see and what happens when parts fail.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from dashboard.text import Translator
from tests.stack.browser import SALES_PAGE, expect_revenue_rows, logged_in
from tests.stack.harness import WRITABLE_SYNC_FILE, Stack, run, wait_for
from tests.stack.sales_file import SalesFile, SalesReport, report_by_territory

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(900)]
ENGLISH = Translator("en")


def assert_report_matches_file(report: SalesReport, sales: SalesFile) -> None:
    """Every territory's revenue, units and orders, and the total, equal the file's own sums."""
    shown = {row.key: (row.net_revenue, row.units, row.orders) for row in report.rows}
    expected = {key: (t.net_revenue, t.units, t.orders) for key, t in sales.by_territory.items()}
    assert shown == expected
    total = sales.total
    assert (report.total.net_revenue, report.total.units, report.total.orders) == (
        total.net_revenue,
        total.units,
        total.orders,
    )


def readiness_failing(stack: Stack, part: str) -> dict[str, object] | None:
    """The /readyz body once it answers 503 naming `part` as failing, else None."""
    answer = stack.readiness()
    if answer is None or answer.status_code != 503:
        return None
    body: dict[str, object] = answer.json()
    return body if part in body.get("failing", []) else None  # type: ignore[operator]


def wait_ready(stack: Stack) -> None:
    """Wait for /readyz to answer 200 again (recovery without a restart)."""
    wait_for(
        lambda: (answer := stack.readiness()) is not None and answer.status_code == 200,
        what="the sync service to be ready again",
    )


def start_times(stack: Stack) -> dict[str, str]:
    """When each Glance service process started, from /version (unchanged means no restart)."""
    return {service: stack.get(url + "/version").json()["started_at"] for service, url in stack.app_urls.items()}


def check_detail(body: dict[str, object], name: str) -> str:
    """The detail text of one readiness check."""
    checks = body["checks"]
    assert isinstance(checks, list)
    return next(str(check["detail"]) for check in checks if check["name"] == name)


def test_every_service_is_healthy_and_only_sync_and_dashboard_are_published(stack: Stack) -> None:
    for service in ("db", "redis", "sync", "dashboard"):
        assert stack.health(service) == "healthy", service
    for service in ("db", "redis"):
        container = stack.compose("ps", "-q", service).stdout.strip()
        ports = json.loads(run(["docker", "inspect", "--format", "{{json .NetworkSettings.Ports}}", container]).stdout)
        assert not any(bindings for bindings in ports.values()), f"{service} is published: {ports}"
    for service, port in (("sync", 8000), ("dashboard", 5006)):
        published = stack.compose("port", service, str(port)).stdout.strip()
        assert published.startswith("127.0.0.1:"), published


def test_imported_file_totals_match_the_report_in_every_service(stack: Stack, imported_sales: SalesFile) -> None:
    for service in ("sync", "dashboard"):
        assert_report_matches_file(report_by_territory(stack, service=service), imported_sales)


def test_dashboard_page_shows_the_imported_totals(
    stack: Stack, imported_sales: SalesFile, viewer_password: str
) -> None:
    revenue = imported_sales.revenue_by_territory()
    with logged_in(stack, password=viewer_password, screenshot=stack.env_file.parent / "dashboard-sales.png") as page:
        expect_revenue_rows(page, stack, revenue)


def test_redis_outage_degrades_quietly_and_recovers(
    stack: Stack, imported_sales: SalesFile, api_token: str, viewer_password: str
) -> None:
    revenue = imported_sales.revenue_by_territory()
    with logged_in(stack, password=viewer_password, screenshot=stack.env_file.parent / "redis-down.png") as page:
        stack.compose("stop", "redis")
        try:
            body = wait_for(lambda: readiness_failing(stack, "redis"), what="readiness to report Redis down")
            assert "redis unavailable" in check_detail(body, "redis")
            assert stack.get(stack.sync_url + "/api/v1/imports", token=api_token).status_code == 200
            assert_report_matches_file(report_by_territory(stack), imported_sales)
            expect_revenue_rows(page, stack, revenue)
            expect(page.get_by_text(ENGLISH("state.degraded")).first).to_be_visible(timeout=30_000)
        finally:
            stack.compose("start", "redis")
        wait_ready(stack)
        wait_for(lambda: stack.health("sync") == "healthy", what="Docker to mark sync healthy again")
        page.reload()
        expect(page.get_by_text(ENGLISH("state.degraded"))).to_have_count(0, timeout=30_000)


def test_database_outage_fails_clearly_and_recovers_without_restart(
    stack: Stack, imported_sales: SalesFile, api_token: str, viewer_password: str
) -> None:
    started_at = start_times(stack)
    revenue = imported_sales.revenue_by_territory()
    with logged_in(stack, password=viewer_password, screenshot=stack.env_file.parent / "db-down.png") as page:
        stack.compose("stop", "db")
        try:
            body = wait_for(lambda: readiness_failing(stack, "database"), what="readiness to report the database down")
            assert "database unavailable" in check_detail(body, "database")
            assert stack.get(stack.sync_url + "/healthz").status_code == 200
            assert stack.get(stack.sync_url + "/api/v1/imports", token=api_token).status_code >= 500
            report = stack.glance("report", "sales", "--by", "territory", check=False)
            assert report.returncode == 1
            assert "database unavailable" in report.stderr
            page.goto(stack.dashboard_url + SALES_PAGE)
            told = page.get_by_text(ENGLISH("system.down")).or_(page.get_by_text(ENGLISH("state.db_down")))
            expect(told.first).to_be_visible(timeout=60_000)
        finally:
            stack.compose("start", "db")
        wait_ready(stack)
        expect_revenue_rows(page, stack, revenue)
    assert start_times(stack) == started_at
    assert_report_matches_file(report_by_territory(stack), imported_sales)


def test_tampered_module_fails_readiness_naming_the_file(stack: Stack) -> None:
    # compose.yaml's read-only root stops this write (test_stack_images); the source digest is the
    # second line of defence, for code changed where it is writable: an altered image, a bind mount.
    writable = (WRITABLE_SYNC_FILE,)
    stack.compose("up", "-d", "--wait", "--no-deps", "--force-recreate", "sync", overrides=writable, timeout_s=180)
    assert stack.inspect("sync")["HostConfig"]["ReadonlyRootfs"] is False
    module = stack.compose("exec", "-T", "sync", "python", "-c", "import db.models; print(db.models.__file__)")
    path = module.stdout.strip()
    stack.compose("exec", "-T", "--user", "root", "sync", "sh", "-c", f"echo '# tampered' >> {path}")
    try:
        body = wait_for(lambda: readiness_failing(stack, "sources"), what="readiness to report changed sources")
        assert "db/models.py" in check_detail(body, "sources")
        version = stack.get(stack.sync_url + "/version").json()
        assert version["digest_ok"] is False
        assert any("db/models.py" in problem for problem in version["digest_problems"])
        wait_for(lambda: stack.health("sync") == "unhealthy", what="Docker to mark sync unhealthy")
    finally:
        # A fresh container from the image is the fix for code changed on disk.
        stack.compose("up", "-d", "--wait", "--no-deps", "--force-recreate", "sync", timeout_s=180)
    assert stack.get(stack.sync_url + "/readyz").status_code == 200
    assert stack.inspect("sync")["HostConfig"]["ReadonlyRootfs"] is True


def test_backup_then_restore_brings_back_the_imported_totals(stack: Stack, imported_sales: SalesFile) -> None:
    backup = stack.deploy("backup", "now").stdout.strip().splitlines()[-1]
    assert backup.endswith(".dump")
    assert backup in stack.deploy("backup", "list").stdout
    stack.compose(
        "exec",
        "-T",
        "db",
        "psql",
        "-U",
        "glance",
        "-d",
        "glance",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
    )
    lost = stack.glance("report", "sales", "--by", "territory", check=False)
    assert lost.returncode != 0
    stack.deploy("backup", "restore", backup.rsplit("/", 1)[-1])
    assert_report_matches_file(report_by_territory(stack), imported_sales)
    assert stack.get(stack.sync_url + "/readyz").status_code == 200
    assert stack.get(stack.sync_url + "/version").json()["data_version"] >= 1
