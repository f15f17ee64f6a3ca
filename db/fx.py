"""Currency conversion into the reporting currency with monthly rates, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from db.models import FxRate

MONEY = pl.Decimal(18, 2)
RATE = pl.Decimal(18, 6)
_PRODUCT = pl.Decimal(38, 8)
"""Holds an amount times a rate exactly: Polars keeps only the larger operand scale (6) and truncates
the rest, so 4.66 x 0.863734 = 4.02500044 would become 4.025000 and round to 4.02 instead of 4.03."""


@dataclass(frozen=True)
class Converted:
    """The frame with `<amount>_rc` columns added, and which rows had no rate for their month."""

    frame: pl.DataFrame
    missing_rate: pl.Series


def load_rates(session: Session) -> pl.DataFrame:
    """Every stored monthly rate as a frame of month, currency, rate."""
    rows = session.execute(select(col(FxRate.month), col(FxRate.currency), col(FxRate.rate))).all()
    return pl.DataFrame(
        {"month": [r[0] for r in rows], "currency": [r[1] for r in rows], "rate": [r[2] for r in rows]},
        schema={"month": pl.Date, "currency": pl.String, "rate": RATE},
    )


def to_reporting(
    frame: pl.DataFrame,
    *,
    rates: pl.DataFrame,
    reporting_currency: str,
    date_column: str,
    amounts: dict[str, str],
) -> Converted:
    """Convert each `source -> target` amount column with the rate of the row's month and currency.

    Rows in the reporting currency use rate 1; other rows without a rate for their month are
    flagged in `missing_rate` (their converted amounts are null). Results round half to even
    to the penny, like Python's `Decimal` default.
    """
    if frame.get_column("currency").eq(reporting_currency).fill_null(False).all():
        # The usual file, all in the reporting currency: rate 1 everywhere, nothing to look up.
        same = frame.with_columns(pl.col(source).cast(MONEY).alias(target) for source, target in amounts.items())
        return Converted(frame=same, missing_rate=pl.repeat(False, frame.height, eager=True))
    keyed = frame.with_columns(pl.col(date_column).dt.month_start().alias("__fx_month"))
    joined = keyed.join(
        rates.rename({"month": "__fx_month", "currency": "__fx_currency", "rate": "__fx_rate"}),
        left_on=["__fx_month", "currency"],
        right_on=["__fx_month", "__fx_currency"],
        how="left",
        maintain_order="left",
    )
    rate = pl.when(pl.col("currency") == reporting_currency).then(pl.lit(1, dtype=RATE)).otherwise(pl.col("__fx_rate"))
    joined = joined.with_columns(rate.alias("__fx_rate"))
    converted = joined.with_columns(
        (pl.col(source).cast(MONEY).cast(_PRODUCT) * pl.col("__fx_rate")).round(2).cast(MONEY).alias(target)
        for source, target in amounts.items()
    )
    missing = converted.get_column("__fx_rate").is_null()
    return Converted(frame=converted.drop("__fx_month", "__fx_rate"), missing_rate=missing)
