"""What a report may be asked for: typed, checked requests, the same for `glance report` and the API.

A request that cannot be answered (a last day before the first, a custom period without its days,
a territory the caller may not see) is refused here, naming the parameter as both spell it
(`from` is `--from`) and the fix, so the CLI and the API say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from db.queries import Period, PeriodName, PnlDimension, period_for
from db.scope import Scope

_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
"""A territory, channel or category as the data may hold it: 1-100 characters, no control characters."""


EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
"""The days a report may name: wide enough for any business's history and plans, and narrow enough that a
period's prior period (as long again, just before it) is still a day the calendar can hold."""


class ReportError(ValueError):
    """A report request that cannot be answered: the problem and a one-line fix."""

    def __init__(self, problem: str, *, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class ParameterError(ReportError):
    """A parameter that is malformed or contradicts another; `parameter` is its name without `--`."""

    def __init__(self, parameter: str, problem: str, *, fix: str) -> None:
        super().__init__(problem, fix=fix)
        self.parameter = parameter


class OutsideScopeError(ReportError):
    """A territory the caller may not see."""

    def __init__(self, territory: str) -> None:
        super().__init__(
            f"territory '{territory}' is outside your access",
            fix="leave out the territory to see every one you may, or ask an admin to grant it",
        )


class SalesBy(StrEnum):
    """What a sales report groups by."""

    territory = "territory"
    channel = "channel"
    category = "category"
    product = "product"
    month = "month"
    year = "year"


def _check_day(parameter: str, day: date | None) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ParameterError(
            parameter, f"{parameter} ({day}) is outside {EARLIEST}..{LATEST}", fix="give a day between those two"
        )


def _check_days(start: date | None, end: date | None) -> None:
    _check_day("from", start)
    _check_day("to", end)
    if start is not None and end is not None and end < start:
        raise ParameterError("to", f"to ({end}) is before from ({start})", fix="give a last day on or after the first")


def _check_name(parameter: str, value: str | None) -> None:
    if value is not None and not _NAME.fullmatch(value):
        raise ParameterError(
            parameter,
            f"{parameter} must be 1 to 100 characters without control characters",
            fix=f"write the {parameter} as the data names it (the dimensions report lists them)",
        )


@dataclass(frozen=True)
class SalesRequest:
    """Sales by one dimension over a range (default: every day with data), optionally sliced."""

    name: ClassVar[str] = "sales"
    by: SalesBy
    start: date | None = None
    end: date | None = None
    territory: str | None = None
    channel: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        _check_days(self.start, self.end)
        for parameter in ("territory", "channel", "category"):
            _check_name(parameter, getattr(self, parameter))


@dataclass(frozen=True)
class PnlRequest:
    """The P&L by territory or month over a range (default: every day with data)."""

    name: ClassVar[str] = "pnl"
    by: PnlDimension
    start: date | None = None
    end: date | None = None
    territory: str | None = None

    def __post_init__(self) -> None:
        _check_days(self.start, self.end)
        _check_name("territory", self.territory)


@dataclass(frozen=True)
class BudgetRequest:
    """Budget against actual over a range (default: every day with data)."""

    name: ClassVar[str] = "budget"
    start: date | None = None
    end: date | None = None
    territory: str | None = None

    def __post_init__(self) -> None:
        _check_days(self.start, self.end)
        _check_name("territory", self.territory)


@dataclass(frozen=True)
class KpisRequest:
    """The scorecard of one period; build it with `KpisRequest.choose`."""

    name: ClassVar[str] = "kpis"
    period: Period
    territory: str | None = None

    def __post_init__(self) -> None:
        _check_name("territory", self.territory)

    @classmethod
    def choose(
        cls,
        *,
        period: PeriodName | None,
        start: date | None,
        end: date | None,
        today: date,
        territory: str | None = None,
    ) -> KpisRequest:
        """A named period ending `today` (month to date when none is named), or the custom `start`..`end`."""
        _check_day("today", today)
        if start is None and end is None:
            if period is PeriodName.CUSTOM:
                raise ParameterError("from", "a custom period needs from and to", fix="give both days, YYYY-MM-DD")
            return cls(period_for(period or PeriodName.MTD, today=today), territory)
        if period not in (None, PeriodName.CUSTOM):
            raise ParameterError(
                "period",
                f"period '{period}' is a named period, so it takes no from or to",
                fix="leave out from and to, or ask for period custom",
            )
        if start is None or end is None:
            missing = "from" if start is None else "to"
            raise ParameterError(missing, f"a custom period needs from and to; {missing} is missing", fix="give both")
        _check_days(start, end)
        return cls(Period(start, end), territory)


@dataclass(frozen=True)
class DimensionsRequest:
    """The territories, channels, categories and days the caller may see."""

    name: ClassVar[str] = "dimensions"


ReportRequest = SalesRequest | PnlRequest | BudgetRequest | KpisRequest | DimensionsRequest


def check_access(request: ReportRequest, *, scope: Scope) -> None:
    """Refuse a territory outside `scope`; figures are computed under the scope whatever is asked."""
    territory = None if isinstance(request, DimensionsRequest) else request.territory
    if territory is not None and not scope.allows(territory):
        raise OutsideScopeError(territory)
