"""Rollups rebuilt from the facts for the days an import touched, in the import's transaction.

KPI queries read only these tables, so they never scan raw sales lines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from db.dates import month_end, month_sql, month_start
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
        .group_by(*cells, _line.c.order_id)
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
