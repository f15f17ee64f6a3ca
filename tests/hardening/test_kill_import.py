"""SIGKILL of the sync service in the middle of an HTTP import, at random moments, on the real Postgres.

After each kill and restart the facts, the rollups and the data version equal the state before
the import or the state after it, never one in between; the killed run reads as failed; the
same upload again completes. Size: `GLANCE_KILL_LINES` (CI default 200,000; documented local
run 1,000,000), kills: `GLANCE_KILLS` (default 5), moments drawn with `GLANCE_KILL_SEED`.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from db.engine import make_engine
from services.auth import create_token
from services.embedded.supervisor import Child, start_child, stop_children, wait_ready
from services.runtime.settings import Settings
from tests.conftest import empty_tables
from tests.dashboard.served import free_port

LINES = int(os.environ.get("GLANCE_KILL_LINES", "200000"))
# About 11 uploads of LINES lines each: the run may take minutes at the local size.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300 + LINES // 500)]
KILLS = int(os.environ.get("GLANCE_KILLS", "5"))
SEED = int(os.environ.get("GLANCE_KILL_SEED", str(random.SystemRandom().randrange(10**6))))
TERRITORIES = ["UK", "DE", "FR", "US", "JP"]


@dataclass(frozen=True)
class State:
    """What an import changes, summed: facts, each rollup table, and the data version."""

    lines: int
    revenue: Decimal
    units: int
    daily: tuple[object, ...]
    orders: int
    monthly: tuple[object, ...]
    data_version: int

    def plus(self, file: SalesFile) -> State:
        """This state with `file` imported (new lines only, so every total grows by the file's)."""
        return State(
            lines=self.lines + file.lines,
            revenue=self.revenue + file.revenue,
            units=self.units + file.units,
            daily=(self.daily[0] + file.lines, self.daily[1] + file.units, self.daily[2] + file.revenue),
            orders=self.orders + file.orders,
            monthly=(self.monthly[0] + file.units, self.monthly[1] + file.revenue),
            data_version=self.data_version + 1,
        )


def state(engine: Engine) -> State:
    """The database's state now."""
    with engine.connect() as conn:
        lines, revenue, units = conn.execute(
            text("SELECT count(*), coalesce(sum(net_revenue), 0), coalesce(sum(units), 0) FROM sales_line")
        ).one()
        daily = tuple(
            conn.execute(
                text(
                    "SELECT coalesce(sum(lines), 0), coalesce(sum(units), 0), coalesce(sum(net_revenue), 0) "
                    "FROM sales_daily"
                )
            ).one()
        )
        orders = conn.execute(text("SELECT coalesce(sum(orders), 0) FROM orders_daily")).scalar_one()
        monthly = tuple(
            conn.execute(
                text("SELECT coalesce(sum(units), 0), coalesce(sum(net_revenue), 0) FROM sales_product_monthly")
            ).one()
        )
        version = conn.execute(text("SELECT version FROM data_version")).scalar_one()
    return State(lines, Decimal(revenue), int(units), daily, int(orders), monthly, int(version))


@dataclass(frozen=True)
class SalesFile:
    """A generated sales CSV and its totals."""

    path: Path
    source: str
    lines: int
    revenue: Decimal
    units: int
    orders: int


def sales_file(path: Path, *, source: str, lines: int, seed: int) -> SalesFile:
    """`lines` sales lines of one source, two lines per order, each order on one day, territory and channel."""
    rng = random.Random(seed)
    revenue_cents = units_total = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("external_id,order_id,order_date,territory,channel,product,category,units,net_revenue,cogs\n")
        for n in range(lines):
            order = n // 2
            units, cents = 1 + rng.randrange(5), 100 + rng.randrange(50_000)
            revenue_cents += cents
            units_total += units
            day = f"2025-{1 + order % 12:02d}-{1 + order % 28:02d}"
            territory = TERRITORIES[order % len(TERRITORIES)]
            channel = "Online" if order % 3 else "Retail"
            handle.write(
                f"{source}-{n},{source}-O{order},{day},{territory},{channel},P{n % 40},C{n % 6},{units},"
                f"{cents // 100}.{cents % 100:02d},{cents // 300}.00\n"
            )
    return SalesFile(path, source, lines, Decimal(revenue_cents) / 100, units_total, (lines + 1) // 2)


@dataclass
class Sync:
    """The sync service as a real process, restartable, on one port."""

    env: dict[str, str]
    port: int
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.child = start_child("sync", port=self.port, probe="/healthz", env=self.env)
        wait_ready([self.child])

    def kill(self) -> None:
        assert self.child is not None
        os.killpg(self.child.process.pid, signal.SIGKILL)
        self.child.process.wait(timeout=30)

    def stop(self) -> None:
        if self.child is not None:
            stop_children([self.child])


@pytest.fixture
def engine(pg_database: str) -> Iterator[Engine]:
    engine = make_engine(Settings(), url=pg_database)
    empty_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sync(engine: Engine, pg_database: str, tmp_path: Path) -> Iterator[Sync]:
    env = {
        "GLANCE_DATABASE_URL": pg_database,
        "GLANCE_DATA_DIR": str(tmp_path / "data"),
        "GLANCE_REDIS_URL": "",
        "GLANCE_SCHEDULER_ENABLED": "false",
        "GLANCE_LOG_FORMAT": "json",
        "GLANCE_IMPORT_BATCH_ROWS": str(max(LINES // 8, 10_000)),
    }
    service = Sync(env=env, port=free_port())
    service.start()
    yield service
    service.stop()


def _token(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        secret = create_token(session, name="killer", role="analyst")
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _upload(sync: Sync, file: SalesFile, headers: dict[str, str]) -> httpx.Response:
    with file.path.open("rb") as handle:
        return httpx.post(
            f"{sync.url}/api/v1/imports/sales",
            headers=headers,
            files={"file": (file.path.name, handle, "text/csv")},
            data={"source": file.source},
            timeout=600,
        )


def _max_run(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(id), 0) FROM import_run")).scalar_one()


def test_a_killed_import_leaves_the_state_before_or_after_and_a_rerun_completes(
    sync: Sync, engine: Engine, tmp_path: Path
) -> None:
    headers = _token(engine)
    rng = random.Random(SEED)
    warmup = sales_file(tmp_path / "warmup.csv", source="warmup", lines=LINES, seed=SEED)
    started = time.perf_counter()
    first = _upload(sync, warmup, headers)
    duration = time.perf_counter() - started
    assert first.status_code == 200 and first.json()["inserted"] == LINES
    print(f"\nseed {SEED}: a {LINES:,}-line upload and import takes {duration:.1f} s")
    outcomes: list[str] = []
    for kill in range(KILLS):
        file = sales_file(tmp_path / f"shop{kill}.csv", source=f"shop{kill}", lines=LINES, seed=SEED + kill + 1)
        before = state(engine)
        after = before.plus(file)
        last_run = _max_run(engine)
        moment = rng.uniform(0.05, 1.05) * duration
        upload = threading.Thread(target=lambda f=file: _swallow(_upload, sync, f, headers))
        upload.start()
        time.sleep(moment)
        sync.kill()
        upload.join(timeout=60)
        sync.start()

        now = state(engine)
        assert now in (before, after), f"kill {kill} at {moment:.2f} s left a state in between"
        outcome = "before" if now == before else "after"
        runs = httpx.get(f"{sync.url}/api/v1/imports", headers=headers, timeout=30).json()
        killed = [run for run in runs if run["run_id"] > last_run]
        deadline = time.monotonic() + 60
        while any(run["status"] == "running" for run in killed) and time.monotonic() < deadline:
            time.sleep(0.5)  # Postgres ends the dead client's backend (and frees its run lock) once its statement stops
            runs = httpx.get(f"{sync.url}/api/v1/imports", headers=headers, timeout=30).json()
            killed = [run for run in runs if run["run_id"] > last_run]
        expected = "succeeded" if outcome == "after" else "failed"
        assert all(run["status"] == expected for run in killed), killed
        outcomes.append(f"{moment:.2f}s:{outcome}{'' if killed else '(before the run began)'}")

        rerun = _upload(sync, file, headers)
        assert rerun.status_code == 200 and rerun.json()["status"] == "succeeded", rerun.text
        assert state(engine) == after
    print("kills: " + ", ".join(outcomes))


def _swallow(upload: object, *args: object) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server was killed under it: that is the point
        upload(*args)  # type: ignore[operator]
