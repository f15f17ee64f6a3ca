"""`glance backup create|list|restore FILE|prune`: database backups with checksums, and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from services.cache.backends import BackendError
from services.cache.query_cache import get_cache
from services.cli.output import fail, stderr, stdout
from services.ops.backup import (
    BackupError,
    backup_directory,
    create_backup,
    list_backups,
    prune_backups,
    restore_backup,
)
from services.runtime.database import get_engine
from services.runtime.settings import get_settings

app = typer.Typer(help="Back up, list, restore and prune database backups.", no_args_is_help=True)
DirOpt = Annotated[
    Path | None, typer.Option("--dir", help="Backup folder (default: GLANCE_BACKUP_DIR or <data dir>/backups).")
]


@app.command("create")
def create(
    directory: DirOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Then prune with GLANCE_BACKUP_KEEP_DAILY/_WEEKLY.")] = False,
) -> None:
    """Write a backup (pg_dump custom format, or a SQLite copy) and its .sha256; prints its path last."""
    settings = get_settings()
    folder = directory or backup_directory(settings)
    try:
        info = create_backup(get_engine(), directory=folder, settings=settings)
        if prune:
            pruned = prune_backups(folder, daily=settings.backup_keep_daily, weekly=settings.backup_keep_weekly)
            stdout.print(f"pruned {len(pruned.removed)} old backups, kept {len(pruned.kept)}")
    except BackupError as exc:
        fail(exc.problem, fix=exc.fix)
    stdout.print(f"backup of data version {info.data_version} ({info.size:,} bytes):")
    stdout.print(str(info.path))


@app.command("list")
def list_command(directory: DirOpt = None) -> None:
    """The backups in the folder, oldest first."""
    folder = directory or backup_directory(get_settings())
    backups = list_backups(folder)
    if not backups:
        stdout.print(f"no backups in {folder}")
        return
    table = Table("file", "created (UTC)", "version", "data version", "schema", "size", "checksum file")
    for info in backups:
        table.add_row(
            info.path.name,
            f"{info.created_at:%Y-%m-%d %H:%M:%S}",
            info.version,
            str(info.data_version),
            info.revision,
            f"{info.size:,}",
            "yes" if info.checksum_path.is_file() else "MISSING",
        )
    stdout.print(table)


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="An archive from `glance backup list` (its .sha256 beside it).")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that holds data.")] = False,
) -> None:
    """Verify the checksum, replace the database with the archive, migrate to head, print the data version."""
    settings = get_settings()
    path = file if file.exists() or file.is_absolute() else backup_directory(settings) / file
    try:
        result = restore_backup(get_engine(), path=path, force=force, settings=settings)
    except BackupError as exc:
        fail(exc.problem, fix=exc.fix)
    try:
        # A restored data version may repeat a number already cached for other data.
        get_cache().clear()
    except BackendError as exc:
        stderr.print(f"warning: could not clear the cache ({exc}); run `glance cache clear`")
    stdout.print(f"restored {path.name}: schema at {result.revision}")
    stdout.print(f"data version {result.data_version}")


@app.command("prune")
def prune(
    daily: Annotated[int | None, typer.Option("--daily", min=0, help="Days to keep one backup of.")] = None,
    weekly: Annotated[int | None, typer.Option("--weekly", min=0, help="ISO weeks to keep one backup of.")] = None,
    directory: DirOpt = None,
) -> None:
    """Keep the newest backup of each of the last N days and M weeks; delete the rest."""
    settings = get_settings()
    folder = directory or backup_directory(settings)
    try:
        result = prune_backups(
            folder,
            daily=settings.backup_keep_daily if daily is None else daily,
            weekly=settings.backup_keep_weekly if weekly is None else weekly,
        )
    except BackupError as exc:
        fail(exc.problem, fix=exc.fix)
    for info in result.removed:
        stdout.print(f"removed {info.path.name}")
    stdout.print(f"kept {len(result.kept)} backups, removed {len(result.removed)}")
