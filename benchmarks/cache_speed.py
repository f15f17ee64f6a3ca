"""How much the query cache saves on the At-a-glance page at 1,000,000 sales lines on Postgres.

Run: `.venv/bin/python benchmarks/cache_speed.py [--lines 1000000] [--runs 15] [--cached-runs 300] [--drop]`

It seeds a Postgres database (`glance_bench_cache_<lines>`, kept for the next run unless `--drop`)
with the demo generator, then times the At-a-glance query set (`scorecard` plus `sales_breakdown`
by territory, channel and month for the year to date) three ways: straight from the database,
from Redis, and from the in-process cache. Cached runs go through the same path as the dashboard:
read the data version, build the key, fetch and decode. It prints the median of each and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db import queries
from db.data_version import current_data_version
from db.engine import make_engine
from db.migrate import upgrade
from db.models import SalesLine
from db.scope import Scope
from services.cache.query_cache import Cache
from services.embedded.demo import DemoPlan, seed_demo
from services.runtime.settings import Settings

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GLANCE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
END = date(2026, 11, 22)
"""A fixed last day, so the seeded data and the measured period are the same on every run."""


@dataclass(frozen=True)
class Query:
    """One query of the page: its cache name, function and parameters."""

    name: str
    fn: Callable[..., Any]
    params: dict[str, Any]


def page_queries(settings: Settings) -> list[Query]:
    """The At-a-glance page: KPI scorecard, and sales by territory, channel and month."""
    period = queries.period_for("ytd", today=END)
    breakdowns = [
        Query(
            f"sales_breakdown:{by}",
            queries.sales_breakdown,
            {"by": by, "start": period.start, "end": period.end, "scope": Scope.everything()},
        )
        for by in ("territory", "channel", "month")
    ]
    scorecard = Query(
        "scorecard",
        queries.scorecard,
        {"period": period, "thresholds": settings.health_thresholds, "scope": Scope.everything()},
    )
    return [scorecard, *breakdowns]


def database(lines: int, *, drop: bool) -> str:
    """The benchmark database URL, created and seeded when needed."""
    name = f"glance_bench_cache_{lines}"
    base = ADMIN_URL.rpartition("/")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        if drop:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def ensure_seeded(engine: Engine, lines: int) -> int:
    """Seed `lines` demo sales lines unless the database already holds them; returns the line count."""
    upgrade(engine)
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(SalesLine)).scalar_one()
        if count == 0:
            started = time.perf_counter()
            print(f"seeding {lines:,} sales lines ...", flush=True)
            seed_demo(session, plan=DemoPlan(lines=lines, end=END))
            session.commit()
            print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
            count = session.execute(select(func.count()).select_from(SalesLine)).scalar_one()
    return count


def time_runs(runs: int, body: Callable[[], None]) -> float:
    """Median seconds of `runs` calls of `body`."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        body()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def uncached(session: Session, page: list[Query]) -> Callable[[], None]:
    def run() -> None:
        for query in page:
            query.fn(session, **query.params)

    return run


def cached(session: Session, page: list[Query], cache: Cache) -> Callable[[], None]:
    def run() -> None:
        for query in page:
            version = current_data_version(session)
            cache.get_or_compute(
                query.name, query.params, lambda q=query: q.fn(session, **q.params), data_version=version
            )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15, help="uncached runs of the page")
    parser.add_argument("--cached-runs", type=int, default=300, help="cached runs of the page, per cache")
    parser.add_argument("--drop", action="store_true", help="drop and re-seed the benchmark database")
    args = parser.parse_args()

    settings = Settings(database_url=database(args.lines, drop=args.drop), redis_url=REDIS_URL)
    engine = make_engine(settings)
    count = ensure_seeded(engine, args.lines)
    page = page_queries(settings)
    redis_cache = Cache(settings)
    memory_cache = Cache(settings.model_copy(update={"redis_url": ""}))
    redis_cache.clear()
    with Session(engine) as session:
        cached(session, page, redis_cache)()  # warm: one miss per query
        cached(session, page, memory_cache)()
        uncached(session, page)()  # warm Postgres buffers, so uncached is measured at its best
        base = time_runs(args.runs, uncached(session, page))
        from_redis = time_runs(args.cached_runs, cached(session, page, redis_cache))
        from_memory = time_runs(args.cached_runs, cached(session, page, memory_cache))
    engine.dispose()

    print(f"At-a-glance query set ({len(page)} queries) on Postgres, {count:,} sales lines, median of runs:")
    print(f"  uncached (database)   {base * 1000:9.2f} ms   ({args.runs} runs)")
    for label, median in (("Redis cache", from_redis), ("in-process cache", from_memory)):
        speedup = base / median
        print(f"  {label:<20}  {median * 1000:9.2f} ms   ({args.cached_runs} runs)  {speedup:7.1f}x faster")
    print(f"  target: Redis >= 20x faster: {'met' if base / from_redis >= 20 else 'NOT met'}")
    print(f"  cache status: {redis_cache.status().describe()}")


if __name__ == "__main__":
    main()
