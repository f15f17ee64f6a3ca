"""Every figure `glance report` prints, computed again from the ledger with plain Python.

Definitions follow the README's "How figures are defined": sums of converted lines, orders as
distinct (source, order id), opex as each month's expense times the share of its days in the
period (each part rounded half to even to the penny), operating profit as gross margin − opex.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tests.oracle.days import add_months, days_in_month, month_end, month_start, overlap_days
from tests.oracle.ledger import Expense, Ledger, Line

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
"""Ratios (gross margin %, change %) are shown to four places, like `0.4215`."""
ZERO = Decimal("0.00")
KPIS = (
    "net_revenue",
    "gross_margin",
    "operating_profit",
    "gross_margin_pct",
    "orders",
    "aov",
    "units",
    "opex",
)


def penny(value: Decimal) -> Decimal:
    """Round half to even to the penny."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator to four places (half to even), or None without a denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_EVEN)


def text(value: Decimal | int | None) -> str | None:
    """How JSON output writes a figure: exact decimal text, or null."""
    return None if value is None else str(value)


@dataclass(frozen=True)
class Part:
    """One expense prorated onto a period."""

    expense: Expense
    amount: Decimal


def lines_in(ledger: Ledger, start: date, end: date, territory: str | None = None) -> list[Line]:
    """The lines of the period, optionally of one territory."""
    return [
        line for line in ledger.lines if start <= line.day <= end and (territory is None or line.territory == territory)
    ]


def opex_parts(ledger: Ledger, start: date, end: date, territory: str | None = None) -> list[Part]:
    """Each expense of a month the period touches, times the share of that month's days inside it."""
    parts = []
    for expense in ledger.expenses:
        if territory is not None and expense.territory != territory:
            continue
        days = overlap_days(start, end, expense.month, month_end(expense.month))
        if days:
            parts.append(Part(expense, penny(expense.amount * days / days_in_month(expense.month))))
    return parts


@dataclass(frozen=True)
class Sums:
    """Sales sums of some lines."""

    net_revenue: Decimal
    cogs: Decimal
    units: int
    orders: int

    @property
    def gross_margin(self) -> Decimal:
        return self.net_revenue - self.cogs

    def row(self, key: str) -> dict[str, Any]:
        """The row as `glance report sales --format json` prints it."""
        return {
            "key": key,
            "net_revenue": text(self.net_revenue),
            "cogs": text(self.cogs),
            "gross_margin": text(self.gross_margin),
            "units": self.units,
            "orders": self.orders,
        }


def sums(lines: Iterable[Line]) -> Sums:
    """Revenue, COGS and units summed exactly; orders counted once each."""
    chosen = list(lines)
    return Sums(
        net_revenue=sum((line.net_revenue for line in chosen), ZERO),
        cogs=sum((line.cogs for line in chosen), ZERO),
        units=sum(line.units for line in chosen),
        orders=len({line.order for line in chosen}),
    )


def _key(line: Line, by: str) -> str:
    if by == "month":
        return month_start(line.day).isoformat()
    if by == "year":
        return str(line.day.year)
    return str(getattr(line, by))


def _ordered(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    if by in ("month", "year"):
        return sorted(rows, key=lambda row: row["key"])
    return sorted(rows, key=lambda row: (-Decimal(row["net_revenue"]), row["key"]))


def sales_report(ledger: Ledger, by: str, start: date, end: date, territory: str | None) -> dict[str, Any]:
    """Rows and total of `glance report sales --by BY`."""
    chosen = lines_in(ledger, start, end, territory)
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in chosen:
        groups[_key(line, by)].append(line)
    rows = [sums(lines).row(key) for key, lines in groups.items()]
    return {"rows": _ordered(rows, by), "total": sums(chosen).row("total")}


def _pnl_row(key: str, figures: Sums, opex: Decimal) -> dict[str, Any]:
    return {
        "key": key,
        "net_revenue": text(figures.net_revenue),
        "cogs": text(figures.cogs),
        "gross_margin": text(figures.gross_margin),
        "opex": text(opex),
        "operating_profit": text(figures.gross_margin - opex),
    }


def pnl_report(ledger: Ledger, by: str, start: date, end: date, territory: str | None) -> dict[str, Any]:
    """Rows and total of `glance report pnl --by territory|month`."""
    chosen = lines_in(ledger, start, end, territory)
    parts = opex_parts(ledger, start, end, territory)
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in chosen:
        groups[_key(line, by)].append(line)
    opex: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for part in parts:
        opex[part.expense.territory if by == "territory" else part.expense.month.isoformat()] += part.amount
    rows = [_pnl_row(key, sums(groups.get(key, [])), opex[key]) for key in groups.keys() | opex.keys()]
    total = _pnl_row("total", sums(chosen), sum((part.amount for part in parts), ZERO))
    return {"rows": _ordered(rows, "month" if by == "month" else "territory"), "total": total}


def metric_value(metric: str, figures: Sums, opex: Decimal) -> Decimal | None:
    """One KPI from sales sums and opex; average order value is rounded once, to the penny."""
    values: dict[str, Decimal | None] = {
        "net_revenue": figures.net_revenue,
        "gross_margin": figures.gross_margin,
        "operating_profit": figures.gross_margin - opex,
        "gross_margin_pct": ratio(figures.gross_margin, figures.net_revenue),
        "orders": Decimal(figures.orders),
        "aov": penny(figures.net_revenue / figures.orders) if figures.orders else None,
        "units": Decimal(figures.units),
        "opex": opex,
    }
    return values[metric]


def kpi_values(ledger: Ledger, start: date, end: date, territory: str | None) -> dict[str, Decimal | None]:
    """Every KPI of the period; all None when the period has neither sales nor expenses."""
    chosen = lines_in(ledger, start, end, territory)
    parts = opex_parts(ledger, start, end, territory)
    if not chosen and not parts:
        return dict.fromkeys(KPIS)
    figures = sums(chosen)
    opex = sum((part.amount for part in parts), ZERO)
    return {metric: metric_value(metric, figures, opex) for metric in KPIS}


def change(value: Decimal | None, prior: Decimal | None) -> Decimal | None:
    """Change against the prior period as a fraction of the prior value's size."""
    if value is None or prior is None:
        return None
    return ratio(value - prior, abs(prior))


SHIFT = {"mtd": 1, "qtd": 3, "ytd": 12}


def named_period(name: str, today: date) -> tuple[date, date]:
    """The period a name means on `today`."""
    starts = {
        "mtd": today.replace(day=1),
        "qtd": date(today.year, (today.month - 1) // 3 * 3 + 1, 1),
        "ytd": date(today.year, 1, 1),
        "last_30_days": today - timedelta(days=29),
    }
    return starts[name], today


def prior_period(start: date, end: date, name: str) -> tuple[date, date]:
    """The comparison period: the same days a month, quarter or year back for month/quarter/year
    to date; for a range of whole months, as many whole months before; otherwise the equal-length
    range right before."""
    if name in SHIFT:
        return add_months(start, -SHIFT[name]), add_months(end, -SHIFT[name])
    if start.day == 1 and end == month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return add_months(start, -months), month_end(add_months(end, -months))
    length = end - start
    return start - length - timedelta(days=1), start - timedelta(days=1)
