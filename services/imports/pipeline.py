"""The one import pipeline the CLI and the API both call: read, check, store, report.

Facts, rollups, the run record and the data version commit in ONE transaction, so a crash, a
killed process or a database error leaves them exactly as they were; the run is then recorded
as failed in a separate transaction (or, after a SIGKILL, by the next import that finds it).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import psycopg
import pyarrow as pa
import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.data_version import bump_data_version, current_data_version
from db.merge import DuplicateKeyError
from db.rollups import refresh_rollups
from db.scope import Scope
from services.contracts.report import DefaultUsed, IgnoredColumn, ImportKind, ImportReport, RunStatus
from services.imports.access import TERRITORY, check_kind
from services.imports.dates import DateFormat
from services.imports.errors import ImportRefusedError
from services.imports.fx_refresh import reconvert
from services.imports.plan import DateOrderChangedError, plan_file
from services.imports.read_pass import FilePass, ProgressCallback, Tally, read_pass
from services.imports.runs import (
    RUN_LOCK_NAMESPACE,
    RunTerritories,
    fail_interrupted_runs,
    save_report,
    start_run,
    store_rejections,
)
from services.runtime import metrics
from services.runtime.digests import sha256_file
from services.runtime.settings import Settings, get_settings

SOURCE_LOCK_NAMESPACE = 0x474C4E02
"""First key of the transaction advisory lock that serialises imports of one source."""

log = structlog.get_logger(__name__)


def run_import(
    engine: Engine,
    *,
    kind: ImportKind | str,
    file: Path,
    scope: Scope,
    source: str | None = None,
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    dry_run: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
    date_format: DateFormat | None = None,
    filename: str | None = None,
    requested_by: str = "",
    settings: Settings | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import one file of `kind`; every good row stored, every bad one explained, all or nothing.

    `scope` is the caller's: a row of a territory outside it is rejected like any bad row.
    """
    settings = settings or get_settings()
    kind = ImportKind(kind)
    name = filename or file.name
    source = (source or Path(name).stem or kind.value).strip()[:200]
    fail_interrupted_runs(engine)
    report = ImportReport(
        run_id=0, kind=kind, source=source, filename=name, status=RunStatus.running, strict=strict, dry_run=dry_run
    )
    clock = _Clock(report)
    with engine.connect() as connection, Session(bind=connection, expire_on_commit=False) as session:
        run = start_run(
            session, kind=kind, source=source, filename=name, file_sha256=sha256_file(file), requested_by=requested_by
        )
        report.run_id = run.id or 0
        _hold_run_lock(connection, report.run_id)
        session.commit()
        attempt = functools.partial(
            _import,
            session,
            report,
            clock,
            file=file,
            mapping=mapping or {},
            encoding=encoding,
            sheet=sheet,
            scope=scope,
            settings=settings,
            progress=progress,
        )
        try:
            _attempt_until_settled(session, attempt, date_format=date_format, run_id=report.run_id)
        except ImportRefusedError as exc:
            session.rollback()
            _finish(session, report, clock, status=RunStatus.refused, message=str(exc), held=[])
        except (SQLAlchemyError, psycopg.Error, OSError, pl.exceptions.PolarsError, pa.ArrowException) as exc:
            # psycopg errors arrive unwrapped from the COPY, which uses the driver connection directly.
            session.rollback()
            log.error("import failed", run_id=report.run_id, error=str(exc))
            message = f"the import failed and nothing was stored: {type(exc).__name__}: {str(exc).splitlines()[0]}"
            _finish(session, report, clock, status=RunStatus.failed, message=message, held=[])
        except Exception as exc:
            # A bug, not bad input: record the run as failed so it is never left "running", then raise.
            session.rollback()
            message = f"the import failed on an internal error and nothing was stored: {type(exc).__name__}: {exc}"
            _finish(session, report, clock, status=RunStatus.failed, message=message, held=[])
            raise
        finally:
            _release_run_lock(connection, report.run_id)
    metrics.record_import(
        kind=report.kind.value,
        status=report.status.value,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )
    return report


def _attempt_until_settled(
    session: Session, attempt: Callable[..., None], *, date_format: DateFormat | None, run_id: int
) -> None:
    """Run `attempt`, and again when a first pass assumed too much: at most three passes.

    A pass may assume that a new source's file repeats no key, and that the date order its first
    batch shows holds for the whole file. A file that breaks either assumption is read again,
    everything the pass did rolled back, with repeats found row by row or the whole file's order.
    """
    check_repeats, chosen = False, date_format
    while True:
        try:
            attempt(check_repeats=check_repeats, date_format=chosen)
            return
        except DuplicateKeyError:
            if check_repeats:
                raise
            check_repeats = True
            log.info("the file repeats a key; reading it again to reject the repeats", run_id=run_id)
        except DateOrderChangedError as exc:
            if chosen is not None:
                raise
            chosen = exc.date_format
            log.info("the file's date order is not its first batch's; reading it again", run_id=run_id)
        session.rollback()


