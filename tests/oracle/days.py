"""Calendar arithmetic for the oracle, written from the calendar rather than taken from Glance."""

from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def days_in_month(day: date) -> int:
    """How many days `day`'s month has."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - month_start(day)).days


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=days_in_month(day))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    first = date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, days_in_month(first)))


def months_from(first: date, last: date) -> list[date]:
    """The first day of every month from `first`'s to `last`'s."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def overlap_days(start: date, end: date, first: date, last: date) -> int:
    """How many days of `first`..`last` fall inside `start`..`end`."""
    return max((min(end, last) - max(start, first)).days + 1, 0)


def each_day(start: date, end: date) -> list[date]:
    """Every day from `start` to `end`."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
