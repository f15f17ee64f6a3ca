"""How fast `glance import sales` is against the floor (`psql \\copy`) and a naive pandas load.

Run: `.venv/bin/python benchmarks/import_speed.py [--lines 1000000] [--big-lines 3000000]`

In a throwaway Postgres database it creates and drops, it times (a) `psql \\copy` of the file
into an equivalent bare table, (b) `glance import sales` end to end (validate, merge, rollups,
data version) in a subprocess, (c) pandas `read_csv` + `to_sql(method="multi")` on a 100,000-line
slice, scaled to the full size, and (d) the same file imported again into the same source
(every line compared, none changed), and (e) `psql \\copy` into the bare table with a unique key
on external_id, the least any table that refuses duplicates costs. It prints b/a, c/b, d/a,
e/a, b/e and the peak memory of (b) at both sizes. Each timed step starts after a CHECKPOINT.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg
from sqlalchemy import create_engine

ADMIN_URL = os.environ.get("GLANCE_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HEADER = "external_id,order_id,order_date,territory,channel,product,category,units,net_revenue,cogs,currency\n"
BARE_TABLE = """CREATE TABLE bare_sales (external_id text, order_id text, order_date date, territory text,
channel text, product text, category text, units integer, net_revenue numeric(18,2), cogs numeric(18,2),
currency text)"""


@dataclass(frozen=True)
class Timing:
    """Seconds taken and peak resident memory (MiB) of one measured step."""

    seconds: float
    peak_mib: float = 0.0


def generate(path: Path, lines: int, *, seed: int = 7) -> None:
    """A sales CSV of `lines` lines over two years, five territories, three channels."""
    rng = random.Random(seed)
    territories = ["UK", "France", "Germany", "Spain", "Italy"]
    channels = ["Online", "Retail", "Wholesale"]
    categories = ["Gadgets", "Gizmos", "Widgets", "Doohickeys"]
    start = date(2024, 1, 1)
    days = [(start + timedelta(days=d)).isoformat() for d in range(730)]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        chunk: list[str] = []
        for n in range(lines):
            units = rng.randint(1, 9)
            price = rng.randint(199, 9999)
            chunk.append(
                f"L{n},O{n // 3},{days[n * 7 % 730]},{territories[n % 5]},{channels[n % 3]},P{n % 500},"
                f"{categories[n % 4]},{units},{units * price / 100:.2f},{units * price * 0.6 / 100:.2f},GBP\n"
            )
            if len(chunk) == 100_000:
                handle.write("".join(chunk))
                chunk = []
        handle.write("".join(chunk))


def time_copy(url: str, path: Path, *, keyed: bool = False) -> Timing:
    """(a) psql \\copy into a bare table; with `keyed`, (e): into one with a unique key on external_id.

    (e) is what any table that can refuse a duplicate line pays: the same COPY, plus a B-tree.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_sales")
        conn.execute(BARE_TABLE)
        if keyed:
            conn.execute("ALTER TABLE bare_sales ADD UNIQUE (external_id)")
    quiet_server(url)
    started = time.perf_counter()
    subprocess.run(
        ["psql", url, "-q", "-c", f"\\copy bare_sales FROM '{path}' WITH (FORMAT csv, HEADER true)"], check=True
    )
    seconds = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bare_sales")  # no autovacuum of it left to run during the next measurement
    return Timing(seconds)


