"""What the imported files amount to under the README's rules: the oracle's own ledger.

Defaults (`Unassigned`, cogs from unit cost or 0.00, the reporting currency, an order id standing in
for a blank line id), conversion with the rate of the order's month rounded half to even to the
penny per line, and rejection of a line whose currency has no rate for its month.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from tests.oracle.dataset import Business, RateRow, SaleRow
from tests.oracle.days import month_start

REPORTING_CURRENCY = "GBP"
UNASSIGNED = "Unassigned"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """A stored sales line in the reporting currency."""

    source: str
    order_id: str
    day: date
    territory: str
    channel: str
    category: str
    product: str
    units: int
    net_revenue: Decimal
    cogs: Decimal

    @property
    def order(self) -> tuple[str, str]:
        """An order is its source and its order id."""
        return self.source, self.order_id


@dataclass(frozen=True)
class Expense:
    """A stored monthly expense in the reporting currency."""

    month: date
    territory: str
    category: str
    amount: Decimal


@dataclass(frozen=True)
class Ledger:
    """Lines, expenses and targets as the database should hold them, and the rows each file loses."""

    lines: tuple[Line, ...]
    expenses: tuple[Expense, ...]
    targets: dict[tuple[date, str], dict[str, Decimal]]
    """(month, metric) -> territory (`*` for the whole business) -> value."""
    rejected: dict[str, int]
    """Rows refused per file: `shop`, `erp`, `expenses`."""


def _rates(rows: tuple[RateRow, ...]) -> dict[tuple[date, str], Decimal]:
    return {(row.month, row.currency): row.rate for row in rows}


def _converted(amount: Decimal, currency: str, month: date, rates: dict[tuple[date, str], Decimal]) -> Decimal:
    if currency == REPORTING_CURRENCY:
        return amount
    return (amount * rates[(month, currency)]).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _line(row: SaleRow, rates: dict[tuple[date, str], Decimal]) -> Line:
    currency = row.currency or REPORTING_CURRENCY
    revenue = row.net_revenue if row.net_revenue is not None else Decimal(row.unit_price or 0) * row.units
    if row.cogs is not None:
        cogs = row.cogs
    elif row.unit_cost is not None:
        cogs = row.unit_cost * row.units
    else:
        cogs = Decimal("0.00")
    month = month_start(row.day)
    return Line(
        source=row.source,
        order_id=row.order_id,
        day=row.day,
        territory=row.territory,
        channel=row.channel or UNASSIGNED,
        category=row.category or UNASSIGNED,
        product=row.product or UNASSIGNED,
        units=row.units,
        net_revenue=_converted(revenue, currency, month, rates),
        cogs=_converted(cogs, currency, month, rates),
    )


def _has_rate(currency: str | None, month: date, rates: dict[tuple[date, str], Decimal]) -> bool:
    return currency in (None, REPORTING_CURRENCY) or (month, currency) in rates


def make_ledger(business: Business) -> Ledger:
    """Apply the import rules to the business's files, in the order they are imported."""
    at_import = _rates(business.rates)
    final = {**at_import, **_rates(business.revised_rates)}  # a changed rate re-converts what is stored
    rejected: dict[str, int] = defaultdict(int)
    lines = []
    for row in business.sales:
        if _has_rate(row.currency, month_start(row.day), at_import):
            lines.append(_line(row, final))
        else:
            rejected[row.source] += 1
    expenses = []
    for expense in business.expenses:
        if _has_rate(expense.currency, expense.month, at_import):
            amount = _converted(expense.amount, expense.currency or REPORTING_CURRENCY, expense.month, final)
            expenses.append(Expense(expense.month, expense.territory, expense.category, amount))
        else:
            rejected["expenses"] += 1
    targets: dict[tuple[date, str], dict[str, Decimal]] = defaultdict(dict)
    for target in business.targets:
        targets[(target.month, target.metric)][target.territory] = target.value
    return Ledger(lines=tuple(lines), expenses=tuple(expenses), targets=dict(targets), rejected=dict(rejected))
