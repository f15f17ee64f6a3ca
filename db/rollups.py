"""Rollups kept in step with the facts, in the import's transaction.

KPI queries read only these tables, so they never scan raw sales lines. Two ways in:
`refresh_rollups` rebuilds the days an import touched from the stored lines (right for any
change), and `RollupDelta` adds lines that are all new, aggregated in memory as they are read.

An order is identified by its source and its order id: orders from two systems never merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Table, delete, func, insert, select, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.chunks import among
from db.dates import month_end, month_sql, month_start
from db.merge import create_stage, load_frame
from db.models import OrdersDaily, SalesDaily, SalesLine, SalesProductMonthly, table_of

_line = table_of(SalesLine)
_daily = table_of(SalesDaily)
_orders = table_of(OrdersDaily)
_products = table_of(SalesProductMonthly)

_SUMS = ("lines", "units", "net_revenue", "cogs")
"""The measures that add across lines; `orders` is the one that needs the distinct orders."""
_DAY_CELL = ("day", "territory", "channel", "category")
_ORDER_CELL = ("day", "territory", "channel")
_PRODUCT_CELL = ("month", "territory", "channel", "category", "product")

_ORDER_BITS = 32
"""How `RollupDelta` packs a (cell, order) pair into one unsigned 64-bit integer.

    bit 63 ........ 32 | 31 ......... 0
        cell id        |   order id

A pair is `cell * _ORDERS_SPAN + order`, so distinct pairs are distinct integers, sorting the
integers groups the pairs by cell, and `pair // _ORDERS_SPAN` and `pair % _ORDERS_SPAN` give the
cell and the order back. Cell and order ids are dense counts from 0 (`_Ids`), so each fits in its
32 bits unless one import holds four billion distinct cells or orders.
"""
_ORDERS_SPAN = 1 << _ORDER_BITS
_NO_PAIR = (1 << 64) - 1
"""Never a pair (it would be cell 2**32 - 1, order 2**32 - 1): the sentinel before the first pair."""
_COMPACT_EVERY = 8
"""Batches of cell sums kept before they are summed into one frame."""


def refresh_rollups(session: Session, *, first_day: date, last_day: date) -> None:
    """Rebuild every rollup row for the days (and their whole months) from `first_day` to `last_day`."""
    if session.get_bind().dialect.name == "postgresql":
        # Hash aggregates over whole months of lines: enough memory keeps them from spilling to disk.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    in_days = _line.c.order_date.between(first_day, last_day)
    order_cells = {"day": _line.c.order_date, "territory": _line.c.territory, "channel": _line.c.channel}
    session.execute(delete(_daily).where(_daily.c.day.between(first_day, last_day)))
    session.execute(delete(_orders).where(_orders.c.day.between(first_day, last_day)))
    _rebuild(session, _daily, cells={**order_cells, "category": _line.c.category}, where=in_days)
    _rebuild(session, _orders, cells=order_cells, where=in_days)
    first_month, last_month_day = month_start(first_day), month_end(last_day)
    session.execute(delete(_products).where(_products.c.month.between(first_month, last_month_day)))
    _rebuild(
        session,
        _products,
        cells={
            "month": month_sql(session.get_bind().dialect, _line.c.order_date),
            "territory": _line.c.territory,
            "channel": _line.c.channel,
            "category": _line.c.category,
            "product": _line.c.product,
        },
        where=_line.c.order_date.between(first_month, last_month_day),
    )


def _rebuild(
    session: Session, target: Table, *, cells: Mapping[str, ColumnElement[Any]], where: ColumnElement[bool]
) -> None:
    """Insert into `target` one row per cell, with distinct orders counted.

    `cells` maps each of `target`'s cell columns to what it is of a sales line; every other
    column of `target` is a measure. Lines are grouped per order within each cell first, so
    distinct orders become a plain count of groups: hash aggregates throughout, no sort of every
    line as `count(DISTINCT ...)` needs.
    """
    per_order = (
        select(
            *(cell.label(name) for name, cell in cells.items()),
            func.count().label("lines"),
            func.sum(_line.c.units).label("units"),
            func.sum(_line.c.net_revenue_rc).label("net_revenue"),
            func.sum(_line.c.cogs_rc).label("cogs"),
        )
        .where(where)
        .group_by(*cells.values(), _line.c.source, _line.c.order_id)
        .subquery()
    )
    measures = {
        "lines": func.sum(per_order.c.lines),
        "units": func.sum(per_order.c.units),
        "orders": func.count(),
        "net_revenue": func.sum(per_order.c.net_revenue),
        "cogs": func.sum(per_order.c.cogs),
    }
    wanted = [c.name for c in target.c if c.name not in cells]
    keys = [per_order.c[name] for name in cells]
    session.execute(
        insert(target).from_select(
            [*cells, *wanted],
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


@dataclass
class _Ids:
    """Dense integer ids for the distinct values of some columns, stable across batches.

    A batch is looked up by streaming the values known so far past a hash of the batch's own
    values (`db.chunks.among`), so a lookup takes memory in proportion to the batch.
    """

    columns: tuple[str, ...]
    name: str
    chunks: list[pl.DataFrame] = field(default_factory=list)
    count: int = 0

    @property
    def known(self) -> pl.DataFrame | None:
        """Every value with its id."""
        return pl.concat(self.chunks) if self.chunks else None

    def of(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with an id column `name` for its values of `columns`, new values numbered on."""
        values = frame.select(self.columns).unique()
        if self.chunks:
            relevant = among(self.chunks, values, on=self.columns)
            new = values.join(relevant, on=self.columns, how="anti")
        else:
            relevant, new = None, values
        new = new.with_row_index(self.name, offset=self.count)
        self.chunks.append(new)
        self.count += new.height
        lookup = new if relevant is None else pl.concat([relevant, new])
        return frame.join(lookup, on=self.columns, how="left")


