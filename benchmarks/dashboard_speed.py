"""How fast the dashboard shows its answer, as a ratio to a bare Panel page served the same way.

Run: `.venv/bin/python benchmarks/dashboard_speed.py [--lines N] [--sessions 5] [--concurrent 10] [--bursts 2] [--drop]`

It seeds a Postgres database (`glance_bench_dash_<lines>`, kept and reused by the next run when it
holds exactly that many lines; `--drop` reseeds) with the demo generator, serves Glance
(`glance serve dashboard`) and, in the same run and the same way, a floor: a bare Panel page with
one Markdown pane. Headless Chromium (Debian's) then measures navigation-to-visible, each session
in a fresh browser context (cold browser cache): (a) the status banner, (b) all KPI cards filled,
(c) all charts drawn; the floor's single time stands for all three. First the median of
`--sessions` sessions one after another, then p95 time-to-banner over `--bursts` bursts of
`--concurrent` sessions at once, and the server's memory per extra session. A third app in the
turns is Glance again for a user scoped to two territories (UK and IE, a territory manager): its
times are also given as a ratio to the unscoped user's (target 1.1x). The two apps are
measured in turns (session by session, burst by burst), so the load other jobs put on a shared
machine weighs on both alike. The Glance session is signed in before the clock starts (the
cookie is set in the context), so the login form is not timed. The default is the issue's size,
10,000,000 lines (seeding took 7 minutes and 2.2 GB of disk here; later runs reuse the
database); `--lines 1000000` is quicker.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import psycopg
from chromium import CHROMIUM, CHROMIUM_ARGS  # benchmarks/ is the script's folder
from playwright.async_api import Browser, BrowserContext, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
USERNAME = "bench"
SCOPED_USERNAME = "bench-scoped"
SCOPED_TERRITORIES = ("IE", "UK")
SCOPED_TARGET = 1.1
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
    from db.scope import Scope
    from services.auth import create_user, get_user, set_password
    from services.embedded.demo import DemoPlan, seed_demo
    from services.runtime.settings import Settings

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
        stored = session.execute(select(func.count()).select_from(SalesLine)).scalar_one()
        if stored not in (0, lines):
            engine.dispose()
            raise SystemExit(f"{name} holds {stored:,} sales lines, not {lines:,}: run again with --drop to reseed it")
        if stored:
            print(f"reusing {name} ({stored:,} sales lines)", flush=True)
        else:
            started = time.perf_counter()
            seed_demo(session, plan=DemoPlan(lines=lines, end=date.today()))
            print(f"seeded {lines:,} sales lines in {time.perf_counter() - started:.0f} s", flush=True)
        for username, role, scope in (
            (USERNAME, "admin", Scope.everything()),
            (SCOPED_USERNAME, "viewer", Scope.only(SCOPED_TERRITORIES)),
        ):
            if get_user(session, username=username) is None:
                create_user(session, username=username, role=role, password=password, scope=scope)
            else:
                set_password(session, username=username, password=password)
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


def login_cookie(server: Server, password: str, username: str = USERNAME) -> dict[str, str]:
    """Sign in once over HTTP and return the signed `user` cookie for browser contexts."""
    response = httpx.post(
        f"{server.url}/login", data={"username": username, "password": password}, follow_redirects=False
    )
    if response.status_code != 302 or "user" not in response.cookies:
        raise SystemExit(f"benchmark login failed: HTTP {response.status_code}")
    return {"name": "user", "value": response.cookies["user"], "url": server.url}


async def glance_session(
    browser: Browser, server: Server, cookie: dict[str, str], hold: list[BrowserContext]
) -> Timing:
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


async def floor_session(
    browser: Browser, server: Server, _cookie: dict[str, str], hold: list[BrowserContext]
) -> Timing:
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


@dataclass
class App:
    """One served app under measurement: how to open a session of it, and what was measured."""

    server: Server
    session: Callable[[Browser, Server, dict[str, str], list[BrowserContext]], Awaitable[Timing]]
    cookie: dict[str, str]
    results: Results = field(default_factory=Results)
    hold: list[BrowserContext] = field(default_factory=list)

    async def timed(self, browser: Browser) -> Timing | None:
        """One session; a timeout is counted and reported, so one stuck session does not void the run."""
        try:
            return await self.session(browser, self.server, self.cookie, self.hold)
        except PlaywrightTimeout:
            self.results.timed_out += 1
            return None

    async def close(self) -> None:
        """Close the sessions held open."""
        for context in self.hold:
            await context.close()
        self.hold.clear()

    async def burst(self, browser: Browser, count: int) -> None:
        """`count` sessions at once, held open to read the server's memory with them."""
        await asyncio.sleep(2)
        before = self.server.rss_mb()
        found = await asyncio.gather(*(self.timed(browser) for _ in range(count)))
        if not self.results.rss_before_mb:  # the first burst: later ones start on memory the first left behind
            self.results.rss_before_mb, self.results.rss_open_mb = before, self.server.rss_mb()
        self.results.concurrent += [t for t in found if t is not None]
        await self.close()


