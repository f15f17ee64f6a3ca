"""How many dashboard sessions one server holds while imports run: ramp until p95 page time passes 3 s or errors.

Run: `.venv/bin/python benchmarks/load.py [--lines 200000] [--max-sessions 16] [--step 1] [--procs 1 2]
     [--time-limit 240] [--no-stop]`

Loopback only, bounded in sessions and time. It seeds a Postgres database (`glance_bench_load_<lines>`,
kept for the next run) with the demo generator, serves the sync service and the dashboard (Redis
cache on), and for each dashboard process count (`GLANCE_DASHBOARD_NUM_PROCS`) ramps headless
Chromium sessions, each signed in and held open. At each level every held session reloads the
At-a-glance page at once and the time to the KPI cards is taken, while a second task uploads a
5,000-line sales file to the sync API every two seconds (each changes figures, so caches turn
over). It prints per level: sessions held, p50/p95 page time, errors, import latency, and the
dashboard's memory per held session (resident memory of all its processes, above idle).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psycopg
from chromium import CHROMIUM, CHROMIUM_ARGS  # benchmarks/ is the script's folder
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GLANCE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
USERNAME = "loadbench"
PAGE_TIMEOUT_S = 30.0
P95_LIMIT_S = 3.0
IMPORT_LINES = 5_000
IMPORT_EVERY_S = 2.0


def prepare(lines: int) -> tuple[str, str, str]:
    """A seeded database, a password for the benchmark user and an analyst token for imports."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from db.engine import make_engine
    from db.migrate import upgrade
    from db.models import ApiToken, SalesLine
    from services.auth import create_token, create_user, get_user, set_password
    from services.embedded.demo import DemoPlan, seed_demo
    from services.runtime.settings import Settings

    name = f"glance_bench_load_{lines}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    engine = make_engine(Settings(), url=url)
    upgrade(engine)
    password = secrets.token_urlsafe(16)
    with Session(engine) as session:
        if not session.execute(select(func.count()).select_from(SalesLine)).scalar_one():
            seed_demo(session, plan=DemoPlan(lines=lines, end=date.today()))
        if get_user(session, username=USERNAME) is None:
            create_user(session, username=USERNAME, role="admin", password=password)
        else:
            set_password(session, username=USERNAME, password=password)
        for old in session.execute(select(ApiToken).where(ApiToken.name == USERNAME)).scalars():
            session.delete(old)
        session.flush()
        token = create_token(session, name=USERNAME, role="analyst")
        session.commit()
    engine.dispose()
    return url, password, token


