"""Sales figures from the rollups: totals, breakdowns by any dimension, daily series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, String, Table, and_, cast, func, select, union_all
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from db.dates import month_end, month_sql, month_start, next_month, year_sql
from db.models import OrdersDaily, SalesDaily, SalesLine, SalesProductMonthly, table_of
from db.queries.figures import SalesFigures
from db.queries.periods import Filters
from db.scope import Scope

_daily = table_of(SalesDaily)
_orders = table_of(OrdersDaily)
_products = table_of(SalesProductMonthly)
_lines = table_of(SalesLine)
ZERO = Decimal("0.00")
ONE_DAY = timedelta(days=1)


class Dimension(StrEnum):
    """What a sales breakdown groups by."""

    TERRITORY = "territory"
    CHANNEL = "channel"
    CATEGORY = "category"
    PRODUCT = "product"
    MONTH = "month"
    YEAR = "year"
    DAY = "day"

    @property
    def is_time(self) -> bool:
        return self in (Dimension.MONTH, Dimension.YEAR, Dimension.DAY)


@dataclass(frozen=True)
class BreakdownRow(SalesFigures):
    """One group of a breakdown; `key` is the dimension value (ISO text for time keys)."""

    key: str = ""


@dataclass(frozen=True)
class Breakdown:
    """A breakdown's rows (largest revenue first; time keys in date order) and their total.

    `total.orders` counts distinct orders, so for category and product breakdowns it can be
    less than the sum of the rows (an order can hold several categories).
    """

    by: Dimension
    start: date
    end: date
    rows: tuple[BreakdownRow, ...]
    total: BreakdownRow


@dataclass(frozen=True)
class DailyPoint(SalesFigures):
    """Sales sums for one day."""

    day: date = date.min


def _apply(
    table: Table, filters: Filters, scope: Scope, *, start: date, end: date, date_column: str = "day"
) -> ColumnElement[bool]:
    conditions = [table.c[date_column].between(start, end), scope.where(table.c.territory)]
    for name in ("territory", "channel", "category"):
        value = getattr(filters, name)
        if value is not None and name in table.c:
            conditions.append(table.c[name] == value)
    return and_(*conditions)


def sales_totals(
    session: Session, *, start: date, end: date, scope: Scope, filters: Filters = Filters()
) -> SalesFigures:
    """Revenue, COGS, units and distinct orders for the range."""
    revenue, cogs, units = session.execute(
        select(
            func.coalesce(func.sum(_daily.c.net_revenue), ZERO),
            func.coalesce(func.sum(_daily.c.cogs), ZERO),
            func.coalesce(func.sum(_daily.c.units), 0),
        ).where(_apply(_daily, filters, scope, start=start, end=end))
    ).one()
    return SalesFigures(
        net_revenue=revenue, cogs=cogs, units=int(units), orders=_order_total(session, start, end, filters, scope)
    )


def _order_total(session: Session, start: date, end: date, filters: Filters, scope: Scope) -> int:
    if filters.category is not None:
        statement = select(func.coalesce(func.sum(_daily.c.orders), 0)).where(
            _apply(_daily, filters, scope, start=start, end=end)
        )
    else:
        statement = select(func.coalesce(func.sum(_orders.c.orders), 0)).where(
            _apply(_orders, filters, scope, start=start, end=end)
        )
    return int(session.execute(statement).scalar_one())


def sales_breakdown(
    session: Session, *, by: Dimension | str, start: date, end: date, scope: Scope, filters: Filters = Filters()
) -> Breakdown:
    """Sales grouped by one dimension over the range, with a total that reconciles."""
    dimension = Dimension(by)
    statement = (
        _product_statement(session, start, end, filters, scope)
        if dimension is Dimension.PRODUCT
        else _rollup_statement(session, dimension, start, end, filters, scope)
    )
    rows = [
        BreakdownRow(key=_key_text(key), net_revenue=revenue, cogs=cogs, units=int(units), orders=int(orders))
        for key, revenue, cogs, units, orders in session.execute(statement).all()
    ]
    if dimension.is_time:
        rows.sort(key=lambda row: row.key)
    else:
        rows.sort(key=lambda row: (-row.net_revenue, row.key))
    totals = sales_totals(session, start=start, end=end, scope=scope, filters=filters)
    total = BreakdownRow(
        key="total", net_revenue=totals.net_revenue, cogs=totals.cogs, units=totals.units, orders=totals.orders
    )
    return Breakdown(by=dimension, start=start, end=end, rows=tuple(rows), total=total)


def _key_text(key: object) -> str:
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


def _rollup_statement(
    session: Session, dimension: Dimension, start: date, end: date, filters: Filters, scope: Scope
) -> Select[*tuple[Any, ...]]:
    dialect = session.get_bind().dialect
    orders_by_cell = dimension is Dimension.CATEGORY or filters.category is not None
    key = _time_key(dialect, dimension, _daily.c.day) if dimension.is_time else _daily.c[dimension.value]
    sums = (
        select(
            key.label("key"),
            func.sum(_daily.c.net_revenue).label("net_revenue"),
            func.sum(_daily.c.cogs).label("cogs"),
            func.sum(_daily.c.units).label("units"),
            func.sum(_daily.c.orders).label("orders"),
        )
        .where(_apply(_daily, filters, scope, start=start, end=end))
        .group_by(key)
    )
    if orders_by_cell:
        return sums
    # Orders come from OrdersDaily, where each order is counted once per day, territory and channel.
    cells = sums.subquery()
    order_key = _time_key(dialect, dimension, _orders.c.day) if dimension.is_time else _orders.c[dimension.value]
    orders = (
        select(order_key.label("key"), func.sum(_orders.c.orders).label("orders"))
        .where(_apply(_orders, filters, scope, start=start, end=end))
        .group_by(order_key)
        .subquery()
    )
    return select(
        cells.c.key, cells.c.net_revenue, cells.c.cogs, cells.c.units, func.coalesce(orders.c.orders, 0)
    ).select_from(cells.outerjoin(orders, cells.c.key == orders.c.key))


def _time_key(
    dialect: Dialect, dimension: Dimension, column: ColumnElement[date]
) -> ColumnElement[date] | ColumnElement[str]:
    if dimension is Dimension.DAY:
        return column
    if dimension is Dimension.MONTH:
        return month_sql(dialect, column)
    return cast(year_sql(dialect, column), String)


def _product_statement(
    session: Session, start: date, end: date, filters: Filters, scope: Scope
) -> Select[*tuple[Any, ...]]:
    """Whole months from the monthly product rollup, partial edge months from the sales lines."""
    first_full = start if start.day == 1 else next_month(start)
    last_full = end if end == month_end(end) else month_start(end) - ONE_DAY
    parts: list[Select[*tuple[Any, ...]]] = []
    if first_full <= last_full:
        parts.append(
            select(
                _products.c.product.label("product"),
                _products.c.net_revenue.label("net_revenue"),
                _products.c.cogs.label("cogs"),
                _products.c.units.label("units"),
                _products.c.orders.label("orders"),
            ).where(_apply(_products, filters, scope, start=first_full, end=last_full, date_column="month"))
        )
    for edge_start, edge_end in _edges(start, end, first_full, last_full):
        parts.append(
            select(
                _lines.c.product.label("product"),
                func.sum(_lines.c.net_revenue_rc).label("net_revenue"),
                func.sum(_lines.c.cogs_rc).label("cogs"),
                func.sum(_lines.c.units).label("units"),
                func.count(func.distinct(_lines.c.source + "\x1f" + _lines.c.order_id)).label("orders"),
            )
            .where(_apply(_lines, filters, scope, start=edge_start, end=edge_end, date_column="order_date"))
            .group_by(_lines.c.product)
        )
    combined = union_all(*parts).subquery()
    return select(
        combined.c.product,
        func.sum(combined.c.net_revenue),
        func.sum(combined.c.cogs),
        func.sum(combined.c.units),
        func.sum(combined.c.orders),
    ).group_by(combined.c.product)


def _edges(start: date, end: date, first_full: date, last_full: date) -> list[tuple[date, date]]:
    if first_full > last_full:
        return [(start, end)]
    edges = []
    if start < first_full:
        edges.append((start, first_full - ONE_DAY))
    if end > last_full:
        edges.append((last_full + ONE_DAY, end))
    return edges


def daily_sales(
    session: Session, *, start: date, end: date, scope: Scope, filters: Filters = Filters()
) -> list[DailyPoint]:
    """One point per day with sales in the range, in date order."""
    breakdown = sales_breakdown(session, by=Dimension.DAY, start=start, end=end, scope=scope, filters=filters)
    return [
        DailyPoint(
            day=date.fromisoformat(row.key),
            net_revenue=row.net_revenue,
            cogs=row.cogs,
            units=row.units,
            orders=row.orders,
        )
        for row in breakdown.rows
    ]
