"""Embedded mode on a read-only or full data folder: a clear error, and the database exactly as it was.

The data folder is a small tmpfs of the test's own (remounted read-only, or too small for the
import), so even root gets EROFS/ENOSPC. Without the right to mount, the tests skip saying so.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sync.conftest import sales_rows, write_csv

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class DataFolder:
    """A mounted data folder holding a migrated database with 100 imported lines."""

    path: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GLANCE_DATA_DIR": str(self.path),
            "GLANCE_DATABASE_URL": f"sqlite:///{self.path / 'glance.db'}",
            "GLANCE_REDIS_URL": "",
            "COLUMNS": "200",
        }

    def glance(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services", *args], env=self.env, capture_output=True, text=True, timeout=300
        )

    def digest(self) -> str:
        return hashlib.sha256((self.path / "glance.db").read_bytes()).hexdigest()


def _mount(path: Path, size: str) -> None:
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}); read-only and full disks untested")


@pytest.fixture
def data_folder(tmp_path: Path) -> Iterator[DataFolder]:
    """A 3 MB tmpfs data folder with a migrated database holding one import; unmounted afterwards."""
    built = DataFolder(tmp_path / "build")
    built.path.mkdir()
    assert built.glance("db", "upgrade").returncode == 0
    assert built.glance("import", "sales", str(write_csv(tmp_path / "base.csv", sales_rows(100)))).returncode == 0
    with closing(sqlite3.connect(built.path / "glance.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = DataFolder(tmp_path / "data")
    _mount(folder.path, "3m")
    try:
        (folder.path / "glance.db").write_bytes((built.path / "glance.db").read_bytes())
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder.path)], check=False)


def _contents(folder: DataFolder) -> tuple[str, int, str]:
    # closing(): a connection left open keeps the mount busy, and a remount read-only then fails.
    with closing(sqlite3.connect(f"file:{folder.path / 'glance.db'}?mode=ro", uri=True)) as db:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        lines = db.execute("SELECT count(*) FROM sales_line").fetchone()[0]
        total = db.execute("SELECT sum(net_revenue) FROM sales_line").fetchone()[0]
    return check, lines, str(total)


def test_an_import_into_a_read_only_data_folder_says_so_and_changes_nothing(
    data_folder: DataFolder, tmp_path: Path
) -> None:
    before, contents = data_folder.digest(), _contents(data_folder)
    subprocess.run(["mount", "-o", "remount,ro", str(data_folder.path)], check=True)
    more = write_csv(tmp_path / "more.csv", sales_rows(2000, start=1000))

    refused = data_folder.glance("import", "sales", str(more))

    assert refused.returncode == 1
    assert "the database cannot be written" in refused.stderr and "GLANCE_DATA_DIR" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert data_folder.digest() == before and _contents(data_folder) == contents


def test_an_import_that_fills_the_disk_fails_cleanly_and_the_database_stays_whole(
    data_folder: DataFolder, tmp_path: Path
) -> None:
    contents = _contents(data_folder)
    more = write_csv(tmp_path / "more.csv", sales_rows(30_000, start=1000))  # needs more than the 3 MB folder has

    failed = data_folder.glance("import", "sales", str(more), "--format", "json")

    assert failed.returncode == 1
    assert "database or disk is full" in failed.stdout and "nothing was stored" in failed.stdout
    assert _contents(data_folder) == contents
    assert contents[0] == "ok"
    runs = data_folder.glance("report", "sales", "--by", "territory", "--format", "json")
    assert runs.returncode == 0  # still readable, with the figures it had
    # Once space is freed, the same import goes through.
    subprocess.run(["mount", "-o", "remount,size=64m", str(data_folder.path)], check=True)
    assert data_folder.glance("import", "sales", str(more)).returncode == 0
    assert _contents(data_folder)[1] == 100 + 30_000