def import_file(directory: Path, round_: int) -> Path:
    """5,000 lines of one source whose amounts change every round (so each upload updates figures)."""
    path = directory / f"load-{round_}.csv"
    rows = ["external_id,order_id,order_date,territory,channel,units,net_revenue,cogs"]
    today = date.today().isoformat()
    rows += [
        f"L{n},O{n // 2},{today},Load{n % 3},Online,1,{10 + (n + round_) % 90}.00,4.00" for n in range(IMPORT_LINES)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its child processes (the forked Panel workers)."""
    total, pids = 0.0, [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    for each in pids:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0) / 1024
    return total


def p(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


@dataclass
class Imports:
    """Uploads made during a level: latencies and failures."""

    seconds: list[float] = field(default_factory=list)
    errors: int = 0


async def keep_importing(sync_url: str, token: str, directory: Path, sink: list[Imports], stop: asyncio.Event) -> None:
    """Upload a changed sales file every two seconds until stopped; results go to the current level."""
    round_ = 0
    async with httpx.AsyncClient(timeout=120) as client:
        while not stop.is_set():
            file = import_file(directory, round_)
            started = time.perf_counter()
            try:
                response = await client.post(
                    f"{sync_url}/api/v1/imports/sales",
                    headers={"Authorization": f"Bearer {token}"},
                    files={"file": (file.name, file.read_bytes(), "text/csv")},
                    data={"source": "loadbench"},
                )
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            sink[-1].seconds.append(time.perf_counter() - started)
            sink[-1].errors += not ok
            round_ += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=IMPORT_EVERY_S)


async def open_session(browser: Browser, url: str, cookie: dict[str, str]) -> Page:
    """A signed-in tab on the At-a-glance page, held open."""
    context: BrowserContext = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    await context.add_cookies([cookie])
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
    await page.goto(url, wait_until="commit")
    await page.locator(".cards[data-loaded]").wait_for(state="visible")
    return page


async def page_time(page: Page) -> float:
    """Seconds from reload to the KPI cards filled."""
    started = time.perf_counter()
    await page.reload(wait_until="commit")
    await page.locator(".cards[data-loaded]").wait_for(state="visible")
    return time.perf_counter() - started


@dataclass
class Level:
    """What one ramp level measured."""

    sessions: int
    times: list[float]
    errors: int
    imports: Imports
    memory_per_session_mb: float


async def ramp(
    url: str, cookie: dict[str, str], pid: int, sync_url: str, token: str, args: argparse.Namespace
) -> list[Level]:
    """Add sessions step by step; at each level reload all at once; stop at p95 > 3 s, errors, or the limits."""
    levels: list[Level] = []
    directory = Path(tempfile.mkdtemp(prefix="glance-load-"))
    deadline = time.monotonic() + args.time_limit
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = [await open_session(browser, url, cookie)]  # warm-up: imports and caches in the server
        await pages[0].context.close()
        pages.clear()
        await asyncio.sleep(2)
        idle = rss_mb(pid)
        sink = [Imports()]
        stop = asyncio.Event()
        importer = asyncio.create_task(keep_importing(sync_url, token, directory, sink, stop))
        held = 0
        while held < args.max_sessions and time.monotonic() < deadline:
            target = min(held + args.step if held else 1, args.max_sessions)
            errors = 0
            opened = await asyncio.gather(
                *(open_session(browser, url, cookie) for _ in range(target - held)), return_exceptions=True
            )
            pages += [o for o in opened if isinstance(o, Page)]
            errors += sum(not isinstance(o, Page) for o in opened)
            held = len(pages)
            sink.append(Imports())
            timed = await asyncio.gather(*(page_time(page) for page in pages), return_exceptions=True)
            times = [t for t in timed if isinstance(t, float)]
            errors += len(timed) - len(times)
            memory = (rss_mb(pid) - idle) / held if held else math.nan
            level = Level(
                sessions=held,
                times=times,
                errors=errors + sink[-1].errors,
                imports=sink[-1],
                memory_per_session_mb=memory,
            )
            levels.append(level)
            print(describe(level), flush=True)
            if (level.errors or p(times, 0.95) > P95_LIMIT_S) and not args.no_stop:
                break
        stop.set()
        await importer
        await browser.close()
    return levels


def describe(level: Level) -> str:
    """One line of the results table."""
    imports = level.imports.seconds
    return (
        f"{level.sessions:>8} {p(level.times, 0.5):>8.2f} {p(level.times, 0.95):>8.2f} {level.errors:>7} "
        f"{len(imports):>8} {statistics.median(imports) if imports else math.nan:>10.2f} "
        f"{level.memory_per_session_mb:>10.1f}"
    )


def start_service(name: str, port: int, env: dict[str, str], probe: str) -> object:
    """`glance serve NAME` on loopback, waited for."""
    from services.embedded.supervisor import start_child, wait_ready

    child = start_child(name, port=port, probe=probe, env=env)
    wait_ready([child], timeout_s=120)
    return child


async def main_async(args: argparse.Namespace) -> None:
    from services.embedded.supervisor import stop_children
    from tests.dashboard.served import free_port

    url, password, token = prepare(args.lines)
    base_env = {
        "GLANCE_DATABASE_URL": url,
        "GLANCE_REDIS_URL": REDIS_URL,
        "GLANCE_DATA_DIR": tempfile.mkdtemp(prefix="glance-load-data-"),
        "GLANCE_SECRET_KEY": secrets.token_urlsafe(32),
        "GLANCE_LOG_LEVEL": "WARNING",
        "GLANCE_SCHEDULER_ENABLED": "false",
    }
    sync_port = free_port()
    sync = start_service("sync", sync_port, base_env, "/healthz")
    summary: list[str] = []
    try:
        for procs in args.procs:
            port = free_port()
            dashboard = start_service(
                "dashboard", port, {**base_env, "GLANCE_DASHBOARD_NUM_PROCS": str(procs)}, "/liveness"
            )
            try:
                login = httpx.post(
                    f"http://127.0.0.1:{port}/login",
                    data={"username": USERNAME, "password": password},
                    follow_redirects=False,
                )
                cookie = {"name": "user", "value": login.cookies["user"], "url": f"http://127.0.0.1:{port}"}
                print(
                    f"\n{args.lines:,} lines on Postgres, Redis cache, {procs} dashboard process(es), "
                    f"imports every {IMPORT_EVERY_S:.0f} s"
                )
                print(
                    f"{'sessions':>8} {'p50 s':>8} {'p95 s':>8} {'errors':>7} {'imports':>8} "
                    f"{'import s':>10} {'MB/sess':>10}"
                )
                levels = await ramp(
                    f"http://127.0.0.1:{port}/",
                    cookie,
                    dashboard.process.pid,
                    f"http://127.0.0.1:{sync_port}",
                    token,
                    args,
                )
            finally:
                stop_children([dashboard])
            held = [lv for lv in levels if not lv.errors and p(lv.times, 0.95) <= P95_LIMIT_S]
            best = held[-1] if held else None
            summary.append(
                f"{procs} process(es): {best.sessions if best else 0} sessions held with p95 <= {P95_LIMIT_S:.0f} s"
                + (
                    f" (p50 {p(best.times, 0.5):.2f} s, p95 {p(best.times, 0.95):.2f} s, "
                    f"{best.memory_per_session_mb:.0f} MB/session)"
                    if best
                    else ""
                )
            )
    finally:
        stop_children([sync])
    print("\n" + "\n".join(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="sales lines to seed")
    parser.add_argument("--max-sessions", type=int, default=16, help="stop ramping here")
    parser.add_argument("--step", type=int, default=1, help="sessions added per level after the first")
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2], help="dashboard process counts to measure")
    parser.add_argument("--time-limit", type=float, default=240, help="seconds of ramping per process count")
    parser.add_argument("--no-stop", action="store_true", help="keep ramping past the p95 limit (to see the curve)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
