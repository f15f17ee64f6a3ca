"""Rollups kept in step with the facts, in the import's transaction.

KPI queries read only these tables, so they never scan raw sales lines. Two ways in:
`refresh_rollups` rebuilds the days an import touched from the stored lines (right for any
change), and `RollupDelta` adds lines that are all new, aggregated in memory as they are read.

An order is identified by its source and its order id: orders from two systems never merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Table, delete, func, insert, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.dates import month_end, month_sql, month_start
from db.merge import create_stage, load_frame
from db.models import OrdersDaily, SalesDaily, SalesLine, SalesProductMonthly

_line = SalesLine.__table__
_daily = SalesDaily.__table__
_orders = OrdersDaily.__table__
_products = SalesProductMonthly.__table__


def refresh_rollups(session: Session, *, first_day: date, last_day: date) -> None:
    """Rebuild every rollup row for the days (and their whole months) from `first_day` to `last_day`."""
    if session.get_bind().dialect.name == "postgresql":
        # Hash aggregates over whole months of lines: enough memory keeps them from spilling to disk.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    in_days = _line.c.order_date.between(first_day, last_day)
    day_cells = (_line.c.order_date, _line.c.territory, _line.c.channel)
    session.execute(delete(_daily).where(_daily.c.day.between(first_day, last_day)))
    session.execute(delete(_orders).where(_orders.c.day.between(first_day, last_day)))
    _rebuild(session, _daily, cells=(*day_cells, _line.c.category), where=in_days)
    _rebuild(session, _orders, cells=day_cells, where=in_days)
    first_month, last_month_day = month_start(first_day), month_end(last_day)
    month = month_sql(session.get_bind().dialect, _line.c.order_date)
    session.execute(delete(_products).where(_products.c.month.between(first_month, last_month_day)))
    _rebuild(
        session,
        _products,
        cells=(month, _line.c.territory, _line.c.channel, _line.c.category, _line.c.product),
        where=_line.c.order_date.between(first_month, last_month_day),
    )


def _rebuild(
    session: Session, target: Table, *, cells: tuple[ColumnElement[Any], ...], where: ColumnElement[bool]
) -> None:
    """Insert into `target` one row per cell, with distinct orders counted.

    Lines are grouped per order within each cell first, so distinct orders become a plain count
    of groups: hash aggregates throughout, no sort of every line as `count(DISTINCT ...)` needs.
    """
    names = [c.name for c in target.c][: len(cells)]
    per_order = (
        select(
            *(cell.label(name) for cell, name in zip(cells, names, strict=True)),
            func.count().label("lines"),
            func.sum(_line.c.units).label("units"),
            func.sum(_line.c.net_revenue_rc).label("net_revenue"),
            func.sum(_line.c.cogs_rc).label("cogs"),
        )
        .where(where)
        .group_by(*cells, _line.c.source, _line.c.order_id)
        .subquery()
    )
    measures = {
        "lines": func.sum(per_order.c.lines),
        "units": func.sum(per_order.c.units),
        "orders": func.count(),
        "net_revenue": func.sum(per_order.c.net_revenue),
        "cogs": func.sum(per_order.c.cogs),
    }
    wanted = [c.name for c in target.c][len(cells) :]
    keys = [per_order.c[name] for name in names]
    session.execute(
        insert(target).from_select(
            [*names, *wanted],
            select(*keys, *(measures[name] for name in wanted)).group_by(*keys),
        )
    )


def rebuild_all(session: Session) -> None:
    """Rebuild every rollup from scratch (after a restore, or to repair)."""
    first, last = session.execute(select(func.min(_line.c.order_date), func.max(_line.c.order_date))).one()
    session.execute(delete(_daily))
    session.execute(delete(_orders))
    session.execute(delete(_products))
    if first is not None:
        refresh_rollups(session, first_day=first, last_day=last)


_SUMS = ("lines", "units", "net_revenue", "cogs")
_ORDER = ("source", "order_id")
_DAY_CELL = ("day", "territory", "channel", "category")
_ORDER_CELL = ("day", "territory", "channel")
_PRODUCT_CELL = ("month", "territory", "channel", "category", "product")


@dataclass
class RollupDelta:
    """What new lines add to the rollups, aggregated in memory batch by batch, then added in one go.

    Only for lines that are all new (a source with no stored lines, under its import lock): the
    sums then just add, and so do the orders of a cell, because an order belongs to one source.
    Sums are reduced per batch; distinct orders need the (day, cell, order) pairs of the whole
    import, kept as one small frame of short strings.
    """

    _day_sums: list[pl.DataFrame] = field(default_factory=list)
    _product_sums: list[pl.DataFrame] = field(default_factory=list)
    _pairs: list[pl.DataFrame] = field(default_factory=list)
    _settled: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None

    def add(self, lines: pl.DataFrame) -> None:
        """Take a batch of new lines (the `sales_line` columns) into the delta."""
        if lines.is_empty():
            return
        lines = lines.select(
            pl.col("order_date").alias("day"),
            pl.col("order_date").dt.month_start().alias("month"),
            *_ORDER,
            "territory",
            "channel",
            "category",
            "product",
            pl.lit(1, dtype=pl.Int64).alias("lines"),
            pl.col("units").cast(pl.Int64),
            pl.col("net_revenue_rc").alias("net_revenue"),
            pl.col("cogs_rc").alias("cogs"),
        )
        self._day_sums.append(_sums(lines, _DAY_CELL))
        self._product_sums.append(_sums(lines, _PRODUCT_CELL))
        self._pairs.append(lines.select("day", "territory", "channel", "category", "product", *_ORDER).unique())

    def settle(self) -> None:
        """Reduce what was added to one row per cell (pure Polars: callers may run it in a thread)."""
        if not self._pairs:
            return
        pairs = pl.concat(self._pairs)
        day_pairs = pairs.select(*_DAY_CELL, *_ORDER).unique()
        month_pairs = pairs.select(pl.col("day").dt.month_start().alias("month"), *_PRODUCT_CELL[1:], *_ORDER).unique()
        self._settled = (
            _sums(pl.concat(self._day_sums), _DAY_CELL).join(_orders_in(day_pairs, _DAY_CELL), on=_DAY_CELL),
            _orders_in(day_pairs.select(*_ORDER_CELL, *_ORDER).unique(), _ORDER_CELL),
            _sums(pl.concat(self._product_sums), _PRODUCT_CELL).join(
                _orders_in(month_pairs, _PRODUCT_CELL), on=_PRODUCT_CELL
            ),
        )
        self._day_sums, self._product_sums, self._pairs = [], [], []

    def apply(self, session: Session) -> None:
        """Add the delta to `sales_daily`, `orders_daily` and `sales_product_monthly`."""
        self.settle()
        if self._settled is None:
            return
        for target, frame in zip((_daily, _orders, _products), self._settled, strict=True):
            _add_into(session, target, frame)
        self._settled = None


def _sums(frame: pl.DataFrame, cell: tuple[str, ...]) -> pl.DataFrame:
    return frame.group_by(*cell).agg(pl.col(name).sum() for name in _SUMS)


def _orders_in(pairs: pl.DataFrame, cell: tuple[str, ...]) -> pl.DataFrame:
    """Orders per cell, from distinct (cell, order) pairs."""
    return pairs.group_by(*cell).agg(pl.len().cast(pl.Int64).alias("orders"))


def _add_into(session: Session, target: Table, frame: pl.DataFrame) -> None:
    """Upsert `frame` into `target`, adding each measure to the row already in its cell."""
    columns = [c for c in target.c if c.name in frame.columns]
    frame = frame.select(c.name for c in columns)
    keys = [c.name for c in target.primary_key.columns]
    stage = create_stage(session, target, columns)
    load_frame(session, stage, frame)
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(target).from_select(frame.columns, select(*stage.c).where(true()))
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: target.c[c.name] + statement.excluded[c.name] for c in columns if c.name not in keys},
    )
    session.execute(statement)
    stage.drop(session.connection())
