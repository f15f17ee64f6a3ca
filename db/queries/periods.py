"""Reporting periods and filters: what every query is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from db.dates import month_end, month_start


class PeriodName(StrEnum):
    """The named periods the dashboard offers."""

    MTD = "mtd"
    QTD = "qtd"
    YTD = "ytd"
    LAST_30_DAYS = "last_30_days"
    CUSTOM = "custom"


_SHIFT_MONTHS = {PeriodName.MTD: 1, PeriodName.QTD: 3, PeriodName.YTD: 12}


@dataclass(frozen=True, order=True)
class Period:
    """An inclusive date range, with the name it was chosen by (for its comparison period)."""

    start: date
    end: date
    name: PeriodName = PeriodName.CUSTOM

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The comparison period.

        Month, quarter and year to date compare with the same days of the previous month,
        quarter or year; a range of whole months with the same number of months before it;
        any other range with the equal-length range right before it.
        """
        to_date = _SHIFT_MONTHS.get(self.name)
        if to_date:
            return Period(_shift_months(self.start, -to_date), _shift_months(self.end, -to_date), self.name)
        months = self._whole_months()
        if months:
            # Whole months end on the last day of the month they land in: March 1-31 before April 1-30.
            last = month_end(_shift_months(self.end, -months))
            return Period(_shift_months(self.start, -months), last, self.name)
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, self.name)

    def _whole_months(self) -> int:
        if self.start.day != 1 or self.end != month_end(self.end):
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def overlap_days(self, first: date, last: date) -> int:
        """How many of the days `first`..`last` fall inside this period."""
        start, end = max(first, self.start), min(last, self.end)
        return max((end - start).days + 1, 0)


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    first = date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def period_for(name: PeriodName | str, *, today: date) -> Period:
    """The named period ending `today`."""
    match PeriodName(name):
        case PeriodName.MTD:
            return Period(month_start(today), today, PeriodName.MTD)
        case PeriodName.QTD:
            return Period(date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today, PeriodName.QTD)
        case PeriodName.YTD:
            return Period(date(today.year, 1, 1), today, PeriodName.YTD)
        case PeriodName.LAST_30_DAYS:
            return Period(today - timedelta(days=29), today, PeriodName.LAST_30_DAYS)
        case PeriodName.CUSTOM:
            raise ValueError("a custom period needs explicit start and end dates")


@dataclass(frozen=True)
class Filters:
    """Optional slices applied to sales figures; None means all."""

    territory: str | None = None
    channel: str | None = None
    category: str | None = None
