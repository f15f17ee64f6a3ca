"""Postgres and Redis restarted under a steady read load: nothing hangs, errors only while down, figures right after.

The test owns a Postgres cluster (initdb/pg_ctl on a free port) and a redis-server. The load is
the dashboard's read path (its DataStore, through the shared cache, in threads) plus HTTP calls
to a real sync service process and a real dashboard process. Each call is timed; a call may fail
only cleanly (DataUnavailable, 503) and only while a dependency is down or just back.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from dashboard.store import DataStore, DataUnavailable
from dashboard.text import Translator
from db.engine import make_engine
from db.migrate import upgrade
from db.queries import Dimension
from db.queries.scoring import Thresholds
from db.scope import Scope
from services.auth import create_token
from services.cache.query_cache import get_cache
from services.embedded.supervisor import Child, start_child, stop_children, wait_ready
from services.imports import run_import
from services.runtime.database import get_engine
from services.runtime.settings import Settings, get_settings
from tests.dashboard.served import free_port
from tests.services.conftest import PostgresCluster, RedisProcess, pg_cluster, redis_server, running_pg_cluster
from tests.sync.conftest import sales_rows, write_csv

__all__ = ["pg_cluster", "redis_server", "running_pg_cluster"]  # the ops tests' fixtures, reused

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
HANG_S = 10.0  # connect 2 s + pool 2 s + Redis 0.5 s, with room for a busy machine: past this a call hung
GRACE_S = 6.0  # after a restart: pool pre-ping, Redis retry-after 2 s
TIMEOUTS = {
    "GLANCE_DB_CONNECT_TIMEOUT_S": "2",
    "GLANCE_DB_POOL_TIMEOUT_S": "2",
    "GLANCE_REDIS_RETRY_AFTER_S": "2",
}


@dataclass(frozen=True)
class Call:
    """One request of the load: who made it, when it started and ended, and how it went."""

    client: str
    started: float
    ended: float
    outcome: str  # "ok", "unavailable" (a clean refusal), or the unexpected error


@dataclass
class Load:
    """Threads calling `work` in a loop until stopped, recording every call."""

    calls: list[Call] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def run(self, client: str, work: Callable[[], str]) -> None:
        def loop() -> None:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    outcome = work()
                except DataUnavailable:
                    outcome = "unavailable"
                except httpx.TimeoutException as exc:
                    outcome = f"hung: {exc!r}"
                except Exception as exc:
                    outcome = f"{type(exc).__name__}: {exc}"
                self.calls.append(Call(client, started, time.monotonic(), outcome))
                time.sleep(0.05)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def environment(
    running_pg_cluster: PostgresCluster, redis_server: RedisProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """A migrated database with 3,000 lines, and the process settings pointed at it and at Redis."""
    url = running_pg_cluster.create_database(f"glance_restart_{uuid.uuid4().hex[:8]}")
    engine = make_engine(Settings(), url=url)
    upgrade(engine)
    run_import(
        engine,
        scope=Scope.everything(),
        kind="sales",
        file=write_csv(tmp_path / "s.csv", sales_rows(3000)),
        settings=Settings(),
    )
    engine.dispose()
    env = {
        "GLANCE_DATABASE_URL": url,
        "GLANCE_REDIS_URL": redis_server.url,
        "GLANCE_DATA_DIR": str(tmp_path / "data"),
        "GLANCE_SCHEDULER_ENABLED": "false",
        "GLANCE_LOG_FORMAT": "json",
        "GLANCE_SECRET_KEY": "restart-test-key",
        **TIMEOUTS,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear(), get_engine.cache_clear(), get_cache.cache_clear()
    yield env
    get_engine().dispose()
    get_settings.cache_clear(), get_engine.cache_clear(), get_cache.cache_clear()


def _store() -> DataStore:
    store = DataStore(
        scope=Scope.everything(),
        engine=get_engine(),
        thresholds=Thresholds(),
        tr=Translator("en"),
        today=date(2025, 3, 31),
    )
    store.period, store.start, store.end = "custom", date(2025, 1, 1), date(2025, 12, 31)
    return store


def _http(url: str, headers: dict[str, str] | None = None) -> Callable[[], str]:
    def call() -> str:
        status = httpx.get(url, headers=headers, timeout=HANG_S + 5).status_code
        return "ok" if status < 400 else "unavailable" if status == 503 else f"HTTP {status}"

    return call


def test_restarts_under_read_load_never_hang_and_recover_with_the_right_figures(
    environment: dict[str, str], running_pg_cluster: PostgresCluster, redis_server: RedisProcess
) -> None:
    cluster = running_pg_cluster
    with Session(get_engine()) as session:
        token = create_token(session, name="load", role="viewer")
        session.commit()
        expected = Decimal(session.execute(text("SELECT sum(net_revenue) FROM sales_line")).scalar_one())
    sync = start_child("sync", port=free_port(), probe="/healthz", env=environment)
    dashboard = start_child("dashboard", port=free_port(), probe="/liveness", env=environment)
    children: list[Child] = [sync, dashboard]
    load = Load()
    try:
        wait_ready(children)
        stores = [_store() for _ in range(3)]
        load.run("dashboard store: sales", lambda: "ok" if stores[0].sales(Dimension.TERRITORY).rows else "empty")
        load.run("dashboard store: scorecard", lambda: "ok" if stores[1].scorecard().cards else "empty")
        load.run("dashboard store: pnl", lambda: "ok" if stores[2].pnl("territory").rows else "empty")
        load.run("sync /api/v1/imports", _http(f"{sync.url}/api/v1/imports", {"Authorization": f"Bearer {token}"}))
        load.run("dashboard /version", _http(f"{dashboard.url}/version"))

        time.sleep(3)
        pg_down = time.monotonic()
        cluster.stop()
        time.sleep(4)
        cluster.start()
        pg_up = time.monotonic()
        time.sleep(GRACE_S + 3)
        redis_down = time.monotonic()
        redis_server.stop()
        time.sleep(4)
        redis_server.start()
        redis_up = time.monotonic()
        time.sleep(GRACE_S + 3)
    finally:
        load.finish()
        stop_children(children)

    calls = load.calls
    outages = [(pg_down, pg_up + GRACE_S), (redis_down, redis_up + GRACE_S)]

    def during_outage(call: Call) -> bool:
        return any(call.started < end and call.ended > start for start, end in outages)

    slowest = max(call.ended - call.started for call in calls)
    print(
        f"\n{len(calls)} calls; slowest {slowest:.2f} s; "
        + ", ".join(
            f"{client}: {sum(c.outcome == 'ok' for c in calls if c.client == client)} ok / "
            f"{sum(c.outcome == 'unavailable' for c in calls if c.client == client)} unavailable"
            for client in sorted({c.client for c in calls})
        )
    )
    assert slowest < HANG_S, "a call hung past its timeouts"
    unexpected = [c for c in calls if c.outcome not in ("ok", "unavailable")]
    assert unexpected == [], unexpected[:5]
    refused_while_up = [c for c in calls if c.outcome != "ok" and not during_outage(c)]
    assert refused_while_up == [], refused_while_up[:5]
    last = max(redis_up, pg_up) + GRACE_S
    for client in {c.client for c in calls}:
        assert any(c.outcome == "ok" and c.started > last for c in calls if c.client == client), (
            f"{client} did not recover"
        )
    # Figures afterwards: the dashboard's total equals the lines in the database.
    assert _store().sales(Dimension.TERRITORY).total.net_revenue == expected
