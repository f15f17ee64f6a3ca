"""How fast the figures API answers from the shared cache, as a ratio to a bare FastAPI endpoint.

Run: `.venv/bin/python benchmarks/api_speed.py [--lines 1000000] [--requests 300] [--concurrent 8] [--drop]`

It seeds a Postgres database (`glance_bench_api_<lines>`, kept for the next run unless `--drop`)
with the demo generator and serves, the same way (uvicorn, one process, logs at WARNING, Redis as
the shared cache), the sync service and a floor: a bare FastAPI app whose one route returns a
constant JSON object. Each report is asked once first (filling the cache: that is the "served
through the shared cache" case the issue measures), then `--requests` times per app in turns, as a
token of every territory and as a token of two territories. It prints median and p95 latency one
request at a time, and throughput with `--concurrent` requests in flight, each as a ratio to the
floor measured in the same run; the issue's target is 2x.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date

import httpx
import psycopg

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GLANCE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
END = date(2026, 11, 22)
TARGET = 2.0
REPORTS = [
    ("/api/v1/reports/kpis", {"period": "ytd", "today": END.isoformat()}),
    ("/api/v1/reports/sales", {"by": "territory", "from": "2026-01-01", "to": END.isoformat()}),
    ("/api/v1/reports/pnl", {"by": "month", "from": "2026-01-01", "to": END.isoformat()}),
    ("/api/v1/reports/dimensions", {}),
]
SCOPED_TERRITORIES = ("IE", "UK")
FLOOR_COMMAND = [sys.executable, "-m", "uvicorn", "--factory", "api_speed:floor_app", "--log-level", "warning"]


def floor_app() -> object:
    """The floor: FastAPI returning a constant, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/constant")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(lines: int, *, drop: bool) -> tuple[str, dict[str, str]]:
    """A migrated, seeded database and one bearer token per scope: every territory, and two."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from db.engine import make_engine
    from db.migrate import upgrade
    from db.models import SalesLine
    from db.scope import Scope
    from services.auth import create_token
    from services.embedded.demo import DemoPlan, seed_demo
    from services.runtime.settings import Settings

    name = f"glance_bench_api_{lines}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        if drop:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    engine = make_engine(Settings(), url=url)
    upgrade(engine)
    tokens: dict[str, str] = {}
    with Session(engine) as session:
        stored = session.execute(select(func.count()).select_from(SalesLine)).scalar_one()
        if stored not in (0, lines):
            raise SystemExit(f"{name} holds {stored:,} sales lines, not {lines:,}: run again with --drop")
        if not stored:
            started = time.perf_counter()
            seed_demo(session, plan=DemoPlan(lines=lines, end=END))
            print(f"seeded {lines:,} sales lines in {time.perf_counter() - started:.0f} s", flush=True)
        for label, scope in (
            ("every territory", Scope.everything()),
            ("two territories", Scope.only(SCOPED_TERRITORIES)),
        ):
            tokens[label] = create_token(session, name=f"bench-{secrets.token_hex(4)}", role="viewer", scope=scope)
        session.commit()
    engine.dispose()
    return url, tokens


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def serve(command: list[str], port: int, env: dict[str, str], probe: str) -> Served:
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command} exited with code {process.returncode} during start-up")
        try:
            if httpx.get(f"{url}{probe}", timeout=2).status_code == 200:
                return Served(url=url, process=process)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{command} did not start within 120 s")


@dataclass(frozen=True)
class Ask:
    """One request: where, with what, as whom."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]


def one_at_a_time(client: httpx.Client, asks: list[Ask], count: int) -> list[float]:
    """Seconds per request, `count` requests cycling through `asks`."""
    spent = []
    for index in range(count):
        ask = asks[index % len(asks)]
        started = time.perf_counter()
        response = client.get(ask.url, params=ask.params, headers=ask.headers)
        spent.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{ask.url}: HTTP {response.status_code} {response.text[:200]}")
    return spent


async def throughput(asks: list[Ask], count: int, concurrent: int) -> float:
    """Requests per second with `concurrent` in flight."""
    queue = list(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            ask = asks[queue.pop() % len(asks)]
            response = await client.get(ask.url, params=ask.params, headers=ask.headers)
            if response.status_code != 200:
                raise SystemExit(f"{ask.url}: HTTP {response.status_code}")

    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrent)))
        return count / (time.perf_counter() - started)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(0.95 * len(ordered) + 0.5) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per app and way of asking")
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()

    url, tokens = prepare(args.lines, drop=args.drop)
    env = {
        "GLANCE_DATABASE_URL": url,
        "GLANCE_REDIS_URL": REDIS_URL,
        "GLANCE_DATA_DIR": f"/tmp/glance-bench-api-{os.getpid()}",
        "GLANCE_LOG_LEVEL": "WARNING",
        "GLANCE_BACKUP_SCHEDULE": "",
    }
    sync_port, floor_port = free_port(), free_port()
    sync = serve(
        [sys.executable, "-m", "services", "serve", "sync", "--port", str(sync_port)], sync_port, env, "/healthz"
    )
    floor = serve(
        [*FLOOR_COMMAND, "--port", str(floor_port), "--app-dir", os.path.dirname(os.path.abspath(__file__))],
        floor_port,
        env,
        "/constant",
    )
    try:
        floor_asks = [Ask(f"{floor.url}/constant", {}, {})]
        results: dict[str, tuple[list[float], list[float], float, float]] = {}
        with httpx.Client(timeout=30) as client:
            for label, token in tokens.items():
                headers = {"Authorization": f"Bearer {token}"}
                asks = [Ask(f"{sync.url}{path}", params, headers) for path, params in REPORTS]
                one_at_a_time(client, asks, len(asks))  # fill the cache
                one_at_a_time(client, floor_asks, 20)  # warm the floor alike
                mine: list[float] = []
                base: list[float] = []
                for _ in range(4):  # in turns, so the machine's other load weighs on both alike
                    mine += one_at_a_time(client, asks, args.requests // 4)
                    base += one_at_a_time(client, floor_asks, args.requests // 4)
                rate = asyncio.run(throughput(asks, args.requests, args.concurrent))
                floor_rate = asyncio.run(throughput(floor_asks, args.requests, args.concurrent))
                results[label] = (mine, base, rate, floor_rate)
    finally:
        sync.stop()
        floor.stop()

    print(f"\nFigures API from the shared cache (Redis), {args.lines:,} sales lines on Postgres")
    print(f"reports asked in turn: {', '.join(path.rsplit('/', 1)[1] for path, _ in REPORTS)}")
    print(f"{'':40}{'Glance':>10}{'floor':>10}{'ratio':>9}{'target':>9}")
    for label, (mine, base, rate, floor_rate) in results.items():
        for name, value, floor_value in (
            ("median ms", statistics.median(mine) * 1000, statistics.median(base) * 1000),
            ("p95 ms", p95(mine) * 1000, p95(base) * 1000),
        ):
            ratio = value / floor_value
            verdict = "ok" if ratio <= TARGET else "MISSED"
            print(f"{label + ', ' + name:40}{value:10.2f}{floor_value:10.2f}{ratio:8.2f}x{TARGET:7.1f}x  {verdict}")
        ratio = floor_rate / rate
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(
            f"{label + f', req/s at {args.concurrent} in flight':40}{rate:10.0f}{floor_rate:10.0f}"
            f"{ratio:8.2f}x{TARGET:7.1f}x  {verdict}"
        )


if __name__ == "__main__":
    main()
