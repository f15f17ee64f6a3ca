"""Pulling an HTTP source: paged CSV and JSON, auth, incremental `since`, retries only where they help."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.queries import sales_totals
from db.scope import Scope
from services.imports import RunStatus
from services.runtime.settings import Settings
from services.sources import PullStatus, pull_source
from tests.sync.conftest import sales_rows, scalar
from tests.sync.sources.conftest import FAST_RETRY, FakeShop, declare


def http_source(shop: FakeShop, tmp_path: Path, **options: object) -> object:
    declared = {"name": "shop", "kind": "http", "target": "sales", "retry": FAST_RETRY, **options}
    declared["url"] = shop.url + str(options.get("url", "/csv/pages"))
    return declare(tmp_path, declared).get("shop")


def test_a_paged_csv_endpoint_is_imported_as_one_run(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    source = http_source(shop, tmp_path, format="csv", pagination={"type": "page", "size_param": "per_page", "size": 3})

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.succeeded
    [report] = result.reports
    assert (report.status, report.rows_read, report.inserted, report.source) == (RunStatus.succeeded, 7, 7, "shop")
    assert [r.query["page"] for r in shop.hits("/csv/pages")] == ["1", "2", "3"]
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line WHERE source = 'shop'") == 7


def test_a_link_header_is_followed_to_the_last_page(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    source = http_source(shop, tmp_path, url="/csv/link", format="csv", pagination={"type": "link"})

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.reports[0].inserted == 7
    assert len(shop.hits("/csv/link")) == 3


def test_a_json_endpoint_with_a_cursor_keeps_money_exact(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    source = http_source(
        shop,
        tmp_path,
        url="/json/cursor",
        format="json",
        records="data",
        pagination={"type": "cursor", "field": "meta.next"},
    )

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.reports[0].inserted == 7
    assert [r.query.get("cursor") for r in shop.hits("/json/cursor")] == [None, "4"]
    with Session(backend_engine) as session:
        totals = sales_totals(session, scope=Scope.everything(), start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert totals.net_revenue == sum(Decimal(f"{10 + n}.50") for n in range(1, 8))


def test_the_next_pull_asks_only_for_rows_since_the_last_good_one(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    source = http_source(shop, tmp_path, format="csv", since_param="since")
    pull_source(backend_engine, source=source, settings=settings)
    shop.add(sales_rows(2, start=100))

    second = pull_source(backend_engine, source=source, settings=settings)
    third = pull_source(backend_engine, source=source, settings=settings)

    assert "since" not in shop.hits("/csv/pages")[0].query
    assert (second.reports[0].rows_read, second.reports[0].inserted) == (2, 2)
    assert third.status is PullStatus.nothing_new
    assert third.reports[0].status is RunStatus.succeeded
    assert scalar(backend_engine, "SELECT count(*) FROM sales_line") == 9


def test_a_bearer_token_is_read_from_the_environment(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop.token = "s3cret-token"
    monkeypatch.setenv("SHOP_TOKEN", "s3cret-token")
    source = http_source(shop, tmp_path, format="csv", auth={"type": "bearer", "token_env": "SHOP_TOKEN"})

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.reports[0].inserted == 7


def test_a_token_from_a_docker_secret_works_too(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    shop.token = "from-a-file"
    settings.secrets_dir.mkdir(parents=True)
    (settings.secrets_dir / "shop_token").write_text("from-a-file\n")
    source = http_source(shop, tmp_path, format="csv", auth={"type": "bearer", "token_secret": "shop_token"})

    assert pull_source(backend_engine, source=source, settings=settings).reports[0].inserted == 7


def test_server_errors_are_retried_until_the_page_comes(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    shop.fail("/csv/pages", 500, 503)
    source = http_source(shop, tmp_path, format="csv")

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.succeeded
    assert len(shop.hits("/csv/pages")) == 3


def test_a_4xx_is_never_retried_and_the_failed_pull_is_a_recorded_run(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    shop.token = "expected"
    source = http_source(shop, tmp_path, format="csv")

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "401" in result.message
    assert len(shop.hits("/csv/pages")) == 1
    assert result.reports[0].status is RunStatus.failed
    assert scalar(backend_engine, "SELECT status FROM import_run") == "failed"
    assert result.consecutive_failures == 1


def test_giving_up_after_the_last_retry_stores_no_page_and_keeps_since(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    paged = {"type": "page", "size_param": "per_page", "size": 3}
    source = http_source(shop, tmp_path, format="csv", pagination=paged, since_param="since")
    shop.fail("/csv/pages?page=2", 500, 502, 503)

    failed = pull_source(backend_engine, source=source, settings=settings)
    stored_after_failure = scalar(backend_engine, "SELECT count(*) FROM sales_line")
    retried = pull_source(backend_engine, source=source, settings=settings)

    assert failed.status is PullStatus.failed
    assert "gave up after 3 attempts" in failed.message
    assert [r.query["page"] for r in shop.hits("/csv/pages")][:4] == ["1", "2", "2", "2"]
    assert stored_after_failure == 0
    assert "since" not in shop.hits("/csv/pages")[4].query
    assert retried.reports[0].inserted == 7


def test_a_stalled_endpoint_hits_the_read_timeout(
    backend_engine: Engine, shop: FakeShop, tmp_path: Path, settings: Settings
) -> None:
    shop.stall_s["/csv/pages"] = 1.0
    source = http_source(shop, tmp_path, format="csv", timeout={"connect_s": 1, "read_s": 0.2})

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "timed out" in result.message


def test_an_unreachable_host_fails_with_a_network_error(
    backend_engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    source = declare(
        tmp_path,
        {"name": "gone", "kind": "http", "target": "sales", "url": "http://127.0.0.1:9/x", "retry": FAST_RETRY},
    ).get("gone")

    result = pull_source(backend_engine, source=source, settings=settings)

    assert result.status is PullStatus.failed
    assert "cannot reach" in result.message
