"""A sales file for the stack tests, the totals a user expects from it, and the report they compare with."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tests.factories import SALES_HEADER
from tests.stack.harness import Stack


@dataclass
class Totals:
    """What `glance report sales --by territory` should say for one territory, or for all of them."""

    net_revenue: Decimal = Decimal("0.00")
    cogs: Decimal = Decimal("0.00")
    units: int = 0
    order_ids: set[str] = field(default_factory=set)

    @property
    def orders(self) -> int:
        return len(self.order_ids)


@dataclass(frozen=True)
class SalesFile:
    """A CSV with the columns a shop system exports, and its totals computed independently of Glance."""

    content: bytes
    by_territory: dict[str, Totals]
    total: Totals

    def revenue_by_territory(self, *, suffix: str = "") -> dict[str, Decimal]:
        """Net revenue per territory name (with `suffix` after each), as the sales page lists it."""
        return {f"{territory}{suffix}": totals.net_revenue for territory, totals in self.by_territory.items()}


def make_sales_file(*, lines: int = 600, seed: int = 7) -> SalesFile:
    """Sales lines over three months in four territories, money with pence, several lines per order."""
    rng = random.Random(seed)
    territories = ["UK", "Germany", "France", "Spain"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SALES_HEADER)
    by_territory: dict[str, Totals] = {}
    total = Totals()
    orders: dict[str, tuple[date, str]] = {}
    for n in range(lines):
        territory = rng.choice(territories)
        order_id = f"SO-{n // 3:05d}-{territory[:2].upper()}"
        units = rng.randint(1, 20)
        revenue = Decimal(rng.randint(500, 90_000)) / 100 * units
        cogs = (revenue * Decimal(rng.randint(35, 70)) / 100).quantize(Decimal("0.01"))
        # One date and one channel per order, as in any shop export; categories mix within an order.
        day, channel = orders.setdefault(
            order_id, (date(2025, 1, 1) + timedelta(days=rng.randint(0, 89)), rng.choice(["Online", "Retail"]))
        )
        writer.writerow(
            [
                f"L{n:06d}",
                order_id,
                day.isoformat(),
                territory,
                channel,
                f"P{rng.randint(1, 12)}",
                rng.choice(["Hardware", "Software"]),
                units,
                f"{revenue:.2f}",
                f"{cogs:.2f}",
                "GBP",
            ]
        )
        for bucket in (by_territory.setdefault(territory, Totals()), total):
            bucket.net_revenue += revenue
            bucket.cogs += cogs
            bucket.units += units
            bucket.order_ids.add(order_id)
    return SalesFile(content=buffer.getvalue().encode("utf-8"), by_territory=by_territory, total=total)


@dataclass(frozen=True)
class ReportRow:
    """One row of the sales report as the CLI prints it in JSON."""

    key: str
    net_revenue: Decimal
    units: int
    orders: int


@dataclass(frozen=True)
class SalesReport:
    """`glance report sales --by territory --format json`, parsed."""

    rows: list[ReportRow]
    total: ReportRow


def report_by_territory(stack: Stack, *, service: str = "sync") -> SalesReport:
    """Run the sales report inside a service container, as an operator would."""
    payload = json.loads(
        stack.glance("report", "sales", "--by", "territory", "--format", "json", service=service).stdout
    )

    def row(item: dict[str, object]) -> ReportRow:
        return ReportRow(
            key=str(item.get("key", "total")),
            net_revenue=Decimal(str(item["net_revenue"])),
            units=int(str(item["units"])),
            orders=int(str(item["orders"])),
        )

    return SalesReport(rows=[row(item) for item in payload["rows"]], total=row(payload["total"]))
