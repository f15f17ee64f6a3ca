"""The one import pipeline the CLI and the API both call: read, check, store, report.

Facts, rollups, the run record and the data version commit in ONE transaction, so a crash, a
killed process or a database error leaves them exactly as they were; the run is then recorded
as failed in a separate transaction (or, after a SIGKILL, by the next import that finds it).
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import psycopg
import pyarrow as pa
import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.data_version import bump_data_version, current_data_version
from db.fx import load_rates
from db.merge import DuplicateKeyError, MergeResult, in_key_order
from db.overlap import one_ahead
from db.rollups import RollupDelta, refresh_rollups
from db.writes import FirstLoad, has_sales_from, store_expenses, store_fx_rates, store_sales, store_targets
from services.auth import store_users
from services.contracts.kinds import KINDS, KindSpec
from services.contracts.report import (
    DefaultUsed,
    IgnoredColumn,
    ImportKind,
    ImportProgress,
    ImportReport,
    Rejection,
    RunStatus,
)
from services.imports.currency import convert
from services.imports.dates import DateEvidence, DateFormat, choose_format, gather_evidence
from services.imports.duplicates import SeenKeys
from services.imports.errors import ImportRefusedError
from services.imports.fx_refresh import changed_rates, reconvert
from services.imports.mapping import ColumnMap, resolve_columns
from services.imports.read import ROW, TableFile, filled_rows, open_table
from services.imports.runs import (
    REPORT_REJECTION_LIMIT,
    RUN_LOCK_NAMESPACE,
    fail_interrupted_runs,
    save_report,
    start_run,
    store_rejections,
)
from services.imports.validate import Split, check_batch, count_defaults
from services.runtime import metrics
from services.runtime.digests import sha256_file
from services.runtime.settings import Settings, get_settings

SOURCE_LOCK_NAMESPACE = 0x474C4E02
"""First key of the transaction advisory lock that serialises imports of one source."""

ProgressCallback = Callable[[ImportProgress], None]
log = structlog.get_logger(__name__)


@dataclass
class _Tally:
    """Counts and spans accumulated over a file's batches."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    problems: int = 0
    held: list[pl.DataFrame] = field(default_factory=list)
    defaults: dict[str, tuple[str, int]] = field(default_factory=dict)
    filled: Counter[str] = field(default_factory=Counter)
    """Rows with a value in each column no field reads."""
    first_day: date | None = None
    last_day: date | None = None
    fx_changes: list[pl.DataFrame] = field(default_factory=list)
    first_load: FirstLoad | None = None
    delta: RollupDelta = field(default_factory=RollupDelta)

    def add_merge(self, result: MergeResult) -> None:
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged
        if result.first_day is not None and result.last_day is not None:
            self.first_day = min(filter(None, (self.first_day, result.first_day)))
            self.last_day = max(filter(None, (self.last_day, result.last_day)))

    def add_defaults(self, defaults: dict[str, tuple[str, int]]) -> None:
        for name, (value, rows) in defaults.items():
            self.defaults[name] = (value, self.defaults.get(name, (value, 0))[1] + rows)


@dataclass(frozen=True)
class _Plan:
    """What the file is and how to read it, settled before any row is stored."""

    table: TableFile
    spec: KindSpec
    columns: ColumnMap
    date_format: DateFormat
    rows_total: int | None
    confirm_column: str | None = None
    """Set when the date order was read off the first batch: the pass confirms it on this column."""


