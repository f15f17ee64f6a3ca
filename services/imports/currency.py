"""Convert checked rows into the reporting currency; a row with no rate for its month is a problem."""

from __future__ import annotations

import polars as pl

from db.fx import to_reporting
from services.imports.read import ROW
from services.imports.validate import PROBLEM_SCHEMA, Split


def convert(
    good: pl.DataFrame, *, rates: pl.DataFrame, reporting_currency: str, date_column: str, amounts: dict[str, str]
) -> Split:
    """The rows with `<amount>_rc` columns added, and problems for rows whose month has no rate."""
    converted = to_reporting(
        good, rates=rates, reporting_currency=reporting_currency, date_column=date_column, amounts=amounts
    )
    frame = converted.frame
    missing = frame.filter(converted.missing_rate)
    month = pl.col(date_column).dt.strftime("%Y-%m")
    problems = missing.select(
        pl.col(ROW).alias("row"),
        pl.lit("currency").alias("field"),
        pl.col("currency").alias("value"),
        pl.concat_str(
            [
                pl.lit("currency '"),
                pl.col("currency"),
                pl.lit("' has no FX rate for "),
                month,
                pl.lit(f" (import fx-rates into {reporting_currency} for that month first)"),
            ]
        ).alias("reason"),
    ).cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]  # polars' cast() wants a Mapping keyed by column-or-dtype; a dict[str, ...] is invariant
    return Split(good=frame.filter(~converted.missing_rate), problems=problems)
