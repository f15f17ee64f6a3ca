"""How fast the dashboard shows its answer, as a ratio to a bare Panel page served the same way.

Run: `.venv/bin/python benchmarks/dashboard_speed.py [--lines 10000000] [--sessions 5] [--concurrent 10] [--drop]`

It seeds a Postgres database (`glance_bench_dash_<lines>`, kept for the next run unless `--drop`)
with the demo generator, serves Glance (`glance serve dashboard`) and, in the same run and the same
way, a floor: a bare Panel page with one Markdown pane. Headless Chromium (Debian's) then measures
navigation-to-visible, each session in a fresh browser context (cold browser cache):
(a) the status banner, (b) all KPI cards filled, (c) all charts drawn; the floor's single time
stands for all three. First the median of `--sessions` sessions one after another, then
`--concurrent` sessions at once (p95 time-to-banner), and the server's memory per extra session.
The Glance session is signed in before the clock starts (the cookie is set in the context), so
the login form is not timed. The issue's full size is `--lines 10000000`; the default is smaller
so a run takes minutes on a small machine.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psycopg
from playwright.async_api import Browser, BrowserContext, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERNAME = "bench"
TIMEOUT_MS = 120_000
TARGETS = {"banner": 1.5, "cards": 2.0, "charts": 3.0}
FLOOR_TEXT = "Floor ready"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_floor(port: int) -> None:
    """The floor: one Markdown pane, served by `pn.serve` with the same options Glance uses."""
    import panel as pn

    pn.serve(
        {"/": lambda: pn.pane.Markdown(f"# {FLOOR_TEXT}")},
        address="127.0.0.1",
        port=port,
        show=False,
        liveness=True,
        title="Floor",
        websocket_origin=[f"127.0.0.1:{port}"],
    )


def prepare_database(lines: int, *, drop: bool) -> tuple[str, str]:
    """A migrated, seeded database ending today, and a fresh password for the benchmark user."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from db.engine import make_engine
    from db.migrate import upgrade
    from db.models import SalesLine
    from services.auth import create_user, get_user, set_password
    from services.demo import DemoPlan, seed_demo
    from services.settings import Settings

    name = f"glance_bench_dash_{lines}"
    base = ADMIN_URL.rpartition("/")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        if drop:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    engine = make_engine(Settings(), url=url)
    upgrade(engine)
    password = secrets.token_urlsafe(16)
    with Session(engine) as session:
        if not session.execute(select(func.count()).select_from(SalesLine)).scalar_one():
            started = time.perf_counter()
            seed_demo(session, plan=DemoPlan(lines=lines, end=date.today()))
            print(f"seeded {lines:,} sales lines in {time.perf_counter() - started:.0f} s", flush=True)
        if get_user(session, username=USERNAME) is None:
            create_user(session, username=USERNAME, role="admin", password=password, display_name="Benchmark")
        else:
            set_password(session, username=USERNAME, password=password)
        session.commit()
    engine.dispose()
    return url, password


@dataclass
class Server:
    """A served app in a subprocess."""

    name: str
    url: str
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        """Resident memory of the server process."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return math.nan

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, command: list[str], port: int, env: dict[str, str]) -> Server:
    """Start a server and wait until `/liveness` answers."""
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with code {process.returncode} during start-up")
        try:
            if httpx.get(f"{url}/liveness", timeout=2).status_code == 200:
                return Server(name=name, url=url, process=process)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{name} did not start within 120 s")


@dataclass
class Timing:
    """Seconds from navigation to each part being visible."""

    banner: float
    cards: float
    charts: float


@dataclass
class Results:
    """Every session's timings for one app."""

    sequential: list[Timing] = field(default_factory=list)
    concurrent: list[Timing] = field(default_factory=list)
    timed_out: int = 0
    rss_before_mb: float = 0.0
    rss_open_mb: float = 0.0


def login_cookie(server: Server, password: str) -> dict[str, str]:
    """Sign in once over HTTP and return the signed `user` cookie for browser contexts."""
    response = httpx.post(f"{server.url}/login", data={"username": USERNAME, "password": password}, follow_redirects=False)
    if response.status_code != 302 or "user" not in response.cookies:
        raise SystemExit(f"benchmark login failed: HTTP {response.status_code}")
    return {"name": "user", "value": response.cookies["user"], "url": server.url}


async def glance_session(browser: Browser, server: Server, cookie: dict[str, str], hold: list[BrowserContext]) -> Timing:
    """One cold session of Glance's home page: banner, then cards, then both charts."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    await context.add_cookies([cookie])
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    await page.goto(server.url, wait_until="commit")
    await page.locator(".glance-banner .banner").wait_for(state="visible")
    banner = time.perf_counter() - started
    await page.locator(".cards[data-loaded]").wait_for(state="visible")
    cards = time.perf_counter() - started
    for index in range(2):
        await page.locator(".glance-chart").nth(index).locator("canvas").first.wait_for(state="visible")
    charts = time.perf_counter() - started
    hold.append(context)
    return Timing(banner=banner, cards=cards, charts=charts)


async def floor_session(browser: Browser, server: Server, _cookie: dict[str, str], hold: list[BrowserContext]) -> Timing:
    """One cold session of the floor: its one Markdown pane."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    started = time.perf_counter()
    await page.goto(server.url, wait_until="commit")
    await page.get_by_text(FLOOR_TEXT).wait_for(state="visible")
    shown = time.perf_counter() - started
    hold.append(context)
    return Timing(banner=shown, cards=shown, charts=shown)


