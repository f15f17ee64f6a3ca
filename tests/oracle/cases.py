"""The periods and filters the oracle checks: the edges that matter every run, then seeded random ones."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from tests.oracle.dataset import IE_SELLS, NO_SALES_TERRITORY, TERRITORY_WEIGHTS
from tests.oracle.days import days_in_month, each_day, month_end, months_from
from tests.oracle.expected import named_period, penny, ratio
from tests.oracle.ledger import Ledger

RANDOM_CASES = 24
EARLIEST = date(2026, 9, 1)
LATEST = date(2029, 1, 31)
TERRITORIES = (*TERRITORY_WEIGHTS, NO_SALES_TERRITORY)
SALES_BY = ("territory", "channel", "category", "product", "month", "year")
PNL_BY = ("territory", "month")


@dataclass(frozen=True)
class Case:
    """A period, named or custom, optionally for one territory, and why it is checked."""

    why: str
    start: date
    end: date
    territory: str | None = None
    name: str = "custom"
    today: date | None = None
    sales_by: tuple[str, ...] = SALES_BY
    pnl_by: tuple[str, ...] = PNL_BY

    def range_args(self) -> tuple[str, ...]:
        """`--from`, `--to` and `--territory` for the sales and P&L reports."""
        found = ("--from", self.start.isoformat(), "--to", self.end.isoformat())
        return found + (("--territory", self.territory) if self.territory else ())

    def kpi_args(self) -> tuple[str, ...]:
        """The period options of `glance report kpis`."""
        if self.name == "custom":
            found: tuple[str, ...] = ("--period", "custom", "--from", str(self.start), "--to", str(self.end))
        else:
            found = ("--period", self.name, "--today", str(self.today))
        return found + (("--territory", self.territory) if self.territory else ())

    def __str__(self) -> str:
        where = f" --territory {self.territory}" if self.territory else ""
        named = f" ({self.name} on {self.today})" if self.name != "custom" else ""
        return f"{self.start}..{self.end}{named}{where} [{self.why}]"


def named(why: str, name: str, today: date, territory: str | None = None) -> Case:
    """A named period ending `today`."""
    start, end = named_period(name, today)
    return Case(why, start, end, territory, name, today)


def d(text: str) -> date:
    return date.fromisoformat(text)


FIXED = (
    Case("29 February", d("2028-02-29"), d("2028-02-29")),
    Case("29 February, one territory", d("2028-02-29"), d("2028-02-29"), "UK"),
    Case("first day of a month", d("2027-03-01"), d("2027-03-01")),
    Case("last day of a month", d("2027-04-30"), d("2027-04-30"), "DE"),
    Case("February of a leap year, whole", d("2028-02-01"), d("2028-02-29")),
    Case("a 30-day month, whole", d("2027-04-01"), d("2027-04-30")),
    Case("March after a leap February, whole", d("2028-03-01"), d("2028-03-31"), "FR"),
    Case("a quarter of whole months", d("2027-04-01"), d("2027-06-30")),
    Case("a whole year", d("2028-01-01"), d("2028-12-31")),
    Case("across 29 February", d("2028-02-15"), d("2028-03-15")),
    Case("across a year boundary", d("2027-12-15"), d("2028-01-15")),
    Case("the two days of a year boundary", d("2027-12-31"), d("2028-01-01"), "ES"),
    Case("before the first sale, expenses only", d("2026-10-01"), d("2026-10-31")),
    Case("before any data", d("2026-09-01"), d("2026-09-30")),
    Case("straddling the first sale", d("2026-10-15"), d("2026-11-10")),
    Case("territory before its first sale", d("2027-01-01"), d("2027-03-31"), "IE"),
    Case("territory after its last sale", d("2028-07-01"), d("2028-07-31"), "IE"),
    Case("territory that never sells", d("2027-01-01"), d("2028-12-31"), NO_SALES_TERRITORY),
    Case("a month without targets in the middle", d("2027-05-10"), d("2027-07-20")),
    Case("a month without expenses in the middle", d("2027-07-20"), d("2027-09-10")),
    Case("months without targets and expenses", d("2027-05-01"), d("2027-09-30"), "UK"),
    Case("partial coverage in a territory", d("2028-06-20"), d("2028-09-10"), "DE"),
    Case("after the last sale", d("2029-01-01"), d("2029-01-31")),
    named("month to date on 29 February", "mtd", d("2028-02-29")),
    named("month to date on a 31st after February", "mtd", d("2028-03-31")),
    named("month to date on the 30th of a 30-day month", "mtd", d("2027-04-30"), "UK"),
    named("quarter to date on the last day of May", "qtd", d("2028-05-31")),
    named("year to date on 29 February", "ytd", d("2028-02-29")),
    named("year to date on 1 January", "ytd", d("2028-01-01"), "DE"),
    named("last 30 days into March of a leap year", "last_30_days", d("2028-03-01")),
    named("last 30 days that are a whole month", "last_30_days", d("2027-06-30")),
)


def _running_sums(ledger: Ledger, days: list[date], territory: str | None) -> tuple[list[Decimal], list[int]]:
    """Revenue and orders up to each day (an order belongs to one day, so daily order counts add up)."""
    revenue: dict[date, Decimal] = defaultdict(Decimal)
    orders: dict[date, set[tuple[str, str]]] = defaultdict(set)
    for line in ledger.lines:
        if territory is None or line.territory == territory:
            revenue[line.day] += line.net_revenue
            orders[line.day].add(line.order)
    total_revenue, total_orders = [Decimal(0)], [0]
    for day in days:
        total_revenue.append(total_revenue[-1] + revenue[day])
        total_orders.append(total_orders[-1] + len(orders[day]))
    return total_revenue, total_orders


def _rounding_edges(ledger: Ledger, rng: random.Random, tries: int = 3000) -> list[Case]:
    """Periods whose average order value rounds differently via four places than straight to the penny.

    Such a quotient needs a hundred or more orders, so long random ranges are searched.
    """
    first, last = min(line.day for line in ledger.lines), max(line.day for line in ledger.lines)
    days = each_day(first, last)
    found = []
    for territory in (None, "UK"):
        revenue, orders = _running_sums(ledger, days, territory)
        for _ in range(tries):
            start = rng.randrange(len(days))
            end = rng.randrange(start, len(days))
            count = orders[end + 1] - orders[start]
            total = revenue[end + 1] - revenue[start]
            if count and penny(total / count) != penny(ratio(total, count)):  # type: ignore[arg-type]
                found.append(Case("average order value on a rounding edge", days[start], days[end], territory))
                break
    return found


def _tipped_days(amount: Decimal, month: date) -> list[int]:
    """Day counts whose exact share of `amount` is a half-penny tie that a share first written as a
    28-digit decimal (Python's default precision) would tip the other way than half to even."""
    length = days_in_month(month)
    found = []
    for days in range(1, length):
        if (Fraction(amount) * 100 * days / length).denominator != 2:
            continue
        exact = penny(amount * days / length)
        if penny(amount * (Decimal(days) / Decimal(length))) != exact:
            found.append(days)
    return found


def _proration_ties(ledger: Ledger, rng: random.Random) -> list[Case]:
    """Periods where an expense's or a target's share of its month is exactly half a penny past a whole one,
    chosen where computing the share before multiplying would round that half penny the wrong way."""
    expenses, targets = [], []
    for expense in ledger.expenses:
        for days in _tipped_days(expense.amount, expense.month):
            end = expense.month + timedelta(days=days - 1)
            expenses.append(Case("opex share on half a penny", expense.month, end, expense.territory))
    for (month, metric), values in ledger.targets.items():
        if metric in ("gross_margin_pct", "aov"):
            continue
        for territory, value in values.items():
            for days in _tipped_days(value, month):
                view = None if territory == "*" else territory
                targets.append(
                    Case(f"{metric} target share on half a penny", month, month + timedelta(days=days - 1), view)
                )
    return rng.sample(expenses, min(2, len(expenses))) + rng.sample(targets, min(2, len(targets)))


def _random_case(rng: random.Random, index: int) -> Case:
    """A random period and filter; it is reported by half the dimensions (alternating), to keep the run short."""
    case = _random_period(rng, index)
    return replace(case, sales_by=SALES_BY[index % 2 :: 2], pnl_by=PNL_BY[index % 2 :: 2])


def _random_period(rng: random.Random, index: int) -> Case:
    territory = None if rng.random() < 0.45 else rng.choice(TERRITORIES)
    if territory == "IE" and rng.random() < 0.5:
        start = IE_SELLS[1] + timedelta(days=rng.randint(1, 100))
        return Case(f"random #{index}: IE without sales", start, start + timedelta(days=rng.randint(0, 40)), "IE")
    kind = rng.choice(["day", "short", "whole months", "long", "named"])
    start = EARLIEST + timedelta(days=rng.randint(0, (LATEST - EARLIEST).days))
    why = f"random #{index}: {kind}"
    if kind == "day":
        return Case(why, start, start, territory)
    if kind == "short":
        return Case(why, start, start + timedelta(days=rng.randint(1, 45)), territory)
    if kind == "whole months":
        months = months_from(start, start + timedelta(days=31 * rng.randint(0, 5)))
        return Case(why, months[0], month_end(months[-1]), territory)
    if kind == "long":
        return Case(why, start, start + timedelta(days=rng.randint(46, 500)), territory)
    return named(why, rng.choice(["mtd", "qtd", "ytd", "last_30_days"]), start, territory)


def make_cases(ledger: Ledger, seed: int) -> list[Case]:
    """The fixed edges, rounding edges found in this run's data, and seeded random periods and filters."""
    rng = random.Random(seed + 1)
    return [
        *FIXED,
        *_rounding_edges(ledger, rng),
        *_proration_ties(ledger, rng),
        *(_random_case(rng, n) for n in range(1, RANDOM_CASES + 1)),
    ]
