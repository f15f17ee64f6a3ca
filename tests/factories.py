"""Factories for test rows: say only what a test cares about, the rest gets sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from db.data_version import bump_data_version
from db.fx import load_rates, to_reporting
from db.writes import (
    EXPENSE_SCHEMA,
    FX_SCHEMA,
    SALES_COLUMNS,
    SALES_SCHEMA,
    TARGET_SCHEMA,
    store_expenses,
    store_fx_rates,
    store_sales,
    store_targets,
)
from services.contracts.kinds import SALES

_ids = itertools.count(1)

SALES_HEADER = [name for name in SALES.names if name in SALES_COLUMNS]
"""The columns of a sales file with every field under its own name: the sales fields stored as they are read."""

_REPORTING_AMOUNTS = {"net_revenue": "net_revenue_rc", "cogs": "cogs_rc"}
"""Each sales amount and its reporting-currency column, which the conversion adds."""


def sale(**fields: Any) -> dict[str, Any]:
    """One sales line; money given as strings or Decimals."""
    n = next(_ids)
    line = {
        "source": "test",
        "external_id": f"L{n}",
        "order_id": f"O{n}",
        "order_date": date(2025, 1, 15),
        "territory": "UK",
        "channel": "Online",
        "product": "Widget",
        "category": "Gadgets",
        "units": 1,
        "currency": "GBP",
        "net_revenue": "10.00",
        "cogs": "4.00",
    }
    line.update(fields)
    line["net_revenue"] = Decimal(str(line["net_revenue"]))
    line["cogs"] = Decimal(str(line["cogs"]))
    return line


def store_sales_lines(session: Session, lines: list[dict[str, Any]], *, reporting_currency: str = "GBP") -> None:
    """Convert and store sales lines and bump the data version, as an import would."""
    frame = pl.DataFrame(
        lines,
        schema={name: kind for name, kind in SALES_SCHEMA.items() if name not in _REPORTING_AMOUNTS.values()},
    )
    converted = to_reporting(
        frame,
        rates=load_rates(session),
        reporting_currency=reporting_currency,
        date_column="order_date",
        amounts=_REPORTING_AMOUNTS,
    )
    assert not converted.missing_rate.any(), "a test line has no FX rate for its month"
    store_sales(session, frame=converted.frame, import_run_id=None)
    bump_data_version(session)
    session.commit()


def store_expense_lines(session: Session, rows: list[tuple[date, str, str, str]]) -> None:
    """Store (month, territory, category, amount) expenses in GBP."""
    frame = pl.DataFrame(
        [
            {
                "month": m,
                "territory": t,
                "category": c,
                "currency": "GBP",
                "amount": Decimal(a),
                "amount_rc": Decimal(a),
                "source": "test",
            }
            for m, t, c, a in rows
        ],
        schema=EXPENSE_SCHEMA,
    )
    store_expenses(session, frame=frame, import_run_id=None)
    session.commit()


def store_target_rows(session: Session, rows: list[tuple[date, str, str, str]]) -> None:
    """Store (month, territory or '*', metric, value) targets."""
    frame = pl.DataFrame(
        [
            {"month": m, "territory": t, "metric": metric, "value": Decimal(v), "source": "test"}
            for m, t, metric, v in rows
        ],
        schema=TARGET_SCHEMA,
    )
    store_targets(session, frame=frame, import_run_id=None)
    session.commit()


def store_rates(session: Session, rows: list[tuple[date, str, str]]) -> None:
    """Store (month, currency, rate) FX rates."""
    frame = pl.DataFrame([{"month": m, "currency": c, "rate": Decimal(r)} for m, c, r in rows], schema=FX_SCHEMA)
    store_fx_rates(session, frame=frame, import_run_id=None)
    session.commit()