def _import(
    session: Session,
    report: ImportReport,
    clock: _Clock,
    *,
    file: Path,
    mapping: dict[str, str],
    encoding: str | None,
    sheet: str | None,
    date_format: DateFormat | None,
    scope: Scope,
    settings: Settings,
    progress: ProgressCallback | None,
    check_repeats: bool,
) -> None:
    """One attempt: plan the file, read it in one pass storing its good rows, then commit (or refuse) the run."""
    check_kind(report.kind, scope)
    plan = plan_file(
        file,
        report.kind,
        mapping=mapping,
        encoding=encoding,
        sheet=sheet,
        date_format=date_format,
        batch_rows=settings.import_batch_rows,
    )
    report.file_format = plan.table.format.value
    report.encoding = plan.table.encoding
    report.date_format = plan.date_format.description if plan.spec.date_field else ""
    _lock_source(session, report.source, settings)
    done = read_pass(
        session, report, plan=plan, scope=scope, settings=settings, progress=progress, check_repeats=check_repeats
    )
    _fill(report, done.tally, unused=plan.columns.unused)
    reach = RunTerritories(names=tuple(sorted(done.pending.territories)), column=plan.columns.columns.get(TERRITORY))
    _commit(session, report, clock, done, reach=reach, settings=settings)


def _commit(
    session: Session, report: ImportReport, clock: _Clock, done: FilePass, *, reach: RunTerritories, settings: Settings
) -> None:
    """Settle what the pass stored and commit it with the run's outcome: facts, rollups, rates and the
    data version together. A strict file with a bad row is refused and a dry run rolled back instead.
    """
    tally, pending = done.tally, done.pending
    if report.strict and tally.rejected_rows:
        session.rollback()
        message = _strict_refusal(tally)
        _finish(session, report, clock, status=RunStatus.refused, message=message, held=pending.held, reach=reach)
        return
    if pending.first_load is not None:
        pending.first_load.finish()
    changed = bool(report.inserted or report.updated)
    if changed and report.kind is not ImportKind.users and not report.dry_run:
        # Bumping first takes the data_version row lock, so concurrent imports finish one at a
        # time and each rollup refresh below sees every line committed before it.
        report.data_version = bump_data_version(session)
    if changed and pending.first_load is not None:
        pending.delta.apply(session)  # every line is new: add what they sum to, no re-read of stored lines
    elif changed and pending.first_day is not None and pending.last_day is not None:
        refresh_rollups(session, first_day=pending.first_day, last_day=pending.last_day)
    if pending.fx_changes:
        reconvert(session, changed=pl.concat(pending.fx_changes), reporting_currency=settings.reporting_currency)
    if report.dry_run:
        session.rollback()
        message = "dry run: nothing was stored"
        _finish(session, report, clock, status=RunStatus.succeeded, message=message, held=pending.held, reach=reach)
        return
    if report.data_version is None:
        report.data_version = current_data_version(session)
    report.status = RunStatus.succeeded
    clock.stamp()
    save_report(session, report=report, reach=reach)
    session.commit()


def _strict_refusal(tally: Tally) -> str:
    bad = f"{tally.rejected_rows} of {tally.rows_read} rows are bad"
    if tally.outside_rows:
        bad += f", {tally.outside_rows} of them outside your access (first, {tally.first_outside})"
    return f"strict import refused: {bad}; nothing was stored"


def _fill(report: ImportReport, tally: Tally, *, unused: list[str]) -> None:
    report.rows_read = tally.rows_read
    report.inserted, report.updated, report.unchanged = tally.inserted, tally.updated, tally.unchanged
    report.rejected = tally.rejected_rows
    report.rejections = tally.rejections
    report.rejections_truncated = tally.problems > len(tally.rejections)
    report.defaults_used = [DefaultUsed(field=k, value=v, rows=n) for k, (v, n) in tally.defaults.items()]
    report.ignored_columns = [IgnoredColumn(column=c, rows=tally.filled[c]) for c in unused]


def _finish(
    session: Session,
    report: ImportReport,
    clock: _Clock,
    *,
    status: RunStatus,
    message: str,
    held: list[pl.DataFrame],
    reach: RunTerritories | None = None,
) -> None:
    """Record a run that stored no facts (refused, failed, dry run) with its held rejections, in a fresh transaction.

    `reach` is what its rows would have touched; None when the run stopped before its rows were read.
    """
    report.status = status
    report.message = message
    if status is not RunStatus.succeeded:
        report.inserted = report.updated = report.unchanged = 0
    report.data_version = current_data_version(session)
    clock.stamp()
    save_report(session, report=report, reach=reach)
    for rows in held:
        store_rejections(session, run_id=report.run_id, frame=rows)
    session.commit()


class _Clock:
    """Stamps a report with its elapsed time and throughput just before it is saved."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.started = time.perf_counter()

    def stamp(self) -> None:
        elapsed = time.perf_counter() - self.started
        self.report.elapsed = round(elapsed, 3)
        self.report.rows_per_second = round(self.report.rows_read / elapsed, 1) if elapsed else 0.0


def _lock_source(session: Session, source: str, settings: Settings) -> None:
    """On Postgres, wait for any other import of this source to commit first."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite allows one writer at a time anyway
    session.execute(text(f"SET LOCAL statement_timeout = {int(settings.import_statement_timeout_ms)}"))
    session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, hashtext(:source))"), {"ns": SOURCE_LOCK_NAMESPACE, "source": source}
    )


def _hold_run_lock(connection: Connection, run_id: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": RUN_LOCK_NAMESPACE, "id": run_id})


def _release_run_lock(connection: Connection, run_id: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": RUN_LOCK_NAMESPACE, "id": run_id})
        connection.commit()
