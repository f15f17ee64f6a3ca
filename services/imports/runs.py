"""Import run records: start, finish, fail, rejected rows, and reading a run back as its report.

What a caller reads back depends on its scope (`visible_to`): every run for a caller of every
territory; otherwise the runs it requested and those whose accepted rows all lie in its scope.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from db.data_version import current_data_version
from db.models import ImportRun, RejectedRow, table_of
from db.scope import Scope
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
_TERRITORY_COLUMN = "territory_column"
"""The key in a run's details naming the file column its rows' territory was read from."""


@dataclass(frozen=True)
class RunTerritories:
    """The territories of the rows a run accepted, and the file column they were read from."""

    names: tuple[str, ...]
    column: str | None


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


def save_report(session: Session, *, report: ImportReport, reach: RunTerritories | None = None) -> None:
    """Write a report's outcome onto its run row (in the caller's transaction).

    `reach` records the territories its rows touch; without it (a run stopped before its rows were
    read) they stay unknown, and the run shows only to callers of every territory and its requester.
    """
    details = report.model_dump(mode="json", include=set(_DETAIL_KEYS))
    territories = None
    if reach is not None:
        details[_TERRITORY_COLUMN] = reach.column
        territories = json.dumps(list(reach.names))
    session.execute(
        update(ImportRun)
        .where(col(ImportRun.id) == report.run_id)
        .values(
            territories=territories,
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


def visible_to(run: ImportRun, *, scope: Scope, requester: str) -> bool:
    """Whether a caller (its scope, and how runs name it) may see a run: the one rule for history.

    Every territory sees every run; a scoped caller sees the runs it requested and those whose
    accepted rows all lie in its scope. A run with no record of its territories (from before they
    were recorded, or stopped before its rows were read) shows only to the first two.
    """
    if _sees_all(run, scope=scope, requester=requester):
        return True
    return run.territories is not None and all(scope.allows(name) for name in json.loads(run.territories))


def _sees_all(run: ImportRun, *, scope: Scope, requester: str) -> bool:
    """Whether a caller sees all of a run, every rejected row included: every territory, or its own run."""
    return scope.is_everything or (bool(requester) and run.requested_by == requester)


def _visible_run(session: Session, *, run_id: int, scope: Scope, requester: str) -> ImportRun | None:
    run = session.get(ImportRun, run_id)
    return run if run is not None and visible_to(run, scope=scope, requester=requester) else None


def load_report(
    session: Session, *, run_id: int, scope: Scope, requester: str, limit: int = REPORT_REJECTION_LIMIT
) -> ImportReport | None:
    """A run the caller may see, read back as the report it produced (its rejections as `iter_rejected` shows them)."""
    run = _visible_run(session, run_id=run_id, scope=scope, requester=requester)
    if run is None:
        return None
    rejected = _rejected_rows(session, run=run, scope=scope, requester=requester, limit=limit)
    rejections = [Rejection(row=r.row_number, field=r.field, value=r.value, reason=r.reason) for r in rejected]
    return _report(run, rejections)


def list_reports(session: Session, *, scope: Scope, requester: str, limit: int = 50) -> list[ImportReport]:
    """The latest runs the caller may see, newest first, without their rejections."""
    runs = session.execute(
        select(ImportRun).order_by(col(ImportRun.id).desc()).execution_options(yield_per=500)
    ).scalars()
    visible = (run for run in runs if visible_to(run, scope=scope, requester=requester))
    return [_report(run, []) for run in itertools.islice(visible, limit)]


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


def iter_rejected(session: Session, *, run_id: int, scope: Scope, requester: str) -> Iterator[RejectedRow]:
    """The rejected rows of a run the caller may see, in file order: all of them for every territory or
    the run's requester, else those whose territory lies in `scope`."""
    run = _visible_run(session, run_id=run_id, scope=scope, requester=requester)
    if run is not None:
        yield from _rejected_rows(session, run=run, scope=scope, requester=requester)


def _rejected_rows(
    session: Session, *, run: ImportRun, scope: Scope, requester: str, limit: int | None = None
) -> Iterator[RejectedRow]:
    """The run's rejected rows the caller sees (at most `limit`), in file order."""
    if limit == 0:
        return
    query = (
        select(RejectedRow)
        .where(col(RejectedRow.import_run_id) == run.id)
        .order_by(col(RejectedRow.row_number), col(RejectedRow.id))
        .execution_options(yield_per=5000)
    )
    if _sees_all(run, scope=scope, requester=requester):
        yield from session.execute(query.limit(limit)).scalars()
        return
    column = json.loads(run.details or "{}").get(_TERRITORY_COLUMN)
    if column is None:
        return  # rows with no territory (FX rates, users) are for every territory's eyes only
    rows = session.execute(query).scalars()
    shown = (row for row in rows if _territory_in(row, column=column, scope=scope))
    yield from itertools.islice(shown, limit)


def _territory_in(row: RejectedRow, *, column: str, scope: Scope) -> bool:
    """Whether the territory a rejected row holds, as the file wrote it, lies in `scope`."""
    territory = json.loads(row.raw or "{}").get(column)
    return isinstance(territory, str) and scope.allows(territory.strip())


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