def run_import(
    engine: Engine,
    *,
    kind: ImportKind | str,
    file: Path,
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
    """Import one file of `kind`; every good row stored, every bad one explained, all or nothing."""
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
    settings: Settings,
    progress: ProgressCallback | None,
    check_repeats: bool,
) -> None:
    """One pass over the file. A new source's first pass leaves repeated keys to the primary key
    (`check_repeats=False`): keeping every key seen costs memory and time that files without
    repeats, the usual ones, do not need. A repeat then raises `DuplicateKeyError`, and the caller
    runs the pass again with the repeats found and rejected row by row.
    """
    plan = _plan(
        file,
        report.kind,
        mapping=mapping,
        encoding=encoding,
        sheet=sheet,
        date_format=date_format,
        batch_rows=settings.import_batch_rows,
    )
    evidence: list[DateEvidence] = []
    report.file_format = plan.table.format.value
    report.encoding = plan.table.encoding
    report.date_format = plan.date_format.description if plan.spec.date_field else ""
    _lock_source(session, report.source, settings)
    tally = _Tally()
    if report.kind is ImportKind.sales and not has_sales_from(session, source=report.source):
        tally.first_load = FirstLoad(session, source=report.source, import_run_id=report.run_id)
    hold = report.strict or report.dry_run
    # A strict import must list every bad row even when it stores nothing: it finds repeats itself.
    seen = SeenKeys(key=plan.spec.key) if check_repeats or report.strict or tally.first_load is None else None
    rates = load_rates(session) if report.kind in (ImportKind.sales, ImportKind.expenses) else None
    wanted = sorted(set(plan.columns.columns.values()), key=plan.table.columns.index)

    def checked(frame: pl.DataFrame) -> Split:
        if plan.confirm_column is not None:
            evidence.append(gather_evidence(frame, column=plan.confirm_column, row_column=ROW))
        split = check_batch(
            frame,
            spec=plan.spec,
            columns=plan.columns,
            date_format=plan.date_format,
            reporting_currency=settings.reporting_currency,
        )
        screened = _screen(split, report.kind, rates=rates, seen=seen, settings=settings)
        good = screened.good.with_columns(pl.lit(report.source).alias("source"))
        if report.kind is ImportKind.sales:
            # Done here, in the read-ahead thread, while the batch before is being copied.
            good = in_key_order(good, ("source", "external_id"))
            if tally.first_load is not None:
                tally.delta.add(good)
        return Split(good=good, problems=screened.problems)

    unused = plan.columns.unused
    batches = plan.table.batches(batch_rows=settings.import_batch_rows, columns=wanted, counted=unused)
    # Each batch is read and checked in a thread while the one before is stored (the database's
    # COPY), so a large import takes about the longer of the two, not their sum; the rollup
    # delta settles there too, during the last COPY.
    settle = tally.delta.settle if tally.first_load is not None else None
    read = one_ahead(
        batches, lambda frame: (frame, checked(frame), filled_rows(frame, unused)), finish=settle, name="import-read"
    )
    for frame, screened, filled in read:
        tally.rows_read += frame.height
        tally.filled.update(filled)
        tally.add_defaults(count_defaults(screened.good, plan.spec, settings.reporting_currency))
        if not screened.problems.is_empty():
            _reject(session, report, tally, problems=screened.problems, frame=frame, file_columns=wanted, hold=hold)
        if not (report.strict and tally.rejected_rows):
            _store(session, report.kind, tally, frame=screened.good, run_id=report.run_id)
        if progress is not None:
            total = max(plan.rows_total, tally.rows_read) if plan.rows_total is not None else None
            progress(ImportProgress(rows_done=tally.rows_read, rows_total=total))
    if tally.rows_read == 0:
        raise _no_rows(file)
    if plan.confirm_column is not None:
        _confirm_order(plan, evidence)
    if tally.first_load is not None and not (report.strict and tally.rejected_rows):
        tally.first_load.finish()
    _fill(report, tally, unused=unused)
    if report.strict and tally.rejected_rows:
        session.rollback()
        message = f"strict import refused: {tally.rejected_rows} of {tally.rows_read} rows are bad; nothing was stored"
        _finish(session, report, clock, status=RunStatus.refused, message=message, held=tally.held)
        return
    changed = bool(report.inserted or report.updated)
    if changed and report.kind is not ImportKind.users and not report.dry_run:
        # Bumping first takes the data_version row lock, so concurrent imports finish one at a
        # time and each rollup refresh below sees every line committed before it.
        report.data_version = bump_data_version(session)
    if changed and tally.first_load is not None:
        tally.delta.apply(session)  # every line is new: add what they sum to, no re-read of stored lines
    elif changed and tally.first_day is not None and tally.last_day is not None:
        refresh_rollups(session, first_day=tally.first_day, last_day=tally.last_day)
    if tally.fx_changes:
        reconvert(session, changed=pl.concat(tally.fx_changes), reporting_currency=settings.reporting_currency)
    if report.dry_run:
        session.rollback()
        _finish(
            session, report, clock, status=RunStatus.succeeded, message="dry run: nothing was stored", held=tally.held
        )
        return
    if report.data_version is None:
        report.data_version = current_data_version(session)
    report.status = RunStatus.succeeded
    clock.stamp()
    save_report(session, report=report)
    session.commit()


