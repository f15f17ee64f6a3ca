"""Releases on the running stack: upgrade to new code, a failed migration, and rollback.

Runs after test_stack_health on the same stack; the tests follow one another like an operator's
day: upgrade, a bad release that must change nothing, then rollback to the first release.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack.browser import expect_revenue_rows, logged_in
from tests.stack.harness import Stack
from tests.stack.releases import (
    V2_MARK,
    Release,
    build_broken_migration,
    build_extra_migration,
    build_queries_v2,
    remove_images,
)
from tests.stack.sales_file import SalesFile, report_by_territory

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def queries_v2(docker: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    """A release of this tree whose db.queries marks every breakdown key."""
    release = build_queries_v2(tmp_path_factory.mktemp("variants"))
    yield release
    remove_images(release)


def revisions(stack: Stack) -> dict[str, str]:
    """What each service reports at /version."""
    return {service: stack.get(url + "/version").json()["revision"] for service, url in stack.app_urls.items()}


def report_keys(stack: Stack, service: str) -> set[str]:
    return {row.key for row in report_by_territory(stack, service=service).rows}


def test_upgrade_runs_the_new_code_in_every_service(
    stack: Stack, imported_sales: SalesFile, queries_v2: Release
) -> None:
    stack.deploy("release", "--tag", queries_v2.tag)
    assert stack.tag == queries_v2.tag
    assert revisions(stack) == {"sync": queries_v2.revision, "dashboard": queries_v2.revision}
    for service, url in stack.app_urls.items():
        version = stack.get(url + "/version").json()
        assert version["digest_ok"] is True, version["digest_problems"]
        assert version["schema_at_head"] is True
        assert report_keys(stack, service) == {f"{territory}{V2_MARK}" for territory in imported_sales.by_territory}
    totals = report_by_territory(stack).total
    assert (totals.net_revenue, totals.units) == (imported_sales.total.net_revenue, imported_sales.total.units)


def test_upgraded_dashboard_shows_the_new_figures_not_cached_old_ones(
    stack: Stack, imported_sales: SalesFile, viewer_password: str
) -> None:
    # test_stack_health rendered this page, same data version, with the first release (filling the cache).
    revenue = imported_sales.revenue_by_territory(suffix=V2_MARK)
    with logged_in(stack, password=viewer_password, screenshot=stack.env_file.parent / "dashboard-v2.png") as page:
        expect_revenue_rows(page, stack, revenue)


def test_failed_migration_leaves_the_running_release_untouched(
    stack: Stack, imported_sales: SalesFile, tmp_path_factory: pytest.TempPathFactory
) -> None:
    broken = build_broken_migration(tmp_path_factory.mktemp("variants"))
    running_tag, running = stack.tag, revisions(stack)
    try:
        attempt = stack.deploy("release", "--tag", broken.tag, check=False)
    finally:
        remove_images(broken)
    assert attempt.returncode == 1
    assert "running stack is untouched" in attempt.stderr
    assert stack.tag == running_tag
    assert revisions(stack) == running
    assert stack.get(stack.sync_url + "/readyz").status_code == 200
    assert report_by_territory(stack).total.net_revenue == imported_sales.total.net_revenue


def test_rollback_brings_back_the_first_release(
    stack: Stack, imported_sales: SalesFile, first_release: Release
) -> None:
    stack.deploy("release", "--tag", first_release.tag)
    assert revisions(stack) == {"sync": first_release.revision, "dashboard": first_release.revision}
    assert report_keys(stack, "dashboard") == set(imported_sales.by_territory)


def test_release_refuses_a_tag_that_was_never_built(stack: Stack) -> None:
    attempt = stack.deploy("release", "--tag", "0.0.0-000000000000", check=False)
    assert attempt.returncode == 1
    assert "does not exist" in attempt.stderr


def test_rollback_below_the_database_schema_is_refused(
    stack: Stack, first_release: Release, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Last test: it leaves the schema ahead of every other build, so it ends the stack itself."""
    newer = build_extra_migration(tmp_path_factory.mktemp("variants"))
    try:
        stack.deploy("release", "--tag", newer.tag)
        attempt = stack.deploy("release", "--tag", first_release.tag, check=False)
        assert attempt.returncode == 1
        assert "newer than this code" in attempt.stderr
        assert "running stack is untouched" in attempt.stderr
        assert stack.tag == newer.tag
        assert revisions(stack) == {"sync": newer.revision, "dashboard": newer.revision}
    finally:
        stack.down()
        remove_images(newer)
