"""A seeded random business: sales lines, expenses, targets and FX rates, as the files people import.

The rows hold what each file says (blank fields as None), so the oracle applies Glance's documented
defaults and conversions itself. Two sales systems number their orders the same way.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from tests.oracle.days import months_from

FIRST_SALE_DAY = date(2026, 11, 1)
LAST_SALE_DAY = date(2028, 12, 31)
LEAP_DAY = date(2028, 2, 29)
"""Always has sales, so the 29 February checks are about figures, not about an empty day."""
FIRST_BOOKED_MONTH = date(2026, 10, 1)
"""Expenses and FX rates start a month before the first sale."""
LAST_BOOKED_MONTH = date(2028, 12, 1)
TERRITORY_WEIGHTS = {"UK": 35, "DE": 20, "FR": 15, "ES": 12, "Việt Nam": 8, "IE": 10}
IE_SELLS = (date(2027, 9, 1), date(2028, 6, 30))
"""IE sells only in this window; NL never sells (it has expenses and targets only)."""
NO_SALES_TERRITORY = "NL"
SHOP_CHANNELS = {"Online": 40, "Marketplace": 15}
ERP_CHANNELS: dict[str | None, int] = {"Retail": 30, "Wholesale": 10, None: 5}
"""None: the channel cell is left blank (Glance files the order under `Unassigned`)."""
CATALOGUE = {
    "Coffee": {"Espresso beans 1kg": "19.00", "Filter blend 500g": "8.49", "Decaf 250g": "6.25"},
    "Equipment": {"Grinder": "120.00", "Kettle": "45.50", "Scale": "27.00", "Espresso machine": "649.00"},
    "Tea": {"Green tea": "4.75", "Earl Grey": "5.00", "Chai": "6.49"},
    "Accessories": {"Mug": "9.00", "Filters x100": "3.49", "Tamper": "23.00"},
}
EXPENSE_CATEGORIES = {"Rent": (4000, 9000), "Salaries": (15000, 40000), "Marketing": (500, 6000), "IT": (800, 2500)}
NO_EXPENSE_MONTH = date(2027, 8, 1)
NO_TARGET_MONTHS = (date(2027, 6, 1), date(2028, 8, 1))
USD_GAP = date(2027, 5, 1)
"""No USD rate this month: USD lines and expenses of May 2027 are rejected."""
# Three-decimal rates make many converted amounts land exactly on half a penny.
EUR_RATES = ("0.845", "0.855", "0.8625", "0.865", "0.875", "0.8575", "0.851234")
USD_RATES = ("0.785", "0.7925", "0.795", "0.805", "0.78125", "0.776543")
REVISED = ((date(2027, 3, 1), "EUR"), (date(2028, 2, 1), "EUR"), (date(2028, 11, 1), "USD"))
TARGET_METRICS = {
    # metric: (chance of a whole-business target in a month, chance of territory targets)
    "net_revenue": (0.7, 0.6),
    "gross_margin": (0.55, 0.5),
    "gross_margin_pct": (0.55, 0.45),
    "orders": (0.5, 0.45),
    "units": (0.45, 0.4),
    "aov": (0.5, 0.35),
    "opex": (0.35, 0.55),
    "operating_profit": (0.4, 0.35),
    "opex:Rent": (0.3, 0.5),
    "opex:Marketing": (0.3, 0.45),
}
IDLE_TARGET_BASE = {"gross_margin_pct": "0.45", "aov": "40"}
"""What a target is based on for a territory with nothing that month (other metrics: 1000)."""
CENT = Decimal("0.01")
T = TypeVar("T")


@dataclass(frozen=True)
class SaleRow:
    """One sales line as its file writes it; None is a blank cell."""

    source: str
    external_id: str | None
    order_id: str
    day: date
    territory: str
    channel: str | None
    product: str | None
    category: str | None
    units: int
    net_revenue: Decimal | None
    unit_price: Decimal | None
    cogs: Decimal | None
    unit_cost: Decimal | None
    currency: str | None


@dataclass(frozen=True)
class ExpenseRow:
    """One month's operating expense of a territory and category."""

    month: date
    territory: str
    category: str
    amount: Decimal
    currency: str | None


@dataclass(frozen=True)
class TargetRow:
    """A monthly target; territory `*` is the whole business."""

    month: date
    territory: str
    metric: str
    value: Decimal