def _plan(
    file: Path,
    kind: ImportKind,
    *,
    mapping: dict[str, str],
    encoding: str | None,
    sheet: str | None,
    date_format: DateFormat | None,
    batch_rows: int,
) -> _Plan:
    """Open the file, match its columns and settle its date order.

    The order is taken from the first batch when it tells (most files: ISO dates, or a day above
    12 early on), and the pass confirms it (`_confirm_order`); otherwise from a pass over the
    whole date column first, as it must be before a row is read.
    """
    table = open_table(file, encoding=encoding, sheet=sheet)
    spec = KINDS[kind]
    columns = resolve_columns(spec, header=table.columns, mapping=mapping)
    estimate = table.estimated_rows()
    survey_field = spec.date_field if spec.date_field in columns.columns else None
    if survey_field is None or date_format is not None:
        return _Plan(
            table=table, spec=spec, columns=columns, date_format=date_format or DateFormat.iso, rows_total=estimate
        )
    survey_column = columns.columns[survey_field]
    survey = table.batches(batch_rows=batch_rows, columns=[survey_column])
    first = next(survey, None)
    if first is None:
        raise _no_rows(file)
    evidence = gather_evidence(first, column=survey_column, row_column=ROW)
    try:
        chosen = choose_format(evidence, field=survey_field, requested=None)
    except ImportRefusedError:
        pass  # the first batch cannot tell: the whole column decides, below
    else:
        return _Plan(
            table=table,
            spec=spec,
            columns=columns,
            date_format=chosen,
            rows_total=estimate,
            confirm_column=survey_column,
        )
    rows = first.height
    for frame in survey:
        rows += frame.height
        evidence = evidence.add(gather_evidence(frame, column=survey_column, row_column=ROW))
    chosen = choose_format(evidence, field=survey_field, requested=None)
    return _Plan(table=table, spec=spec, columns=columns, date_format=chosen, rows_total=rows)


def _no_rows(file: Path) -> ImportRefusedError:
    return ImportRefusedError(f"{file.name} has a header but no rows", fix="export the file again with its rows")


def _confirm_order(plan: _Plan, evidence: list[DateEvidence]) -> None:
    """After a pass that took the date order from the first batch: the whole file must agree.

    The whole file's evidence may refuse it (mixed orders: the same refusal a survey gives), or
    choose another order, and then the file is read again in that order.
    """
    whole = functools.reduce(DateEvidence.add, evidence, DateEvidence())
    order = choose_format(whole, field=plan.spec.date_field or "", requested=None)
    if order is not plan.date_format:
        raise DateOrderChangedError(order)


class DateOrderChangedError(Exception):
    """The whole file's date order differs from its first batch's: read it again in `date_format`."""

    def __init__(self, date_format: DateFormat) -> None:
        super().__init__(f"the file's dates are {date_format.description}")
        self.date_format = date_format