@dataclass
class RollupDelta:
    """What the new lines of one source add to the rollups: summed batch by batch, added in one go.

    Only for lines that are all new (a source with no stored lines, under its import lock): the
    sums then just add, and so do the orders of a cell, because an order belongs to one source.
    Sums are reduced per batch. Distinct orders need every (cell, order) pair of the import;
    cells and orders are numbered, so a pair takes 8 bytes, whatever the length of the names.
    """

    _day_sums: list[pl.DataFrame] = field(default_factory=list)
    _product_sums: list[pl.DataFrame] = field(default_factory=list)
    _day_pairs: list[pl.DataFrame] = field(default_factory=list)
    _product_pairs: list[pl.DataFrame] = field(default_factory=list)
    _days: _Ids = field(default_factory=lambda: _Ids(_DAY_CELL, "cell"))
    _products: _Ids = field(default_factory=lambda: _Ids(_PRODUCT_CELL, "cell"))
    _orders: _Ids = field(default_factory=lambda: _Ids(("order_id",), "order"))
    _source: str | None = None
    _settled: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None

    def add(self, lines: pl.DataFrame) -> None:
        """Take a batch of new lines of the source (the `sales_line` columns) into the delta."""
        if lines.is_empty():
            return
        sources = lines.get_column("source").unique().to_list()
        if len(sources) != 1 or self._source not in (None, sources[0]):
            raise ValueError(f"a rollup delta takes the lines of one source, not {sorted(sources)}")
        self._source = sources[0]
        lines = self._orders.of(
            lines.select(
                pl.col("order_date").alias("day"),
                pl.col("order_date").dt.month_start().alias("month"),
                "order_id",
                "territory",
                "channel",
                "category",
                "product",
                pl.lit(1, dtype=pl.Int64).alias("lines"),
                pl.col("units").cast(pl.Int64),
                pl.col("net_revenue_rc").alias("net_revenue"),
                pl.col("cogs_rc").alias("cogs"),
            )
        )
        for ids, sums, pairs in (
            (self._days, self._day_sums, self._day_pairs),
            (self._products, self._product_sums, self._product_pairs),
        ):
            numbered = ids.of(lines).select("cell", "order", *_SUMS)
            sums.append(_sums(numbered))
            pairs.append(numbered.select(_pair(pl.col("cell"), pl.col("order"))).unique())
            if len(sums) >= _COMPACT_EVERY:
                sums[:] = [_sums(pl.concat(sums))]

    def settle(self) -> None:
        """Reduce what was added to one row per cell (pure Polars: callers may run it in a thread)."""
        if not self._day_pairs:
            return  # nothing added, or settled already
        day_cells, product_cells = self._days.known, self._products.known
        assert day_cells is not None and product_cells is not None
        day_pairs = _distinct(self._day_pairs)
        # Orders a day by territory and channel: the day cells' pairs, with the category let go.
        order_ids = _Ids(_ORDER_CELL, "order_cell")
        to_order_cell = order_ids.of(day_cells).select("cell", "order_cell")
        order_pairs = _distinct(
            [
                day_pairs.with_columns(_cell_of("pair").alias("cell"))
                .join(to_order_cell, on="cell")
                .select(_pair(pl.col("order_cell"), pl.col("pair") % _ORDERS_SPAN))
            ]
        )
        order_cells = order_ids.known
        assert order_cells is not None
        self._settled = (
            _per_cell(day_cells, self._day_sums, day_pairs),
            _per_cell(order_cells.rename({"order_cell": "cell"}), [], order_pairs),
            _per_cell(product_cells, self._product_sums, _distinct(self._product_pairs)),
        )
        self._day_sums, self._product_sums, self._day_pairs, self._product_pairs = [], [], [], []

    def apply(self, session: Session) -> None:
        """Add the delta to `sales_daily`, `orders_daily` and `sales_product_monthly`."""
        self.settle()
        if self._settled is None:
            return
        for target, frame in zip((_daily, _orders, _products), self._settled, strict=True):
            _add_into(session, target, frame)
        self._settled = None