@dataclass(frozen=True)
class RateRow:
    """Reporting-currency units per unit of `currency` in `month`."""

    month: date
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class Business:
    """Everything imported, in import order: rates, sales, expenses, targets, then revised rates."""

    seed: int
    sales: tuple[SaleRow, ...]
    expenses: tuple[ExpenseRow, ...]
    targets: tuple[TargetRow, ...]
    rates: tuple[RateRow, ...]
    revised_rates: tuple[RateRow, ...]


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _rates(rng: random.Random) -> tuple[tuple[RateRow, ...], tuple[RateRow, ...]]:
    rates = []
    for month in months_from(FIRST_BOOKED_MONTH, LAST_BOOKED_MONTH):
        rates.append(RateRow(month, "EUR", Decimal(rng.choice(EUR_RATES))))
        if month != USD_GAP:
            rates.append(RateRow(month, "USD", Decimal(rng.choice(USD_RATES))))
    by_key = {(r.month, r.currency): r for r in rates}
    revised = [RateRow(m, c, by_key[(m, c)].rate + Decimal("0.0125")) for m, c in REVISED]
    revised += [by_key[(date(2027, 1, 1), "EUR")], by_key[(date(2027, 1, 1), "USD")]]  # restated unchanged
    return tuple(rates), tuple(revised)


def _territory(rng: random.Random, day: date) -> str:
    while True:
        territory = _pick(rng, TERRITORY_WEIGHTS)
        if territory != "IE" or IE_SELLS[0] <= day <= IE_SELLS[1]:
            return territory


def _currency(rng: random.Random, territory: str, channel: str | None) -> str | None:
    if territory == "Việt Nam" or (channel == "Marketplace" and rng.random() < 0.5):
        return "USD" if rng.random() < 0.8 else "GBP"
    if territory != "UK" and rng.random() < 0.7:
        return "EUR"
    return None if rng.random() < 0.3 else "GBP"


