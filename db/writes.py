"""Store validated frames of each kind: merge on the natural key, refresh rollups.

The caller owns the transaction (an import run commits once, with the data version bump), so
a failure anywhere leaves facts, rollups and the data version as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

import polars as pl
import psycopg
from sqlalchemy import Date, Integer, String, Table, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from db.merge import DuplicateKeyError, MergeResult, load_frame, merge_frame, update_rows
from db.models import FxRate, KpiTarget, OperatingExpense, SalesLine, table_of
from db.partitions import attach, create_detached, has_partition, is_partitioned, set_defaults, source_table
from db.rollups import refresh_rollups
from db.types import ScaledDecimal

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
_sales = table_of(SalesLine)


def _polars_type(sql_type: TypeEngine[Any]) -> pl.DataType:
    """The Polars type that holds a column's values exactly, as the `store_*` functions take them."""
    if isinstance(sql_type, ScaledDecimal):
        return pl.Decimal(sql_type.precision, sql_type.scale)
    # SQLModel's AutoString is a TypeDecorator over String: look at the type it stores.
    stored = sql_type.impl_instance if isinstance(sql_type, TypeDecorator) else sql_type
    if isinstance(stored, Date):
        return pl.Date()
    if isinstance(stored, Integer):
        return pl.Int64()
    if isinstance(stored, String):
        return pl.String()
    raise TypeError(f"no Polars type for the column type {sql_type!r}")


def _schema(table: Table, columns: tuple[str, ...]) -> pl.Schema:
    return pl.Schema({name: _polars_type(table.c[name].type) for name in columns})


SALES_SCHEMA = _schema(_sales, SALES_COLUMNS)
"""The frame `store_sales` and `FirstLoad.store` take: each column with the type its table stores."""
EXPENSE_SCHEMA = _schema(table_of(OperatingExpense), EXPENSE_COLUMNS)
"""The frame `store_expenses` takes."""
TARGET_SCHEMA = _schema(table_of(KpiTarget), TARGET_COLUMNS)
"""The frame `store_targets` takes."""
FX_SCHEMA = _schema(table_of(FxRate), FX_COLUMNS)
"""The frame `store_fx_rates` takes."""


def _with_run(frame: pl.DataFrame, columns: tuple[str, ...], import_run_id: int | None) -> pl.DataFrame:
    return frame.select(columns).with_columns(pl.lit(import_run_id, dtype=pl.Int64).alias("import_run_id"))


def store_sales(
    session: Session,
    *,
    frame: pl.DataFrame,
    import_run_id: int | None,
    refresh: bool = True,
) -> MergeResult:
    """Upsert sales lines on (source, external_id) and rebuild the rollups of the days touched.

    With `refresh=False` the caller refreshes the rollups itself (once, after several batches)
    for the span the results report. A source with no stored lines yet loads faster through
    `FirstLoad`.
    """
    rows = _with_run(frame, SALES_COLUMNS, import_run_id)
    result = MergeResult.total(
        merge_frame(
            session,
            table=source_table(session, _sales, source),
            key=("source", "external_id"),
            frame=lines,
            day_column="order_date",
        )
        for (source,), lines in rows.partition_by("source", as_dict=True, maintain_order=True).items()
    )
    if refresh and (result.inserted or result.updated) and result.first_day and result.last_day:
        refresh_rollups(session, first_day=result.first_day, last_day=result.last_day)
    return result


def has_sales_from(session: Session, *, source: str) -> bool:
    """True when any sales line from `source` is stored."""
    return session.execute(select(exists().where(_sales.c.source == source))).scalar_one()


class FirstLoad:
    """The lines of a source with none stored yet (checked under the source's lock), copied straight in.

    Nothing stored can match them, so there is nothing to compare: each batch is one COPY. On
    Postgres they go into a new table with no index, which `finish` attaches as the source's
    partition (db/partitions.py), or into the partition when it exists but is empty; on
    SQLite into `sales_line`. A repeated key fails on the primary key either way, raised as
    `DuplicateKeyError`.
    """

    def __init__(self, session: Session, *, source: str, import_run_id: int | None) -> None:
        self.session = session
        self.source = source
        self.import_run_id = import_run_id
        self._attach = is_partitioned(session, _sales) and not has_partition(session, source)
        self._target = (
            create_detached(session, _sales, source) if self._attach else source_table(session, _sales, source)
        )
        # Columns every line of the new table shares are its defaults while it loads, not part of
        # each COPY row: a fifth fewer bytes to write and for Postgres to read.
        self._constants: dict[str, str | int | None] = (
            {"source": source, "import_run_id": import_run_id} if self._attach else {}
        )
        if self._constants:
            set_defaults(session, self._target, self._constants)

    def store(self, frame: pl.DataFrame) -> MergeResult:
        """Copy one batch of the source's lines in; all of them count as inserted."""
        if frame.is_empty():
            return MergeResult(0, 0, 0)
        rows = _with_run(frame, SALES_COLUMNS, self.import_run_id)
        with _repeats_raise():
            load_frame(self.session, self._target, rows.drop(*self._constants))
        days = rows.get_column("order_date")
        # polars types min()/max() as any Python scalar; on a Date column they are dates (None when all null).
        return MergeResult(
            rows.height, 0, 0, first_day=cast(date | None, days.min()), last_day=cast(date | None, days.max())
        )

    def finish(self) -> None:
        """After the last batch: attach the new table, which builds its key and indexes in one pass each."""
        if self._attach:
            set_defaults(self.session, self._target, dict.fromkeys(self._constants))
            with _repeats_raise():
                attach(self.session, _sales, self.source)


@contextmanager
def _repeats_raise() -> Iterator[None]:
    """Turn the primary key's refusal of a repeated (source, external_id) into `DuplicateKeyError`.

    The transaction is then aborted: the caller rolls back (and may start over, rejecting repeats).
    """
    try:
        yield
    except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
        cause = exc.orig if isinstance(exc, IntegrityError) else exc
        if isinstance(cause, psycopg.errors.UniqueViolation) or "UNIQUE constraint failed: sales_line." in str(cause):
            raise DuplicateKeyError("a new source's lines repeat a key (source, external_id)") from exc
        raise


def store_expenses(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly operating expenses on (month, territory, category)."""
    return merge_frame(
        session,
        table=table_of(OperatingExpense),
        key=("month", "territory", "category"),
        frame=_with_run(frame, EXPENSE_COLUMNS, import_run_id),
        provenance=("import_run_id", "source"),
    )


def store_targets(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly KPI targets on (month, territory, metric)."""
    return merge_frame(
        session,
        table=table_of(KpiTarget),
        key=("month", "territory", "metric"),
        frame=_with_run(frame, TARGET_COLUMNS, import_run_id),
        provenance=("import_run_id", "source"),
    )


def store_fx_rates(session: Session, *, frame: pl.DataFrame, import_run_id: int | None) -> MergeResult:
    """Upsert monthly FX rates on (month, currency)."""
    return merge_frame(
        session,
        table=table_of(FxRate),
        key=("month", "currency"),
        frame=_with_run(frame, FX_COLUMNS, import_run_id),
    )


def store_reporting_amounts(session: Session, *, kind: str, frame: pl.DataFrame) -> int:
    """Overwrite the reporting-currency amounts of stored rows by their key (after their FX rates changed).

    `kind` is "sales" (frame: source, external_id, net_revenue_rc, cogs_rc) or "expenses"
    (frame: id, amount_rc).
    """
    if kind == "sales":
        return update_rows(session, table=_sales, frame=frame, key=("source", "external_id"))
    return update_rows(session, table=table_of(OperatingExpense), frame=frame)
