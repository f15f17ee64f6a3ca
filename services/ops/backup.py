"""Backups: `pg_dump -Fc` on Postgres, the online backup API on SQLite, each with a SHA-256 file.

An archive is named `glance-<UTC time>-v<version>-dv<data version>-r<schema revision>.<dump|sqlite>`
and sits beside `<archive>.sha256` (the `sha256sum -c` format). Restore checks the checksum before
it touches anything, replaces the database in one transaction, then migrates it to head.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from db.data_version import current_data_version
from db.migrate import SchemaStatus, current_revision, head_revision, upgrade
from services import __version__
from services.runtime.digests import sha256_file
from services.runtime.errors import GlanceError
from services.runtime.settings import Settings

_NAME = re.compile(
    r"^glance-(?P<stamp>\d{8}T\d{6}Z)-v(?P<version>[0-9A-Za-z.+]+)-dv(?P<data_version>\d+)"
    r"-r(?P<revision>[0-9A-Za-z_]+)\.(?P<ext>dump|sqlite)$"
)
_STAMP = "%Y%m%dT%H%M%SZ"
log = structlog.get_logger(__name__)


class BackupError(GlanceError):
    """A backup or restore cannot go ahead; names the problem and the fix."""

    def __init__(self, problem: str, *, fix: str) -> None:
        super().__init__(problem, fix=fix)


@dataclass(frozen=True)
class BackupInfo:
    """One archive, as its name describes it."""

    path: Path
    created_at: datetime
    version: str
    data_version: int
    revision: str
    backend: str
    size: int

    @property
    def checksum_path(self) -> Path:
        return self.path.with_name(self.path.name + ".sha256")


@dataclass(frozen=True)
class RestoreResult:
    """What a restore left in the database."""

    backup: BackupInfo
    data_version: int
    revision: str


@dataclass(frozen=True)
class PruneResult:
    """Archives kept and removed by a prune."""

    kept: list[BackupInfo]
    removed: list[BackupInfo]


def backup_directory(settings: Settings) -> Path:
    """Where backups are written: `GLANCE_BACKUP_DIR`, or `backups/` in the data dir."""
    return settings.backup_dir or settings.data_dir / "backups"


def create_backup(engine: Engine, *, directory: Path, settings: Settings) -> BackupInfo:
    """Write a new archive of the whole database and its checksum file into `directory`."""
    revision = current_revision(engine)
    if revision is None:
        raise BackupError(
            "the database is empty (no schema); there is nothing to back up", fix="run `glance db upgrade`"
        )
    with Session(engine) as session:
        # Read before the dump starts: an import committing meanwhile is in the archive, not in the name.
        data_version = current_data_version(session)
    backend = engine.dialect.name
    extension = "dump" if backend == "postgresql" else "sqlite"
    stamp = datetime.now(UTC).strftime(_STAMP)
    name = f"glance-{stamp}-v{__version__}-dv{data_version}-r{revision}.{extension}"
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / name
    if final.exists():
        raise BackupError(f"{final} already exists", fix="wait a second and run the backup again")
    partial = directory / f".{name}.partial"
    try:
        if backend == "postgresql":
            _run(
                [_pg_tool("pg_dump", settings), "-Fc", "--no-owner", "--no-privileges", "-f", str(partial)],
                engine,
                settings,
            )
        else:
            _sqlite_copy(Path(engine.url.database or ""), partial)
        checksum = sha256_file(partial)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    final.with_name(name + ".sha256").write_text(f"{checksum}  {name}\n", encoding="utf-8")
    info = describe(final)
    log.info("backup written", file=str(final), bytes=info.size, data_version=data_version)
    return info


def describe(path: Path) -> BackupInfo:
    """What an archive's name says about it; BackupError for a file Glance did not write."""
    match = _NAME.match(path.name)
    if match is None:
        raise BackupError(
            f"{path.name} is not a Glance backup name (glance-<time>-v<version>-dv<N>-r<revision>.dump|sqlite)",
            fix="pass an archive written by `glance backup create`, with its .sha256 file beside it",
        )
    return BackupInfo(
        path=path,
        created_at=datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC),
        version=match["version"],
        data_version=int(match["data_version"]),
        revision=match["revision"],
        backend="postgresql" if match["ext"] == "dump" else "sqlite",
        size=path.stat().st_size if path.exists() else 0,
    )