class _SalesWriter:
    """Orders and their lines for both systems; order ids restart in each system."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[SaleRow] = []
        self.next_order = {"shop": 1, "erp": 1}
        self.next_line = 1

    def order(self, day: date, *, currency: str | None = None) -> None:
        rng = self.rng
        shop = rng.random() < 0.55
        source = "shop" if shop else "erp"
        channel: str | None = _pick(rng, SHOP_CHANNELS) if shop else _pick(rng, ERP_CHANNELS)
        territory = _territory(rng, day)
        currency = currency or _currency(rng, territory, channel)
        order_id = f"SO-{self.next_order[source]:05d}"
        self.next_order[source] += 1
        count = rng.choices([1, 2, 3, 4], weights=[40, 30, 20, 10])[0]
        for index in range(1, count + 1):
            if shop:
                external_id: str | None = f"{order_id}/{index}"
            else:
                external_id = None if count == 1 and rng.random() < 0.5 else f"L{self.next_line}"
                self.next_line += 1
            self.rows.append(self._line(source, external_id, order_id, day, territory, channel, currency))

    def _line(
        self,
        source: str,
        external_id: str | None,
        order_id: str,
        day: date,
        territory: str,
        channel: str | None,
        currency: str | None,
    ) -> SaleRow:
        rng = self.rng
        category = rng.choice(list(CATALOGUE))
        product = rng.choice(list(CATALOGUE[category]))
        price = Decimal(CATALOGUE[category][product])
        units = rng.randint(10, 200) if channel == "Wholesale" else rng.randint(1, 5)
        if rng.random() < 0.02:
            units = -rng.randint(1, 3)  # a return
        cost_share = Decimal(rng.randint(35, 70)) / 100
        unit_price = unit_cost = net_revenue = cogs = None
        if source == "shop" and rng.random() < 0.15:
            unit_price = price
            unit_cost = _money(price * cost_share) if rng.random() < 0.8 else None
        else:
            discount = Decimal(rng.choice(["0", "0", "0", "0.05", "0.1", "0.125"]))
            net_revenue = _money(units * price * (1 - discount))
            cogs = _money(net_revenue * cost_share) if rng.random() > 0.03 else None
        unnamed = rng.random() < 0.05  # product and category left blank
        return SaleRow(
            source=source,
            external_id=external_id,
            order_id=order_id,
            day=day,
            territory=territory,
            channel=channel,
            product=None if unnamed else product,
            category=None if unnamed else category,
            units=units,
            net_revenue=net_revenue,
            unit_price=unit_price,
            cogs=cogs,
            unit_cost=unit_cost,
            currency=currency,
        )


def _sales(rng: random.Random) -> tuple[SaleRow, ...]:
    writer = _SalesWriter(rng)
    day = FIRST_SALE_DAY
    while day <= LAST_SALE_DAY:
        orders = rng.choices([0, 1, 2, 3, 4], weights=[15, 30, 30, 15, 10])[0]
        for _ in range(max(orders, 2) if day == LEAP_DAY else orders):
            writer.order(day)
        day += timedelta(days=1)
    writer.order(date(2027, 10, 12), currency="JPY")  # no JPY rate ever: rejected
    return tuple(writer.rows)


def _expenses(rng: random.Random) -> tuple[ExpenseRow, ...]:
    rows = []
    for index, month in enumerate(months_from(FIRST_BOOKED_MONTH, LAST_BOOKED_MONTH)):
        if month == NO_EXPENSE_MONTH:
            continue
        for territory in [*TERRITORY_WEIGHTS, NO_SALES_TERRITORY]:
            if territory == "IE" and not date(2027, 7, 1) <= month <= date(2028, 9, 1):
                continue
            if (territory == NO_SALES_TERRITORY and index % 3) or (territory == "Việt Nam" and month.year == 2027):
                continue
            for category, (low, high) in EXPENSE_CATEGORIES.items():
                if (category == "IT" and territory not in ("UK", "DE")) or rng.random() < 0.12:
                    continue
                amount = Decimal(rng.randint(low * 100, high * 100)) / 100
                if territory == "Việt Nam":
                    currency: str | None = "USD" if rng.random() < 0.5 else "GBP"
                elif territory not in ("UK", "NL") and rng.random() < 0.5:
                    currency = "EUR"
                else:
                    currency = None if rng.random() < 0.3 else "GBP"
                rows.append(ExpenseRow(month, territory, category, amount, currency))
    if not any(r.month == USD_GAP and r.currency == "USD" for r in rows):
        rows.append(ExpenseRow(USD_GAP, "Việt Nam", "Consulting", Decimal("1200.00"), "USD"))
    return tuple(rows)


def _actuals(
    sales: tuple[SaleRow, ...], expenses: tuple[ExpenseRow, ...]
) -> dict[tuple[date, str], dict[str, Decimal]]:
    """Rough monthly figures per territory (and `*`), for targets near the truth; no need to be exact."""
    sums: dict[tuple[date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    orders: dict[tuple[date, str], set[tuple[str, str]]] = defaultdict(set)
    for row in sales:
        revenue = row.net_revenue if row.net_revenue is not None else (row.unit_price or Decimal(0)) * row.units
        for key in ((row.day.replace(day=1), row.territory), (row.day.replace(day=1), "*")):
            sums[key]["net_revenue"] += revenue
            sums[key]["gross_margin"] += revenue * Decimal("0.45")
            sums[key]["units"] += row.units
            orders[key].add((row.source, row.order_id))
    for expense in expenses:
        for key in ((expense.month, expense.territory), (expense.month, "*")):
            sums[key]["opex"] += expense.amount
            sums[key][f"opex:{expense.category}"] += expense.amount
    for key, figures in sums.items():
        figures["orders"] = Decimal(len(orders[key]))
        figures["operating_profit"] = figures["gross_margin"] - figures["opex"]
        figures["gross_margin_pct"] = Decimal("0.45")
        figures["aov"] = figures["net_revenue"] / figures["orders"] if figures["orders"] else Decimal(40)
    return sums


def _target_value(rng: random.Random, metric: str, actual: Decimal) -> Decimal:
    value = actual * Decimal(rng.randint(85, 112)) / 100
    if metric in ("orders", "units"):
        return value.quantize(Decimal(1))
    if metric == "gross_margin_pct":
        return value.quantize(Decimal("0.0001"))
    return _money(value)


def _targets(rng: random.Random, sales: tuple[SaleRow, ...], expenses: tuple[ExpenseRow, ...]) -> tuple[TargetRow, ...]:
    actuals = _actuals(sales, expenses)
    territories = [*TERRITORY_WEIGHTS, NO_SALES_TERRITORY]
    rows = []
    for month in months_from(FIRST_SALE_DAY, LAST_BOOKED_MONTH):
        if month in NO_TARGET_MONTHS:
            continue
        for metric, (whole_chance, territory_chance) in TARGET_METRICS.items():
            if rng.random() < whole_chance:
                rows.append(TargetRow(month, "*", metric, _target_value(rng, metric, actuals[(month, "*")][metric])))
            if rng.random() < territory_chance:
                for territory in territories:
                    active = (month, territory) in actuals
                    if rng.random() < (0.8 if active else 0.1):
                        actual = actuals[(month, territory)][metric] if active else IDLE_TARGET_BASE.get(metric, 1000)
                        rows.append(TargetRow(month, territory, metric, _target_value(rng, metric, Decimal(actual))))
    return tuple(rows)


def make_business(seed: int) -> Business:
    """The whole business of one seed."""
    rng = random.Random(seed)
    rates, revised = _rates(rng)
    sales = _sales(rng)
    expenses = _expenses(rng)
    return Business(
        seed=seed,
        sales=sales,
        expenses=expenses,
        targets=_targets(rng, sales, expenses),
        rates=rates,
        revised_rates=revised,
    )