async def measure(browser: Browser, apps: list[App], *, sessions: int, concurrent: int, bursts: int) -> None:
    """The apps in turns, so the machine's other load weighs on all alike.

    A warm-up session each (server-side imports and caches, not counted), then cold sessions one
    at a time, each turn in the reverse order of the one before, then bursts of `concurrent`
    sessions in the same alternating order.
    """
    for app in apps:
        await app.session(browser, app.server, app.cookie, app.hold)
        await app.close()
    for turn in range(sessions):
        for app in apps if turn % 2 == 0 else apps[::-1]:
            found = await app.timed(browser)
            if found is not None:
                app.results.sequential.append(found)
            await app.close()
    for turn in range(bursts):
        for app in apps if turn % 2 == 0 else apps[::-1]:
            await app.burst(browser, concurrent)


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def row(label: str, glance_s: float, floor_s: float, target: float) -> None:
    """One line of the table: both times, their ratio and whether it meets the target."""
    ratio = glance_s / floor_s
    verdict = "ok" if ratio <= target else "MISSED"
    print(f"{label:28}{glance_s:10.2f}{floor_s:10.2f}{ratio:8.2f}x{target:7.1f}x  {verdict}")


def report(glance: Results, floor: Results, scoped: Results, *, lines: int, concurrent: int) -> None:
    """Print medians, ratios to the floor and the targets, then the scoped user's against the unscoped."""
    print(f"\nDashboard speed, {lines:,} sales lines on Postgres; seconds from navigation to visible")
    print(f"{'':28}{'Glance':>10}{'floor':>10}{'ratio':>9}{'target':>9}")
    floor_median = statistics.median(t.banner for t in floor.sequential)
    for part in ("banner", "cards", "charts"):
        value = statistics.median(getattr(t, part) for t in glance.sequential)
        row(f"{part} (median, cold)", value, floor_median, TARGETS[part])
    glance_p95 = p95([t.banner for t in glance.concurrent])
    floor_p95 = p95([t.banner for t in floor.concurrent])
    row(f"banner p95, {concurrent} at once", glance_p95, floor_p95, TARGETS["banner"])
    print(f"\nA user of {', '.join(SCOPED_TERRITORIES)} against a user of every territory")
    print(f"{'':28}{'scoped':>10}{'all':>10}{'ratio':>9}{'target':>9}")
    for part in ("banner", "cards", "charts"):
        mine = statistics.median(getattr(t, part) for t in scoped.sequential)
        every = statistics.median(getattr(t, part) for t in glance.sequential)
        row(f"{part} (median, cold)", mine, every, SCOPED_TARGET)
    scoped_p95 = p95([t.banner for t in scoped.concurrent])
    row(f"banner p95, {concurrent} at once", scoped_p95, glance_p95, SCOPED_TARGET)
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
    glance = start(
        "glance", [sys.executable, "-m", "services", "serve", "dashboard", "--port", str(glance_port)], glance_port, env
    )
    floor = start("floor", [sys.executable, __file__, "--serve-floor", str(floor_port)], floor_port, env)
    try:
        cookie = login_cookie(glance, password)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            glance_app = App(server=glance, session=glance_session, cookie=cookie)
            floor_app = App(server=floor, session=floor_session, cookie=cookie)
            scoped_app = App(
                server=glance, session=glance_session, cookie=login_cookie(glance, password, SCOPED_USERNAME)
            )
            await measure(
                browser,
                [floor_app, glance_app, scoped_app],
                sessions=args.sessions,
                concurrent=args.concurrent,
                bursts=args.bursts,
            )
            await browser.close()
    finally:
        glance.stop()
        floor.stop()
    report(glance_app.results, floor_app.results, scoped_app.results, lines=args.lines, concurrent=args.concurrent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000, help="sales lines to seed (default: the issue's size)")
    parser.add_argument("--sessions", type=int, default=5, help="cold sessions one after another")
    parser.add_argument("--concurrent", type=int, default=10, help="sessions at once")
    parser.add_argument("--bursts", type=int, default=2, help="bursts of --concurrent sessions per app")
    parser.add_argument("--drop", action="store_true", help="drop and reseed the benchmark database")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