def list_backups(directory: Path) -> list[BackupInfo]:
    """Every archive in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    found = [describe(path) for path in directory.iterdir() if _NAME.match(path.name)]
    return sorted(found, key=lambda info: (info.created_at, info.path.name))


def verify_backup(path: Path) -> BackupInfo:
    """Check the archive against its checksum file; BackupError if it is missing, truncated or changed."""
    info = describe(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist", fix="see `glance backup list`")
    if not info.checksum_path.is_file():
        raise BackupError(
            f"{info.checksum_path.name} is missing, so {path.name} cannot be verified", fix="copy it beside the archive"
        )
    expected = info.checksum_path.read_text(encoding="utf-8").split()[0].lower()
    if sha256_file(path) != expected:
        raise BackupError(
            f"{path.name} does not match its checksum: the archive is truncated or corrupted; nothing was restored",
            fix="restore another archive (see `glance backup list`) or copy this one again",
        )
    return info


def restore_backup(engine: Engine, *, path: Path, force: bool, settings: Settings) -> RestoreResult:
    """Replace the database with the archive (checksum first, one transaction), then migrate to head."""
    info = verify_backup(path)
    backend = engine.dialect.name
    if info.backend != backend:
        raise BackupError(
            f"{path.name} is a {info.backend} backup but the database is {backend}",
            fix="restore it into a database of its kind",
        )
    if not SchemaStatus(code_head=head_revision(), database=info.revision).known_revision:
        raise BackupError(
            f"{path.name} holds schema {info.revision}, which this release does not know (newer release?)",
            fix="restore it with the release that wrote it",
        )
    if not force and has_data(engine):
        raise BackupError("the database holds data; restoring would overwrite it", fix="add --force to replace it")
    if backend == "postgresql":
        _pg_restore(engine, path, settings)
    else:
        _sqlite_restore(path, Path(engine.url.database or ""))
    engine.dispose()
    upgrade(engine)
    with Session(engine) as session:
        data_version = current_data_version(session)
    log.info("backup restored", file=str(path), data_version=data_version)
    return RestoreResult(backup=info, data_version=data_version, revision=head_revision())


def has_data(engine: Engine) -> bool:
    """True when any Glance table (other than the data version counter) holds a row."""
    existing = set(inspect(engine).get_table_names())
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name in existing and t.name != "data_version"]
    with engine.connect() as connection:
        return any(connection.execute(select(text("1")).select_from(t).limit(1)).first() for t in tables)


def prune_backups(directory: Path, *, daily: int, weekly: int) -> PruneResult:
    """Keep the newest archive of each of the last `daily` days and `weekly` ISO weeks; delete the rest."""
    if daily <= 0 and weekly <= 0:
        raise BackupError("pruning with --daily 0 --weekly 0 would delete every backup", fix="keep at least one")
    backups = list_backups(directory)
    newest_first = list(reversed(backups))
    keep: set[Path] = set()
    periods: list[tuple[Callable[[BackupInfo], object], int]] = [
        (lambda b: b.created_at.date(), daily),
        (lambda b: b.created_at.isocalendar()[:2], weekly),
    ]
    for period, count in periods:
        seen: list[object] = []
        for info in newest_first:
            key = period(info)
            if key not in seen and len(seen) < count:
                seen.append(key)
                keep.add(info.path)
    removed = [info for info in backups if info.path not in keep]
    for info in removed:
        info.path.unlink(missing_ok=True)
        info.checksum_path.unlink(missing_ok=True)
    return PruneResult(kept=[b for b in backups if b.path in keep], removed=removed)


def _pg_tool(name: str, settings: Settings) -> str:
    """A Postgres client program: from GLANCE_PG_BIN_DIR, PATH, or the newest /usr/lib/postgresql/*/bin."""
    candidates = [Path(settings.pg_bin_dir) / name] if settings.pg_bin_dir else []
    found = shutil.which(name)
    candidates += [Path(found)] if found else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]), reverse=True
    )
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise BackupError(f"{name} was not found", fix="install postgresql-client or set GLANCE_PG_BIN_DIR")


def _libpq_env(engine: Engine, settings: Settings) -> dict[str, str]:
    """Connection settings for pg_dump/psql as libpq variables (the password never on a command line)."""
    url: URL = engine.url
    env = {**os.environ, "PGCONNECT_TIMEOUT": str(settings.db_connect_timeout_s), "PGDATABASE": url.database or ""}
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str], engine: Engine, settings: Settings) -> None:
    result = subprocess.run(command, env=_libpq_env(engine, settings), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(
            f"{Path(command[0]).name} failed: {detail[-1] if detail else f'exit {result.returncode}'}",
            fix="check the database URL and that the client tools match the server version (GLANCE_PG_BIN_DIR)",
        )


def _pg_restore(engine: Engine, path: Path, settings: Settings) -> None:
    """Drop and rebuild the public schema from the archive in ONE psql transaction: all or nothing."""
    with tempfile.TemporaryDirectory(prefix="glance-restore-") as scratch:
        # The whole script is written out first: psql fed from a pipe that broke midway would
        # commit the part it had read.
        script = Path(scratch) / "restore.sql"
        _run(
            [_pg_tool("pg_restore", settings), "--no-owner", "--no-privileges", "-f", str(script), str(path)],
            engine,
            settings,
        )
        _run(
            [
                _pg_tool("psql", settings),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                # Fail fast rather than queue behind a running service's locks; nothing changes then.
                "-c",
                "SET lock_timeout = '30s'",
                "-c",
                "DROP SCHEMA public CASCADE",
                "-c",
                "CREATE SCHEMA public",
                "-f",
                str(script),
            ],
            engine,
            settings,
        )


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database through the online backup API."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    live.close()
    copy.close()


def _sqlite_restore(archive: Path, target: Path) -> None:
    """Check the archive opens as a sound database, then copy it over the live one in one step."""
    with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as restored:
        if restored.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError(f"{archive.name} is not a sound SQLite database", fix="restore another archive")
        with sqlite3.connect(target) as live:
            restored.backup(live)
        live.close()
    restored.close()
