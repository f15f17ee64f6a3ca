"""The sync service's scheduler: pulls on schedule, one leader across replicas, freshness at /readyz and /metrics."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import make_engine
from services.ops.scheduler import Leadership
from services.runtime.settings import Settings, get_settings
from services.sync.app import create_app
from tests.sync.conftest import scalar
from tests.sync.sources.conftest import FakeShop


def wait_until(condition: object, *, timeout_s: float = 60) -> None:
    """Poll until `condition()` holds (a wait for the scheduler, not a speed requirement)."""
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the scheduled pull never happened"
        time.sleep(0.2)


def test_the_service_pulls_a_scheduled_source_and_reports_its_freshness(
    glance_env: Settings, backend_engine: Engine, shop: FakeShop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources.yaml"
    declared = {"name": "shop", "kind": "http", "target": "sales", "url": f"{shop.url}/csv/pages", "format": "csv"}
    sources.write_text(yaml.safe_dump({"sources": [{**declared, "schedule": "every 1s", "freshness": "2h"}]}))
    monkeypatch.setenv("GLANCE_SOURCES_FILE", str(sources))
    monkeypatch.setenv("GLANCE_SCHEDULER_ENABLED", "true")
    monkeypatch.setenv("GLANCE_FRESHNESS_HOURS", '{"sales": 26, "expenses": 30}')
    get_settings.cache_clear()

    with TestClient(create_app(get_settings())) as client:
        wait_until(lambda: scalar(backend_engine, "SELECT count(*) FROM sales_line") == 7)
        ready = client.get("/readyz").json()
        page = client.get("/metrics").text

    fresh = {(item["subject"], item["name"]): item for item in ready["freshness"]}
    assert fresh["source", "shop"]["stale"] is False and fresh["source", "shop"]["expected_s"] == 7200
    assert fresh["kind", "sales"]["stale"] is False
    assert (fresh["kind", "expenses"]["newest_at"], fresh["kind", "expenses"]["stale"]) == (None, True)
    assert 'glance_data_stale{name="expenses",subject="kind"} 1.0' in page
    assert 'glance_data_stale{name="shop",subject="source"} 0.0' in page
    assert 'glance_data_age_seconds{name="sales",subject="kind"}' in page
    assert 'glance_source_pulls_total{source="shop",status="succeeded"}' in page


@pytest.mark.postgres
def test_one_replica_holds_the_scheduler_lock_until_it_lets_go(pg_database: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first_engine, second_engine = make_engine(settings, url=pg_database), make_engine(settings, url=pg_database)
    first, second = Leadership(first_engine, settings), Leadership(second_engine, settings)
    try:
        assert first.hold() and first.hold()
        assert not second.hold()
        first.release()
        assert second.hold()
        assert not first.hold()
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_on_sqlite_a_file_lock_elects_one_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings, url=f"sqlite:///{tmp_path / 'glance.db'}")
    first, second = Leadership(engine, settings), Leadership(engine, settings)

    assert first.hold()
    assert not second.hold()
    first.release()
    assert second.hold()
    second.release()