async def measure(browser: Browser, server: Server, cookie: dict[str, str], session, *, sessions: int, concurrent: int) -> Results:  # type: ignore[no-untyped-def]
    """Warm-up, then sequential cold sessions, then concurrent ones (held open to read memory)."""
    results = Results()
    hold: list[BrowserContext] = []
    await session(browser, server, cookie, hold)  # warm-up: server-side imports and caches, not counted
    for context in hold:
        await context.close()
    hold.clear()

    async def timed() -> Timing | None:
        try:
            return await session(browser, server, cookie, hold)
        except PlaywrightTimeout:
            results.timed_out += 1  # counted and reported, so one stuck session does not void the run
            return None

    for _ in range(sessions):
        found = await timed()
        if found is not None:
            results.sequential.append(found)
        for context in hold:
            await context.close()
        hold.clear()
    await asyncio.sleep(2)
    results.rss_before_mb = server.rss_mb()
    results.concurrent = [t for t in await asyncio.gather(*(timed() for _ in range(concurrent))) if t is not None]
    results.rss_open_mb = server.rss_mb()
    for context in hold:
        await context.close()
    return results


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def report(glance: Results, floor: Results, *, lines: int, concurrent: int) -> None:
    """Print medians, ratios to the floor and the targets."""
    print(f"\nDashboard speed, {lines:,} sales lines on Postgres; seconds from navigation to visible")
    print(f"{'':28}{'Glance':>10}{'floor':>10}{'ratio':>9}{'target':>9}")
    floor_median = statistics.median(t.banner for t in floor.sequential)
    for part in ("banner", "cards", "charts"):
        value = statistics.median(getattr(t, part) for t in glance.sequential)
        ratio = value / floor_median
        verdict = "ok" if ratio <= TARGETS[part] else "MISSED"
        print(f"{part + ' (median, cold)':28}{value:10.2f}{floor_median:10.2f}{ratio:8.2f}x{TARGETS[part]:7.1f}x  {verdict}")
    glance_p95 = p95([t.banner for t in glance.concurrent])
    floor_p95 = p95([t.banner for t in floor.concurrent])
    ratio = glance_p95 / floor_p95
    verdict = "ok" if ratio <= TARGETS["banner"] else "MISSED"
    print(f"{f'banner p95, {concurrent} at once':28}{glance_p95:10.2f}{floor_p95:10.2f}{ratio:8.2f}x{TARGETS['banner']:7.1f}x  {verdict}")
    for name, found in (("Glance", glance), ("floor", floor)):
        if found.timed_out:
            print(f"{name}: {found.timed_out} session(s) timed out after {TIMEOUT_MS / 1000:.0f} s and are left out")
        per_session = (found.rss_open_mb - found.rss_before_mb) / concurrent
        print(
            f"{name} server memory: {found.rss_before_mb:.0f} MB idle, {found.rss_open_mb:.0f} MB with "
            f"{concurrent} sessions open: {per_session:.1f} MB per extra session"
        )


async def run(args: argparse.Namespace) -> None:
    url, password = prepare_database(args.lines, drop=args.drop)
    glance_port, floor_port = free_port(), free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="glance-bench-"))
    env = {
        "GLANCE_DATABASE_URL": url,
        "GLANCE_REDIS_URL": "",
        "GLANCE_DATA_DIR": str(data_dir),
        "GLANCE_SECRET_KEY": secrets.token_urlsafe(32),
        "GLANCE_LOG_LEVEL": "WARNING",
    }
    glance = start("glance", [sys.executable, "-m", "services", "serve", "dashboard", "--port", str(glance_port)], glance_port, env)
    floor = start("floor", [sys.executable, __file__, "--serve-floor", str(floor_port)], floor_port, env)
    try:
        cookie = login_cookie(glance, password)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            floor_results = await measure(browser, floor, cookie, floor_session, sessions=args.sessions, concurrent=args.concurrent)
            glance_results = await measure(browser, glance, cookie, glance_session, sessions=args.sessions, concurrent=args.concurrent)
            await browser.close()
    finally:
        glance.stop()
        floor.stop()
    report(glance_results, floor_results, lines=args.lines, concurrent=args.concurrent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="sales lines to seed (the issue's size: 10000000)")
    parser.add_argument("--sessions", type=int, default=5, help="cold sessions one after another")
    parser.add_argument("--concurrent", type=int, default=10, help="sessions at once")
    parser.add_argument("--drop", action="store_true", help="drop and reseed the benchmark database")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
