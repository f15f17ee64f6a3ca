"""Pull one source now: fetch its new rows, import them through the one pipeline, record the outcome.

Every pull is an import run. Rows fetched over HTTP or SQL land in one batch file that the file
pipeline imports (same report, rejected rows and all-or-nothing transaction); a pull that fails
before the pipeline, or finds nothing new, is still recorded as a run of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.data_version import current_data_version
from db.scope import Scope
from db.types import utcnow
from services.imports import ImportReport, RunStatus, run_import
from services.imports.runs import save_report, start_run
from services.runtime import metrics
from services.runtime.settings import Settings
from services.sources.batch import BatchFile
from services.sources.config import FolderSource, HttpSource, SqlSource
from services.sources.errors import SourceError
from services.sources.folder import pull_folder
from services.sources.http import fetch_http
from services.sources.sql import fetch_sql
from services.sources.state import record_failure, record_success, source_state

log = structlog.get_logger(__name__)


class PullStatus(StrEnum):
    """How a pull ended."""

    succeeded = "succeeded"
    nothing_new = "nothing new"
    failed = "failed"


@dataclass(frozen=True)
class _Outcome:
    """The import runs a pull made, and why it failed (empty when it did not)."""

    reports: list[ImportReport]
    error: str = ""


@dataclass(frozen=True)
class PullResult:
    """One pull: its outcome, the import runs it made and the source's failure streak after it."""

    source: str
    status: PullStatus
    message: str
    consecutive_failures: int
    reports: list[ImportReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is not PullStatus.failed


def pull_source(
    engine: Engine,
    *,
    source: HttpSource | SqlSource | FolderSource,
    settings: Settings,
    requested_by: str = "scheduler",
) -> PullResult:
    """Pull `source` once (rows changed since its last good pull) and import them."""
    started_at = utcnow()
    with Session(engine) as session:
        since = source_state(session, name=source.name).since
    log.info("pull started", source=source.name, kind=source.kind, since=since.isoformat() if since else None)
    if isinstance(source, FolderSource):
        outcome = _pull_folder(engine, source=source, settings=settings, requested_by=requested_by)
    else:
        outcome = _pull_rows(
            engine, source=source, since=since, settings=settings, requested_by=requested_by, started_at=started_at
        )
    reports = outcome.reports
    bad = [report for report in reports if report.status is not RunStatus.succeeded]
    error = outcome.error or "; ".join(f"{report.filename}: {report.message}" for report in bad)
    with Session(engine, expire_on_commit=False) as session:
        state = (
            record_failure(session, name=source.name, error=error)
            if error
            else record_success(session, name=source.name, started_at=started_at)
        )
        session.commit()
    result = PullResult(
        source=source.name,
        status=PullStatus.failed if error else (PullStatus.succeeded if _stored(reports) else PullStatus.nothing_new),
        message=error or _summary(reports),
        consecutive_failures=state.consecutive_failures,
        reports=reports,
    )
    metrics.record_pull(source=source.name, status=result.status.value)
    log.info("pull finished", source=source.name, status=result.status.value, message=result.message)
    return result


def _pull_rows(
    engine: Engine,
    *,
    source: HttpSource | SqlSource,
    since: datetime | None,
    settings: Settings,
    requested_by: str,
    started_at: datetime,
) -> _Outcome:
    """Fetch into one batch file and import it as one run."""
    fmt: Literal["csv", "jsonl"] = "jsonl" if isinstance(source, HttpSource) and source.format == "json" else "csv"
    filename = f"{source.name}-{started_at:%Y%m%dT%H%M%SZ}.{fmt}"
    with BatchFile(scratch_dir(settings), source=source.name, format=fmt) as batch:
        try:
            if isinstance(source, HttpSource):
                fetch_http(source, since=since, settings=settings, batch=batch)
            else:
                fetch_sql(source, since=since, settings=settings, batch=batch)
        except SourceError as exc:
            failed = RunStatus.failed
            report = record_run(
                engine, source=source, filename=filename, status=failed, message=str(exc), requested_by=requested_by
            )
            return _Outcome(reports=[report], error=str(exc))
        if batch.rows == 0:
            message = f"no new rows since {since:%Y-%m-%d %H:%M:%S %Z}" if since else "the source returned no rows"
            done = RunStatus.succeeded
            report = record_run(
                engine, source=source, filename=filename, status=done, message=message, requested_by=requested_by
            )
            return _Outcome(reports=[report])
        report = run_import(
            engine,
            kind=source.target,
            file=batch.finish(),
            scope=Scope.everything(),  # a configured source is the operator's: every territory
            source=source.name,
            mapping=source.mapping,
            strict=source.strict,
            filename=filename,
            requested_by=requested_by,
            settings=settings,
        )
    return _Outcome(reports=[report])


def _pull_folder(engine: Engine, *, source: FolderSource, settings: Settings, requested_by: str) -> _Outcome:
    try:
        return _Outcome(reports=pull_folder(engine, source=source, settings=settings, requested_by=requested_by))
    except SourceError as exc:
        return _Outcome(reports=[], error=str(exc))


def record_run(
    engine: Engine,
    *,
    source: HttpSource | SqlSource | FolderSource,
    filename: str,
    status: RunStatus,
    message: str,
    requested_by: str,
) -> ImportReport:
    """Record a pull that never reached the pipeline (failed fetch, nothing new) as an import run."""
    with Session(engine) as session:
        run = start_run(
            session,
            kind=source.target,
            source=source.name,
            filename=filename,
            file_sha256="",
            requested_by=requested_by,
        )
        report = ImportReport(
            run_id=run.id or 0,
            kind=source.target,
            source=source.name,
            filename=filename,
            status=status,
            message=message,
            data_version=current_data_version(session),
        )
        save_report(session, report=report)
        session.commit()
    return report


def _stored(reports: list[ImportReport]) -> bool:
    return any(report.rows_read for report in reports)


def _summary(reports: list[ImportReport]) -> str:
    if not reports:
        return "no new files"
    return "; ".join(report.summary() if report.rows_read else report.message for report in reports)


def scratch_dir(settings: Settings) -> Path:
    """Where pulled batches are written before import."""
    return settings.pull_dir or settings.data_dir / "pulls"
