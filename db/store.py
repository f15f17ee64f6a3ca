"""Store validated frames of each kind: merge on the natural key, refresh rollups.

The caller owns the transaction (an import run commits once, with the data version bump), so
a failure anywhere leaves facts, rollups and the data version as they were.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.merge import MergeResult, merge_frame, update_rows
from db.models import FxRate, KpiTarget, OperatingExpense, SalesLine
from db.rollups import refresh_rollups

SALES_COLUMNS = (
    "source",
    "external_id",
    "order_id",
    "order_date",
    "territory",
    "channel",
    "product",
    "category",
    "units",
    "currency",
    "net_revenue",
    "cogs",
    "net_revenue_rc",
    "cogs_rc",
)
EXPENSE_COLUMNS = ("month", "territory", "category", "currency", "amount", "amount_rc", "source")
TARGET_COLUMNS = ("month", "territory", "metric", "value", "source")
FX_COLUMNS = ("month", "currency", "rate")


def _with_run(frame: pl.DataFrame, columns: tuple[str, ...], import_run_id: int | None) -> pl.DataFrame:
    return frame.select(columns).with_columns(pl.lit(import_run_id, dtype=pl.Int64).alias("import_run_id"))


def store_sales(
    session: Session,
    *,
    frame: pl.DataFrame,
    import_run_id: int | None,
    refresh: bool = True,
    assume_new: bool = False,
) -> MergeResult:
    """Upsert sales lines on (source, external_id) and rebuild the rollups of the days touched.

    With `refresh=False` the caller refreshes the rollups itself (once, after several batches)
    for the span the results report. `assume_new` is for a source with no stored lines yet
    (checked with `has_sales_from` under the source's lock): the lines are copied straight in.
    """
    result = merge_frame(
        session,
        table=SalesLine.__table__,
        key=("source", "external_id"),
        frame=_with_run(frame, SALES_COLUMNS, import_run_id),
        day_column="order_date",
        assume_new=assume_new,
    )
    if refresh and (result.inserted or result.updated) and result.first_day and result.last_day:
        refresh_rollups(session, first_day=result.first_day, last_day=result.last_day)
    return result


def has_sales_from(session: Session, *, source: str) -> bool:
    """True when any sales line from `source` is stored."""
    line = SalesLine.__table__
    return session.execute(select(exists().where(line.c.source == source))).scalar_one()


def store_expenses(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly operating expenses on (month, territory, category)."""
    return merge_frame(
        session,
        table=OperatingExpense.__table__,
        key=("month", "territory", "category"),
        frame=_with_run(frame, EXPENSE_COLUMNS, import_run_id),
        provenance=("import_run_id", "source"),
    )


def store_targets(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly KPI targets on (month, territory, metric)."""
    return merge_frame(
        session,
        table=KpiTarget.__table__,
        key=("month", "territory", "metric"),
        frame=_with_run(frame, TARGET_COLUMNS, import_run_id),
        provenance=("import_run_id", "source"),
    )


def store_fx_rates(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly FX rates on (month, currency)."""
    return merge_frame(
        session,
        table=FxRate.__table__,
        key=("month", "currency"),
        frame=_with_run(frame, FX_COLUMNS, import_run_id),
    )


def store_reporting_amounts(session: Session, *, kind: str, frame: pl.DataFrame) -> int:
    """Overwrite the reporting-currency amounts of stored rows by their key (after their FX rates changed).

    `kind` is "sales" (frame: source, external_id, net_revenue_rc, cogs_rc) or "expenses"
    (frame: id, amount_rc).
    """
    if kind == "sales":
        return update_rows(session, table=SalesLine.__table__, frame=frame, key=("source", "external_id"))
    return update_rows(session, table=OperatingExpense.__table__, frame=frame)