def quiet_server(url: str) -> None:
    """Write out what earlier steps left in shared buffers, so no step pays for the one before it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def time_glance(url: str, path: Path, data_dir: Path) -> Timing:
    """(b) `glance import sales` end to end, in its own process so its peak memory is its own.

    Run again with the same file, it times (d): the same source re-imported, every line compared
    with the stored one (the merge path) and found unchanged.
    """
    env = dict(os.environ, GLANCE_DATABASE_URL=url, GLANCE_DATA_DIR=str(data_dir), GLANCE_LOG_LEVEL="WARNING")
    glance = Path(sys.executable).with_name("glance")
    quiet_server(url)
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [str(glance), "import", "sales", str(path), "--source", f"bench-{path.stem}", "--format", "json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        print(f"  note: peak RSS of this run did not exceed an earlier child's ({before / 1024:.0f} MiB)")
    return Timing(seconds, peak / 1024)


def time_pandas(url: str, path: Path, *, lines: int, slice_lines: int = 100_000) -> Timing:
    """(c) pandas read_csv + to_sql(method="multi") on a slice, scaled to `lines`."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    quiet_server(url)
    started = time.perf_counter()
    frame = pd.read_csv(path, nrows=slice_lines)
    frame.to_sql("pandas_sales", engine, if_exists="replace", index=False, method="multi", chunksize=1000)
    seconds = time.perf_counter() - started
    engine.dispose()
    return Timing(seconds * lines / slice_lines)


def measure_peak(url: str, path: Path, data_dir: Path) -> float:
    """Peak RSS (MiB) of one `glance import sales` in a fresh child process, via /usr/bin/time when present."""
    env = dict(os.environ, GLANCE_DATABASE_URL=url, GLANCE_DATA_DIR=str(data_dir), GLANCE_LOG_LEVEL="WARNING")
    glance = Path(sys.executable).with_name("glance")
    code = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(glance), "import", "sales", str(path), "--source", f"peak-{path.stem}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    """Create a throwaway database, run the three measurements, print the ratios, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--big-lines", type=int, default=3_000_000)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/glance-bench"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    name = f"glance_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = ADMIN_URL.rpartition("/")
    url = f"{base}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = dict(os.environ, GLANCE_DATABASE_URL=url, GLANCE_DATA_DIR=str(args.work_dir / "data"))
        subprocess.run(
            [str(Path(sys.executable).with_name("glance")), "db", "upgrade"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        small, big = args.work_dir / f"sales_{args.lines}.csv", args.work_dir / f"sales_{args.big_lines}.csv"
        for path, lines in ((small, args.lines), (big, args.big_lines)):
            if not path.exists():
                print(f"generating {lines:,} lines -> {path}")
                generate(path, lines)
        a = time_copy(url, small)
        print(f"(a) psql \\copy {args.lines:,} lines: {a.seconds:.2f} s")
        e = time_copy(url, small, keyed=True)
        print(f"(e) psql \\copy {args.lines:,} lines into a table with a unique key: {e.seconds:.2f} s")
        b = time_glance(url, small, args.work_dir / "data")
        print(f"(b) glance import sales {args.lines:,} lines: {b.seconds:.2f} s")
        d = time_glance(url, small, args.work_dir / "data")
        print(f"(d) the same file again, {args.lines:,} lines compared and unchanged: {d.seconds:.2f} s")
        c = time_pandas(url, small, lines=args.lines)
        print(f"(c) pandas read_csv + to_sql(multi), scaled to {args.lines:,} lines: {c.seconds:.2f} s")
        peak_small = measure_peak(url, small, args.work_dir / "data")
        peak_big = measure_peak(url, big, args.work_dir / "data")
        print(
            f"peak RSS of (b): {peak_small:.0f} MiB at {args.lines:,} lines, {peak_big:.0f} MiB at {args.big_lines:,}"
        )
        print(f"b/a = {b.seconds / a.seconds:.2f} (target <= 2.0)")
        print(f"c/b = {c.seconds / b.seconds:.1f} (target >= 30)")
        print(f"d/a = {d.seconds / a.seconds:.2f} (re-import of an unchanged file; no target)")
        print(f"e/a = {e.seconds / a.seconds:.2f} (the unique key alone, without any of Glance's work)")
        print(f"b/e = {b.seconds / e.seconds:.2f} (Glance against the keyed floor; no target)")
        print(f"peak {args.big_lines:,} / peak {args.lines:,} = {peak_big / peak_small:.2f} (target <= 1.3)")
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
