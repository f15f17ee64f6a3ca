"""Import run records: start, finish, fail, rejected rows, and reading a run back as its report."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator

import polars as pl
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from db.data_version import current_data_version
from db.models import ImportRun, RejectedRow, table_of
from db.types import utcnow
from services.contracts.report import DefaultUsed, ImportKind, ImportReport, Rejection, RunStatus

RUN_LOCK_NAMESPACE = 0x474C4E01
"""First key of the session advisory lock that marks a run as alive on Postgres."""

REPORT_REJECTION_LIMIT = 1000
"""Rejections listed in a report; every one is stored and downloadable as rejected.csv."""

_INTERRUPTED = "the import stopped before it finished (its process was killed or crashed); nothing from it was stored"
_DETAIL_KEYS = (
    "dry_run",
    "strict",
    "defaults_used",
    "ignored_columns",
    "date_format",
    "file_format",
    "encoding",
    "elapsed",
    "rows_per_second",
    "message",
    "rejections_truncated",
)


def start_run(
    session: Session, *, kind: ImportKind, source: str, filename: str, file_sha256: str, requested_by: str
) -> ImportRun:
    """Add a run in status running (the caller commits), noting which process owns it."""
    run = ImportRun(
        kind=kind.value,
        source=source,
        filename=filename[:500],
        file_sha256=file_sha256,
        status=RunStatus.running.value,
        requested_by=requested_by,
        details=json.dumps({"pid": os.getpid(), "host": socket.gethostname()}),
    )
    session.add(run)
    session.flush()
    return run


def save_report(session: Session, *, report: ImportReport) -> None:
    """Write a report's outcome onto its run row (in the caller's transaction)."""
    details = report.model_dump(mode="json", include=set(_DETAIL_KEYS))
    session.execute(
        update(ImportRun)
        .where(col(ImportRun.id) == report.run_id)
        .values(
            status=report.status.value,
            finished_at=utcnow(),
            rows_read=report.rows_read,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected=report.rejected,
            data_version=report.data_version,
            details=json.dumps(details),
            error=report.message if report.status in (RunStatus.failed, RunStatus.refused) else "",
        )
    )


def store_rejections(session: Session, *, run_id: int, frame: pl.DataFrame) -> None:
    """Keep rejected rows (row, field, value, reason, raw) with their run."""
    table = table_of(RejectedRow)
    rows = frame.select(
        pl.lit(run_id).alias("import_run_id"),
        pl.col("row").alias("row_number"),
        pl.col("field").str.slice(0, 200),
        "value",
        "reason",
        "raw",
    )
    for chunk in rows.iter_slices(20_000):
        session.execute(insert(table), chunk.to_dicts())


def load_report(session: Session, *, run_id: int, limit: int = REPORT_REJECTION_LIMIT) -> ImportReport | None:
    """A stored run read back as the report it produced."""
    run = session.get(ImportRun, run_id)
    if run is None:
        return None
    rejected = session.execute(
        select(col(RejectedRow.row_number), col(RejectedRow.field), col(RejectedRow.value), col(RejectedRow.reason))
        .where(col(RejectedRow.import_run_id) == run_id)
        .order_by(col(RejectedRow.row_number), col(RejectedRow.id))
        .limit(limit)
    ).all()
    return _report(run, [Rejection(row=r[0], field=r[1], value=r[2], reason=r[3]) for r in rejected])


def list_reports(session: Session, *, limit: int = 50) -> list[ImportReport]:
    """The latest runs, newest first, without their rejections."""
    runs = session.execute(select(ImportRun).order_by(col(ImportRun.id).desc()).limit(limit)).scalars().all()
    return [_report(run, []) for run in runs]


def _report(run: ImportRun, rejections: list[Rejection]) -> ImportReport:
    details = json.loads(run.details or "{}")
    return ImportReport(
        run_id=run.id or 0,
        kind=ImportKind(run.kind),
        source=run.source,
        filename=run.filename,
        status=RunStatus(run.status),
        rows_read=run.rows_read,
        inserted=run.inserted,
        updated=run.updated,
        unchanged=run.unchanged,
        rejected=run.rejected,
        data_version=run.data_version,
        rejections=rejections,
        **{k: v for k, v in details.items() if k in _DETAIL_KEYS and k != "defaults_used"},
        defaults_used=[DefaultUsed(**d) for d in details.get("defaults_used", [])],
    )


def iter_rejected(session: Session, *, run_id: int) -> Iterator[RejectedRow]:
    """Every rejected row of a run, in file order."""
    yield from session.execute(
        select(RejectedRow)
        .where(col(RejectedRow.import_run_id) == run_id)
        .order_by(col(RejectedRow.row_number), col(RejectedRow.id))
        .execution_options(yield_per=5000)
    ).scalars()


def fail_interrupted_runs(engine: Engine) -> int:
    """Mark runs whose process is gone (killed, crashed) as failed; returns how many."""
    with Session(engine) as session:
        running = (
            session.execute(select(ImportRun).where(col(ImportRun.status) == RunStatus.running.value)).scalars().all()
        )
        dead = [run for run in running if not _alive(session, run)]
        version = current_data_version(session) if dead else None
        for run in dead:
            run.status = RunStatus.failed.value
            run.finished_at = utcnow()
            run.error = _INTERRUPTED
            run.data_version = version
        session.commit()
        return len(dead)


def _alive(session: Session, run: ImportRun) -> bool:
    if session.get_bind().dialect.name == "postgresql":
        # The owning process holds this lock for the whole run; if we can take it, the owner is gone.
        taken = session.execute(
            text("SELECT pg_try_advisory_lock(:ns, :id)"), {"ns": RUN_LOCK_NAMESPACE, "id": run.id}
        ).scalar_one()
        if taken:
            session.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": RUN_LOCK_NAMESPACE, "id": run.id})
        return not taken
    details = json.loads(run.details or "{}")
    if details.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(details.get("pid", 0)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
