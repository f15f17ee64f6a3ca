"""Pull a `folder` source: import each new file once, then move it to `done/` or `failed/`."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from sqlalchemy import Engine

from db.scope import Scope
from db.types import utcnow
from services.imports import ImportReport, RunStatus, run_import
from services.runtime.settings import Settings
from services.sources.config import FolderSource
from services.sources.errors import PullError

DONE, FAILED = "done", "failed"


def waiting_files(source: FolderSource) -> list[Path]:
    """Files ready to import: matching the pattern, not hidden, unchanged for `settle_s`, oldest name first."""
    if not source.path.is_dir():
        raise PullError(
            f"source {source.name!r}: the folder {source.path} does not exist", fix="create it or correct path"
        )
    settled_before = time.time() - source.settle_s
    return sorted(
        file
        for file in source.path.glob(source.pattern)
        if file.is_file() and not file.name.startswith(".") and file.stat().st_mtime <= settled_before
    )


def pull_folder(engine: Engine, *, source: FolderSource, settings: Settings, requested_by: str) -> list[ImportReport]:
    """Import every waiting file (each its own import run) and move it out of the way."""
    reports = []
    for file in waiting_files(source):
        report = run_import(
            engine,
            kind=source.target,
            file=file,
            scope=Scope.everything(),  # a configured source is the operator's: every territory
            source=source.name,
            mapping=source.mapping,
            strict=source.strict,
            filename=file.name,
            requested_by=requested_by,
            settings=settings,
        )
        _move(file, source.path / (DONE if report.status is RunStatus.succeeded else FAILED))
        reports.append(report)
    return reports


def _move(file: Path, folder: Path) -> Path:
    """Move `file` into `folder`, never overwriting an earlier file of the same name."""
    folder.mkdir(exist_ok=True)
    target = folder / file.name
    if target.exists():
        target = folder / f"{file.stem}-{utcnow():%Y%m%dT%H%M%S%f}{file.suffix}"
    return Path(shutil.move(file, target))
