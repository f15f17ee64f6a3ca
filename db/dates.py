"""Calendar helpers shared by the rollups and the queries."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, Integer, cast, func, literal, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return next_month(day) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s to `last`'s, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def month_sql(dialect: Dialect, column: ColumnElement[date]) -> ColumnElement[date]:
    """SQL for the first day of the month of a date column."""
    if dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return type_coerce(func.date(column, literal("start of month")), Date)


def year_sql(dialect: Dialect, column: ColumnElement[date]) -> ColumnElement[int]:
    """SQL for the calendar year of a date column, as an integer."""
    if dialect.name == "postgresql":
        return cast(func.extract("year", column), Integer)
    return cast(func.strftime("%Y", column), Integer)
