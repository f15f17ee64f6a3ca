"""Check a batch of text rows against a kind's fields, column by column (vectorised).

The result splits the batch: typed good rows, and problems `{row, field, value, reason}` worded
for the person who owns the file. A row with any problem is kept out of the good rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from services.contracts.kinds import (
    KPI_METRICS,
    OPEX_CATEGORY_PREFIX,
    REPORTING_CURRENCY,
    FieldSpec,
    KindSpec,
    ValueType,
)
from services.imports.dates import DateFormat, parse_date, parse_month
from services.imports.mapping import ColumnMap
from services.imports.read import ROW
from services.imports.values import (
    MONEY,
    NUMBER,
    RATE,
    Parsed,
    clean_text,
    parse_choice,
    parse_currency,
    parse_decimal,
    parse_integer,
    parse_scope,
    parse_text,
)

PROBLEM_SCHEMA = {"row": pl.Int64, "field": pl.String, "value": pl.String, "reason": pl.String}
ROLES = ("viewer", "analyst", "admin")
_NO_TERRITORIES = "no territories column: * (every territory) for new users; existing users keep theirs"


@dataclass(frozen=True)
class Split:
    """Rows that passed a check, and problems for those that did not."""

    good: pl.DataFrame
    problems: pl.DataFrame


def _raw(name: str) -> str:
    return f"__raw_{name}"


def _err(name: str) -> str:
    return f"__err_{name}"


def _parser(spec: FieldSpec, raw: pl.Expr, label: str, date_format: DateFormat, *, in_file: bool) -> Parsed:
    match spec.type:
        case ValueType.money:
            return parse_decimal(raw, label=label, dtype=MONEY)
        case ValueType.number:
            return parse_decimal(raw, label=label, dtype=NUMBER)
        case ValueType.rate:
            return parse_decimal(raw, label=label, dtype=RATE, positive=True)
        case ValueType.integer:
            return parse_integer(raw, label=label)
        case ValueType.date:
            return parse_date(raw, label=label, date_format=date_format)
        case ValueType.month:
            return parse_month(raw, label=label, date_format=date_format)
        case ValueType.currency:
            return parse_currency(raw, label=label)
        case ValueType.metric:
            return parse_choice(raw, label=label, choices=KPI_METRICS, prefix=OPEX_CATEGORY_PREFIX)
        case ValueType.role:
            return parse_choice(raw, label=label, choices=ROLES)
        case ValueType.secret:
            return Parsed(value=raw, error=pl.lit(None, dtype=pl.String))
        case ValueType.scope:
            return parse_scope(raw, label=label, in_file=in_file)
    return parse_text(raw, label=label, max_length=spec.max_length)


def _typed_default(spec: FieldSpec, reporting_currency: str) -> pl.Expr:
    value = reporting_currency if spec.default == REPORTING_CURRENCY else spec.default
    dtype = {ValueType.money: MONEY, ValueType.number: NUMBER}.get(spec.type, pl.String)
    return pl.lit(value).cast(dtype)


def check_batch(
    frame: pl.DataFrame,
    *,
    spec: KindSpec,
    columns: ColumnMap,
    date_format: DateFormat,
    reporting_currency: str,
) -> Split:
    """Parse every field: rows with a problem go to `problems`, the rest to `good` (with their raw text)."""
    raws = [
        (clean_text(columns.columns[f.name]) if f.name in columns.columns else pl.lit(None, dtype=pl.String)).alias(
            _raw(f.name)
        )
        for f in spec.fields
    ]
    staged = frame.select(pl.col(ROW), *raws)
    parsers = {
        f.name: _parser(f, pl.col(_raw(f.name)), columns.label(f.name), date_format, in_file=f.name in columns.columns)
        for f in spec.fields
    }
    in_file = {name: parsed for name, parsed in parsers.items() if name in columns.columns}
    # Rows whose every number and date is in plain form are read with plain casts; only the
    # others (currency symbols, separators, brackets, slashed dates, mistakes) get the full reading.
    plain = [p.plain | pl.col(_raw(name)).is_null() for name, p in in_file.items() if p.plain is not None]
    if plain:
        is_plain = staged.select(pl.all_horizontal(plain)).to_series()
        parts = [staged.filter(is_plain).with_columns(_parsed(spec, columns, parsers, reporting_currency, plain=True))]
        irregular = staged.filter(~is_plain)
        if not irregular.is_empty():  # the full reading costs milliseconds to plan, even for no rows
            parts.append(irregular.with_columns(_parsed(spec, columns, parsers, reporting_currency, plain=False)))
        staged = pl.concat(parts)
    else:
        staged = staged.with_columns(_parsed(spec, columns, parsers, reporting_currency, plain=False))
    if spec.kind.value == "sales":
        staged = _derive_sales(staged, columns)
    error_names = [c for c in staged.columns if c.startswith("__err_")]
    failed = pl.any_horizontal(pl.col(c).is_not_null() for c in error_names)
    problems = pl.concat(
        [
            staged.filter(pl.col(c).is_not_null()).select(
                pl.col(ROW).alias("row"),
                pl.lit(c.removeprefix("__err_")).alias("field"),
                pl.col(_raw(c.removeprefix("__err_"))).fill_null("").alias("value"),
                pl.col(c).alias("reason"),
            )
            for c in error_names
        ],
        how="vertical",
    ).sort("row", maintain_order=True)
    good = staged.filter(~failed)
    return Split(
        good=good.select(ROW, *spec.names, *(_raw(f.name) for f in spec.fields)),
        problems=problems.cast(PROBLEM_SCHEMA),  # type: ignore[arg-type]  # polars' cast() wants a Mapping keyed by column-or-dtype; a dict[str, ...] is invariant
    )


def _parsed(
    spec: KindSpec, columns: ColumnMap, parsers: dict[str, Parsed], reporting_currency: str, *, plain: bool
) -> list[pl.Expr]:
    """Each field's value and error columns, defaults and required fields applied (`plain`: plain-form rows)."""
    expressions: list[pl.Expr] = []
    for field in spec.fields:
        raw = pl.col(_raw(field.name))
        parsed = parsers[field.name]
        if plain and parsed.plain_value is not None and parsed.plain_error is not None:
            value, error = parsed.plain_value, parsed.plain_error
        else:
            value, error = parsed.value, parsed.error
        if field.default is not None:
            value = pl.when(raw.is_null()).then(_typed_default(field, reporting_currency)).otherwise(value)
        elif field.required:
            blank = pl.lit(f"{columns.label(field.name)} is blank (it is required)")
            error = pl.when(raw.is_null()).then(blank).otherwise(error)
        expressions += [value.alias(field.name), error.alias(_err(field.name))]
    return expressions


