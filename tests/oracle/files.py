"""The business as the CSV files people import: one sales system writes ISO dates and plain numbers,
the other day-first dates, thousands separators and `(negative)` amounts under headers of its own."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.oracle.dataset import Business

ERP_MAPPING = ("external_id=LineNo", "order_date=Date", "units=Qty")
"""How the ERP export's own headers map onto Glance's sales fields."""
SHOP_HEADER = (
    *("external_id", "order_id", "order_date", "territory", "channel", "product", "category", "units"),
    *("unit_price", "net_revenue", "unit_cost", "cogs", "currency"),
)
ERP_HEADER = (
    "LineNo",
    "order_id",
    "Date",
    "territory",
    "channel",
    "product",
    "category",
    "Qty",
    "net_revenue",
    "cogs",
    "currency",
)


@dataclass(frozen=True)
class Files:
    """The files of one business, by what `glance import` is asked to do with them."""

    rates: Path
    shop: Path
    erp: Path
    expenses: Path
    targets: Path
    revised_rates: Path


def _plain(value: str | Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _accounting(value: Decimal | None) -> str:
    """`1,234.50`, and `(12.50)` for negatives, as accounting exports write them."""
    if value is None:
        return ""
    text = f"{abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_files(business: Business, folder: Path) -> Files:
    """Write the business as CSV files into `folder`."""
    shop = [
        [
            *(_plain(r.external_id), r.order_id, r.day.isoformat(), r.territory, _plain(r.channel)),
            *(_plain(r.product), _plain(r.category), str(r.units), _plain(r.unit_price), _plain(r.net_revenue)),
            *(_plain(r.unit_cost), _plain(r.cogs), _plain(r.currency)),
        ]
        for r in business.sales
        if r.source == "shop"
    ]
    erp = [
        [
            *(_plain(r.external_id), r.order_id, r.day.strftime("%d/%m/%Y"), r.territory, _plain(r.channel)),
            *(_plain(r.product), _plain(r.category), str(r.units), _accounting(r.net_revenue), _accounting(r.cogs)),
            _plain(r.currency),
        ]
        for r in business.sales
        if r.source == "erp"
    ]
    month = "%Y-%m"
    return Files(
        rates=_write(
            folder / "fx.csv",
            ["month", "currency", "rate"],
            [[r.month.strftime(month), r.currency, str(r.rate)] for r in business.rates],
        ),
        shop=_write(folder / "shop.csv", list(SHOP_HEADER), shop),
        erp=_write(folder / "erp.csv", list(ERP_HEADER), erp),
        expenses=_write(
            folder / "expenses.csv",
            ["month", "territory", "category", "amount", "currency"],
            [
                [r.month.strftime(month), r.territory, r.category, str(r.amount), _plain(r.currency)]
                for r in business.expenses
            ],
        ),
        targets=_write(
            folder / "targets.csv",
            ["month", "metric", "value", "territory"],
            [[r.month.strftime(month), r.metric, str(r.value), r.territory] for r in business.targets],
        ),
        revised_rates=_write(
            folder / "fx-revised.csv",
            ["month", "currency", "rate"],
            [[r.month.strftime(month), r.currency, str(r.rate)] for r in business.revised_rates],
        ),
    )