def _sums(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("cell").agg(pl.col(name).sum() for name in _SUMS)


def _pair(cell: pl.Expr, order: pl.Expr) -> pl.Expr:
    """A (cell, order) pair as one 64-bit number, so distinct pairs are distinct integers."""
    return (cell.cast(pl.UInt64) * _ORDERS_SPAN + order.cast(pl.UInt64)).alias("pair")


def _distinct(pairs: list[pl.DataFrame]) -> pl.DataFrame:
    """The distinct pairs, by sorting: a few bytes a pair, where a hash table would take tens.

    Empties `pairs`: once copied into one column its chunks go, before the sort copies it again.
    """
    ordered = pl.concat(pairs).get_column("pair")
    pairs.clear()
    ordered = ordered.sort()
    return ordered.filter(ordered != ordered.shift(1, fill_value=None).fill_null(_NO_PAIR)).to_frame()


def _cell_of(pair: str) -> pl.Expr:
    return (pl.col(pair) // _ORDERS_SPAN).cast(pl.UInt32)


def _orders_in(pairs: pl.DataFrame) -> pl.DataFrame:
    """Orders per cell id, from distinct (cell, order) pairs."""
    return pairs.group_by(_cell_of("pair").alias("cell")).agg(pl.len().cast(pl.Int64).alias("orders"))


def _per_cell(cells: pl.DataFrame, sums: list[pl.DataFrame], pairs: pl.DataFrame) -> pl.DataFrame:
    """One row per cell: its columns, its sums (when there are any) and its orders."""
    totals = _orders_in(pairs)
    if sums:
        totals = _sums(pl.concat(sums)).join(totals, on="cell")
    return cells.join(totals, on="cell").drop("cell")


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
