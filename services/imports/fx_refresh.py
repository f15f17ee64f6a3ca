"""After FX rates change, re-convert the stored sales lines and expenses of the months affected."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, cast

import polars as pl
from polars.datatypes import DataTypeClass
from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from db.dates import month_end
from db.fx import load_rates, to_reporting
from db.models import OperatingExpense, SalesLine, table_of
from db.rollups import refresh_rollups
from db.writes import store_reporting_amounts


def changed_rates(session: Session, *, incoming: pl.DataFrame) -> pl.DataFrame:
    """The (month, currency) pairs whose incoming rate is new or differs from the stored one."""
    stored = load_rates(session).rename({"rate": "__old"})
    joined = incoming.select("month", "currency", "rate").join(stored, on=["month", "currency"], how="left")
    return joined.filter(pl.col("__old").is_null() | (pl.col("__old") != pl.col("rate"))).select("month", "currency")


def reconvert(session: Session, *, changed: pl.DataFrame, reporting_currency: str) -> int:
    """Re-convert stored rows in the changed months and currencies, refresh their rollups; returns rows updated."""
    if changed.is_empty():
        return 0
    rates = load_rates(session)
    pairs = list(changed.iter_rows())
    lines = table_of(SalesLine)
    sales = _frame(
        session,
        select(
            lines.c.source, lines.c.external_id, lines.c.order_date, lines.c.currency, lines.c.net_revenue, lines.c.cogs
        ).where(_in_months(lines.c.order_date, lines.c.currency, pairs)),
        {
            "source": pl.String,
            "external_id": pl.String,
            "order_date": pl.Date,
            "currency": pl.String,
            "net_revenue": pl.Decimal(18, 2),
            "cogs": pl.Decimal(18, 2),
        },
    )
    done = 0
    if not sales.is_empty():
        converted = to_reporting(
            sales,
            rates=rates,
            reporting_currency=reporting_currency,
            date_column="order_date",
            amounts={"net_revenue": "net_revenue_rc", "cogs": "cogs_rc"},
        ).frame
        done += store_reporting_amounts(
            session, kind="sales", frame=converted.select("source", "external_id", "net_revenue_rc", "cogs_rc")
        )
        days = sales.get_column("order_date")
        # polars types min()/max() as any Python scalar; on a non-empty Date column they are dates.
        refresh_rollups(session, first_day=cast(date, days.min()), last_day=cast(date, days.max()))
    expenses_table = table_of(OperatingExpense)
    expenses = _frame(
        session,
        select(expenses_table.c.id, expenses_table.c.month, expenses_table.c.currency, expenses_table.c.amount).where(
            _in_months(expenses_table.c.month, expenses_table.c.currency, pairs)
        ),
        {"id": pl.Int64, "month": pl.Date, "currency": pl.String, "amount": pl.Decimal(18, 2)},
    )
    if not expenses.is_empty():
        converted = to_reporting(
            expenses,
            rates=rates,
            reporting_currency=reporting_currency,
            date_column="month",
            amounts={"amount": "amount_rc"},
        ).frame
        done += store_reporting_amounts(session, kind="expenses", frame=converted.select("id", "amount_rc"))
    return done


def _in_months(
    day_column: ColumnElement[date], currency_column: ColumnElement[str], pairs: list[tuple[date, str]]
) -> ColumnElement[bool]:
    return or_(
        *(and_(day_column.between(month, month_end(month)), currency_column == currency) for month, currency in pairs)
    )


def _frame(
    session: Session, query: Select[*tuple[Any, ...]], schema: Mapping[str, DataTypeClass | pl.DataType]
) -> pl.DataFrame:
    rows = session.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