def _derive_sales(staged: pl.DataFrame, columns: ColumnMap) -> pl.DataFrame:
    """external_id and order_id stand in for each other; net_revenue and cogs may come from unit figures."""
    has = columns.columns.__contains__
    limit = 10**16
    revenue = pl.col("net_revenue")
    if has("unit_price"):
        revenue = pl.coalesce(revenue, (pl.col("unit_price") * pl.col("units")).round(2))
    cost = (
        pl.col("cogs")
        if not has("unit_cost")
        else pl.when(pl.col(_raw("cogs")).is_null())
        .then(pl.coalesce((pl.col("unit_cost") * pl.col("units")).round(2), pl.lit(0).cast(MONEY)))
        .otherwise(pl.col("cogs"))
    )
    staged = staged.with_columns(
        pl.coalesce(pl.col("external_id"), pl.col("order_id")).alias("external_id"),
        pl.coalesce(pl.col("order_id"), pl.col("external_id")).alias("order_id"),
        revenue.alias("net_revenue"),
        cost.alias("cogs"),
    )
    missing_id = (
        pl.col("external_id").is_null() & pl.col(_err("external_id")).is_null() & pl.col(_err("order_id")).is_null()
    )
    missing_revenue = pl.col(_raw("net_revenue")).is_null() & pl.col(_raw("unit_price")).is_null()
    too_large = (pl.col("net_revenue").abs() >= limit) | (pl.col("cogs").abs() >= limit)
    revenue_label = columns.label("net_revenue") if has("net_revenue") else columns.label("unit_price")
    return staged.with_columns(
        pl.when(missing_id)
        .then(pl.lit(f"{columns.label('external_id')} is blank and so is order_id (one is required)"))
        .otherwise(pl.col(_err("external_id")))
        .alias(_err("external_id")),
        pl.when(missing_revenue)
        .then(pl.lit(f"{revenue_label} is blank (it is required)"))
        .when(too_large & pl.col(_err("net_revenue")).is_null())
        .then(pl.lit("net_revenue (units x unit_price) is too large"))
        .otherwise(pl.col(_err("net_revenue")))
        .alias(_err("net_revenue")),
        pl.col("net_revenue").cast(MONEY, strict=False),
        pl.col("cogs").cast(MONEY, strict=False),
    )


def count_defaults(good: pl.DataFrame, spec: KindSpec, reporting_currency: str) -> dict[str, tuple[str, int]]:
    """How many good rows took each documented default, keyed by field: (value, rows)."""
    counts: dict[str, tuple[str, int]] = {}
    blank = {f.name: good.get_column(_raw(f.name)).null_count() for f in spec.fields}
    for field in spec.fields:
        if field.default is not None and blank[field.name]:
            value = reporting_currency if field.default == REPORTING_CURRENCY else field.default
            counts[field.name] = (value or "(empty)", blank[field.name])
    if spec.kind.value == "users" and blank["territories"]:
        # Only a file without the column has blank territories here: where it has one, a blank is rejected.
        counts["territories"] = (_NO_TERRITORIES, blank["territories"])
    if spec.kind.value == "sales":
        for name, other in (("external_id", "order_id"), ("order_id", "external_id")):
            if blank[name]:
                counts[name] = (f"the row's {other}", blank[name])
        if blank["net_revenue"]:
            counts["net_revenue"] = ("units x unit_price", blank["net_revenue"])
        costed = good.filter(pl.col(_raw("cogs")).is_null() & pl.col(_raw("unit_cost")).is_not_null()).height
        if costed:
            counts["cogs"] = ("units x unit_cost", costed)
            if blank["cogs"] - costed:
                counts["cogs (no unit_cost)"] = ("0.00", blank["cogs"] - costed)
    return counts
