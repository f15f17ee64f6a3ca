"""One pass over a file: each batch read and checked, its good rows stored and its bad ones rejected.

Everything the pass stores is in the caller's transaction; what it leaves for the commit (a new
source's table to attach, rollups, FX reconversion, rejected rows held back) is in `Pending`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlalchemy.orm import Session

from db.fx import load_rates
from db.merge import MergeResult, in_key_order
from db.overlap import one_ahead
from db.rollups import RollupDelta
from db.scope import Scope
from db.writes import FirstLoad, has_sales_from, store_expenses, store_fx_rates, store_sales, store_targets
from services.contracts.report import ImportKind, ImportProgress, ImportReport, Rejection
from services.imports.access import TERRITORY, outside_scope
from services.imports.currency import convert
from services.imports.dates import DateEvidence, gather_evidence
from services.imports.duplicates import SeenKeys
from services.imports.fx_refresh import changed_rates
from services.imports.plan import Plan, confirm_order, no_rows
from services.imports.read import ROW, filled_rows
from services.imports.runs import REPORT_REJECTION_LIMIT, store_rejections
from services.imports.users import store_people
from services.imports.validate import Split, check_batch, count_defaults
from services.runtime.settings import Settings

ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class Tally:
    """What the report counts over a file's batches."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    problems: int = 0
    outside_rows: int = 0
    """Rows whose territory is outside the caller's scope."""
    first_outside: str = ""
    """The first of those, as `row N: reason` (a strict refusal quotes it)."""
    defaults: dict[str, tuple[str, int]] = field(default_factory=dict)
    filled: Counter[str] = field(default_factory=Counter)
    """Rows with a value in each column no field reads."""

    def add_merge(self, result: MergeResult) -> None:
        """Count what one batch's merge did."""
        self.inserted += result.inserted
        self.updated += result.updated
        self.unchanged += result.unchanged

    def add_defaults(self, defaults: dict[str, tuple[str, int]]) -> None:
        """Add one batch's rows that took each default."""
        for name, (value, rows) in defaults.items():
            self.defaults[name] = (value, self.defaults.get(name, (value, 0))[1] + rows)


@dataclass
class Pending:
    """What a pass leaves for the commit to finish or record, beside the rows it stored."""

    first_load: FirstLoad | None = None
    """A new source's sales, loaded into their own table: the commit attaches it."""
    delta: RollupDelta = field(default_factory=RollupDelta)
    """What a first load adds to the rollups (every line is new)."""
    first_day: date | None = None
    last_day: date | None = None
    """The days whose rollups a re-import must rebuild."""
    fx_changes: list[pl.DataFrame] = field(default_factory=list)
    """FX rates that changed: stored lines in those months are converted again."""
    held: list[pl.DataFrame] = field(default_factory=list)
    """Rejected rows kept back (strict, dry run) until the run's outcome is recorded."""
    territories: set[str] = field(default_factory=set)
    """The territories of the rows the pass accepted, recorded on the run."""

    def touch(self, result: MergeResult) -> None:
        """Widen the span of days to rebuild by what one batch's merge touched."""
        if result.first_day is not None and result.last_day is not None:
            self.first_day = min(filter(None, (self.first_day, result.first_day)))
            self.last_day = max(filter(None, (self.last_day, result.last_day)))


@dataclass(frozen=True)
class FilePass:
    """The outcome of a pass: its counts, and what it leaves for the commit."""

    tally: Tally
    pending: Pending


@dataclass(frozen=True)
class _Batch:
    """One batch as the read-ahead thread hands it over: the rows read, checked and screened."""

    frame: pl.DataFrame
    good: pl.DataFrame
    problems: pl.DataFrame
    outside: pl.DataFrame | None
    filled: dict[str, int]
    territories: list[str]


def read_pass(
    session: Session,
    report: ImportReport,
    *,
    plan: Plan,
    scope: Scope,
    settings: Settings,
    progress: ProgressCallback | None,
    check_repeats: bool,
) -> FilePass:
    """Read, check and store every batch of the planned file, as `report` describes the run.

    A new source's first pass leaves repeated keys to the primary key (`check_repeats=False`):
    keeping every key seen costs memory and time that files without repeats, the usual ones, do
    not need. A repeat then raises `DuplicateKeyError`, and the caller runs the pass again with
    the repeats found and rejected row by row.
    """
    tally, pending = Tally(), Pending()
    if report.kind is ImportKind.sales and not has_sales_from(session, source=report.source):
        pending.first_load = FirstLoad(session, source=report.source, import_run_id=report.run_id)
    # A strict import must list every bad row even when it stores nothing: it finds repeats itself.
    repeats = check_repeats or report.strict or pending.first_load is None
    checker = _Checker(
        plan=plan,
        report=report,
        scope=scope,
        settings=settings,
        rates=load_rates(session) if report.kind in (ImportKind.sales, ImportKind.expenses) else None,
        seen=SeenKeys(key=plan.spec.key) if repeats else None,
        delta=pending.delta if pending.first_load is not None else None,
    )
    batches = plan.table.batches(
        batch_rows=settings.import_batch_rows, columns=plan.file_columns, counted=plan.columns.unused
    )
    # Each batch is read and checked in a thread while the one before is stored (the database's
    # COPY), so a large import takes about the longer of the two, not their sum; the rollup
    # delta settles there too, during the last COPY.
    settle = pending.delta.settle if pending.first_load is not None else None
    for batch in one_ahead(batches, checker, finish=settle, name="import-read"):
        _take(session, report, tally, pending, batch=batch, plan=plan, settings=settings)
        if progress is not None:
            total = max(plan.rows_total, tally.rows_read) if plan.rows_total is not None else None
            progress(ImportProgress(rows_done=tally.rows_read, rows_total=total))
    if tally.rows_read == 0:
        raise no_rows(plan.table.path)
    if plan.confirm_column is not None:
        confirm_order(plan, checker.evidence)
    return FilePass(tally=tally, pending=pending)


