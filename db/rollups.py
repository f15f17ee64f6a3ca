"""Rollups rebuilt from the facts for the days an import touched, in the import's transaction.

KPI queries read only these tables, so they never scan raw sales lines.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from db.dates import month_end, month_sql, month_start
from db.models import OrdersDaily, SalesDaily, SalesLine, SalesProductMonthly

_line = SalesLine.__table__
_daily = SalesDaily.__table__
_orders = OrdersDaily.__table__
_products = SalesProductMonthly.__table__


def refresh_rollups(session: Session, *, first_day: date, last_day: date) -> None:
    """Rebuild every rollup row for the days (and their whole months) from `first_day` to `last_day`."""
    in_days = _line.c.order_date.between(first_day, last_day)
    session.execute(delete(_daily).where(_daily.c.day.between(first_day, last_day)))
    session.execute(
        insert(_daily).from_select(
            ["day", "territory", "channel", "category", "lines", "units", "orders", "net_revenue", "cogs"],
            select(
                _line.c.order_date,
                _line.c.territory,
                _line.c.channel,
                _line.c.category,
                func.count(),
                func.sum(_line.c.units),
                func.count(func.distinct(_line.c.order_id)),
                func.sum(_line.c.net_revenue_rc),
                func.sum(_line.c.cogs_rc),
            )
            .where(in_days)
            .group_by(_line.c.order_date, _line.c.territory, _line.c.channel, _line.c.category),
        )
    )
    session.execute(delete(_orders).where(_orders.c.day.between(first_day, last_day)))
    session.execute(
        insert(_orders).from_select(
            ["day", "territory", "channel", "orders"],
            select(
                _line.c.order_date,
                _line.c.territory,
                _line.c.channel,
                func.count(func.distinct(_line.c.order_id)),
            )
            .where(in_days)
            .group_by(_line.c.order_date, _line.c.territory, _line.c.channel),
        )
    )
    _refresh_product_months(session, first_month=month_start(first_day), last_day=month_end(last_day))


def _refresh_product_months(session: Session, *, first_month: date, last_day: date) -> None:
    month = month_sql(session.get_bind().dialect, _line.c.order_date)
    session.execute(delete(_products).where(_products.c.month.between(first_month, last_day)))
    session.execute(
        insert(_products).from_select(
            ["month", "territory", "channel", "category", "product", "units", "orders", "net_revenue", "cogs"],
            select(
                month,
                _line.c.territory,
                _line.c.channel,
                _line.c.category,
                _line.c.product,
                func.sum(_line.c.units),
                func.count(func.distinct(_line.c.order_id)),
                func.sum(_line.c.net_revenue_rc),
                func.sum(_line.c.cogs_rc),
            )
            .where(_line.c.order_date.between(first_month, last_day))
            .group_by(month, _line.c.territory, _line.c.channel, _line.c.category, _line.c.product),
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