def _screen(
    checked: Split, kind: ImportKind, *, rates: pl.DataFrame | None, seen: SeenKeys | None, settings: Settings
) -> Split:
    """Apply the file-wide rules after the field checks: a rate for each line's month, no repeated keys.

    Without `seen`, repeats are left to the primary key (a new source's first pass).
    """
    good, problems = checked.good, [checked.problems]
    if rates is not None:
        amounts = (
            {"net_revenue": "net_revenue_rc", "cogs": "cogs_rc"}
            if kind is ImportKind.sales
            else {"amount": "amount_rc"}
        )
        converted = convert(
            good,
            rates=rates,
            reporting_currency=settings.reporting_currency,
            date_column="order_date" if kind is ImportKind.sales else "month",
            amounts=amounts,
        )
        good = converted.good
        problems.append(converted.problems)
    if seen is not None:
        unique = seen.split(good)
        good = unique.good
        problems.append(unique.problems)
    return Split(good=good, problems=pl.concat(problems).sort("row", maintain_order=True))


def _reject(
    session: Session,
    report: ImportReport,
    tally: _Tally,
    *,
    problems: pl.DataFrame,
    frame: pl.DataFrame,
    file_columns: list[str],
    hold: bool,
) -> None:
    """Count rejected rows, keep the first few for the report, and store (or hold) them all with the raw row."""
    tally.rejected_rows += problems.get_column("row").n_unique()
    tally.problems += problems.height
    room = REPORT_REJECTION_LIMIT - len(tally.rejections)
    tally.rejections += [Rejection(**r) for r in problems.head(max(room, 0)).to_dicts()]
    raw = frame.select(pl.col(ROW).alias("row"), pl.struct(file_columns).struct.json_encode().alias("raw"))
    rows = problems.join(raw, on="row", how="left", maintain_order="left")
    if hold:
        tally.held.append(rows)
    else:
        store_rejections(session, run_id=report.run_id, frame=rows)


def _store(session: Session, kind: ImportKind, tally: _Tally, *, frame: pl.DataFrame, run_id: int) -> None:
    """Store one batch's good rows of `kind`, with their source (facts go through `db.writes`)."""
    if frame.is_empty():
        return
    match kind:
        case ImportKind.sales if tally.first_load is not None:
            result = tally.first_load.store(frame)
        case ImportKind.sales:
            result = store_sales(session, frame=frame, import_run_id=run_id, refresh=False)

        case ImportKind.expenses:
            result = store_expenses(session, frame=frame, import_run_id=run_id)
        case ImportKind.targets:
            result = store_targets(session, frame=frame, import_run_id=run_id)
        case ImportKind.fx_rates:
            tally.fx_changes.append(changed_rates(session, incoming=frame))
            result = store_fx_rates(session, frame=frame, import_run_id=run_id)
        case ImportKind.users:
            result = store_users(session, frame=frame)
    tally.add_merge(result)


def _fill(report: ImportReport, tally: _Tally, *, unused: list[str]) -> None:
    report.rows_read = tally.rows_read
    report.inserted, report.updated, report.unchanged = tally.inserted, tally.updated, tally.unchanged
    report.rejected = tally.rejected_rows
    report.rejections = tally.rejections
    report.rejections_truncated = tally.problems > len(tally.rejections)
    report.defaults_used = [DefaultUsed(field=k, value=v, rows=n) for k, (v, n) in tally.defaults.items()]
    report.ignored_columns = [IgnoredColumn(column=c, rows=tally.filled[c]) for c in unused]


def _finish(
    session: Session, report: ImportReport, clock: _Clock, *, status: RunStatus, message: str, held: list[pl.DataFrame]
) -> None:
    """Record a run that stored no facts (refused, failed, dry run) with its held rejections, in a fresh transaction."""
    report.status = status
    report.message = message
    if status is not RunStatus.succeeded:
        report.inserted = report.updated = report.unchanged = 0
    report.data_version = current_data_version(session)
    clock.stamp()
    save_report(session, report=report)
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