@dataclass
class _Checker:
    """Checks one batch, in the read-ahead thread: fields, the caller's territories, rates, repeated keys."""

    plan: Plan
    report: ImportReport
    scope: Scope
    settings: Settings
    rates: pl.DataFrame | None
    seen: SeenKeys | None
    delta: RollupDelta | None
    evidence: list[DateEvidence] = field(default_factory=list)

    def __call__(self, frame: pl.DataFrame) -> _Batch:
        plan = self.plan
        if plan.confirm_column is not None:
            self.evidence.append(gather_evidence(frame, column=plan.confirm_column, row_column=ROW))
        split = check_batch(
            frame,
            spec=plan.spec,
            columns=plan.columns,
            date_format=plan.date_format,
            reporting_currency=self.settings.reporting_currency,
        )
        outside = outside_scope(frame, plan=plan, scope=self.scope)
        screened = _screen(
            split, self.report.kind, outside=outside, rates=self.rates, seen=self.seen, settings=self.settings
        )
        good = screened.good.with_columns(pl.lit(self.report.source).alias("source"))
        if self.report.kind is ImportKind.sales:
            # Done here, in the read-ahead thread, while the batch before is being copied.
            good = in_key_order(good, ("source", "external_id"))
            if self.delta is not None:
                self.delta.add(good)
        territories = good.get_column(TERRITORY).unique().to_list() if TERRITORY in good.columns else []
        return _Batch(
            frame=frame,
            good=good,
            problems=screened.problems,
            outside=outside,
            filled=filled_rows(frame, plan.columns.unused),
            territories=territories,
        )


def _screen(
    checked: Split,
    kind: ImportKind,
    *,
    outside: pl.DataFrame | None,
    rates: pl.DataFrame | None,
    seen: SeenKeys | None,
    settings: Settings,
) -> Split:
    """Apply the file-wide rules after the field checks: the caller's territories, a rate for each
    line's month, no repeated keys.

    Rows outside the caller's territories go first, so they neither need a rate nor count as a
    key seen. Without `seen`, repeats are left to the primary key (a new source's first pass).
    """
    good, problems = checked.good, [checked.problems]
    if outside is not None and not outside.is_empty():
        good = good.join(outside.select(pl.col("row").alias(ROW)), on=ROW, how="anti", maintain_order="left")
        problems.append(outside)
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


def _take(
    session: Session,
    report: ImportReport,
    tally: Tally,
    pending: Pending,
    *,
    batch: _Batch,
    plan: Plan,
    settings: Settings,
) -> None:
    """Count one checked batch, reject its bad rows and store its good ones (unless a strict import already failed)."""
    tally.rows_read += batch.frame.height
    tally.filled.update(batch.filled)
    tally.add_defaults(count_defaults(batch.good, plan.spec, settings.reporting_currency))
    pending.territories.update(batch.territories)
    if batch.outside is not None and not batch.outside.is_empty():
        tally.outside_rows += batch.outside.height
        first = batch.outside.row(0, named=True)
        tally.first_outside = tally.first_outside or f"row {first['row']}: {first['reason']}"
    if not batch.problems.is_empty():
        _reject(session, report, tally, pending, problems=batch.problems, frame=batch.frame, plan=plan)
    if not (report.strict and tally.rejected_rows):
        _store(session, report.kind, tally, pending, frame=batch.good, run_id=report.run_id)


def _reject(
    session: Session,
    report: ImportReport,
    tally: Tally,
    pending: Pending,
    *,
    problems: pl.DataFrame,
    frame: pl.DataFrame,
    plan: Plan,
) -> None:
    """Count rejected rows, keep the first few for the report, and store (or hold) them all with the raw row."""
    tally.rejected_rows += problems.get_column("row").n_unique()
    tally.problems += problems.height
    room = REPORT_REJECTION_LIMIT - len(tally.rejections)
    tally.rejections += [Rejection(**r) for r in problems.head(max(room, 0)).to_dicts()]
    raw = frame.select(pl.col(ROW).alias("row"), pl.struct(plan.file_columns).struct.json_encode().alias("raw"))
    rows = problems.join(raw, on="row", how="left", maintain_order="left")
    if report.strict or report.dry_run:
        pending.held.append(rows)
    else:
        store_rejections(session, run_id=report.run_id, frame=rows)


def _store(
    session: Session, kind: ImportKind, tally: Tally, pending: Pending, *, frame: pl.DataFrame, run_id: int
) -> None:
    """Store one batch's good rows of `kind`, with their source (facts go through `db.writes`)."""
    if frame.is_empty():
        return
    match kind:
        case ImportKind.sales if pending.first_load is not None:
            result = pending.first_load.store(frame)
        case ImportKind.sales:
            result = store_sales(session, frame=frame, import_run_id=run_id, refresh=False)
        case ImportKind.expenses:
            result = store_expenses(session, frame=frame, import_run_id=run_id)
        case ImportKind.targets:
            result = store_targets(session, frame=frame, import_run_id=run_id)
        case ImportKind.fx_rates:
            pending.fx_changes.append(changed_rates(session, incoming=frame))
            result = store_fx_rates(session, frame=frame, import_run_id=run_id)
        case ImportKind.users:
            result = store_people(session, frame=frame)
    tally.add_merge(result)
    pending.touch(result)
