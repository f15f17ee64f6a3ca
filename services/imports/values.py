"""Vectorised readers for one field's text: each gives the parsed value and, per row, why it failed.

Every reader takes the cleaned text column (trimmed, blank as null) and returns polars
expressions, so a batch is checked column by column, never row by row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from db.scope import Scope, ScopeError

MONEY = pl.Decimal(18, 2)
NUMBER = pl.Decimal(18, 4)
RATE = pl.Decimal(18, 6)
WIDE = pl.Decimal(38, 10)
_INT32_MAX = 2**31 - 1

_NUMBER_PATTERN = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$"
_CURRENCY_MARKS = r"[£$€¥₹\s\u00a0\u202f']"


@dataclass(frozen=True)
class Parsed:
    """A field's parsed value and its per-row reason for failing (null when the row is fine).

    `plain`, where given, is true for text in the field's plain form (`1234.50`, `12`,
    `2025-03-01`), which `plain_value` reads with one cast and `plain_error` checks. Most files
    write most cells that way; the full reading (symbols, separators, brackets) is then needed
    only for the other rows, so a batch is split on it (see `validate.check_batch`).
    """

    value: pl.Expr
    error: pl.Expr
    plain: pl.Expr | None = None
    plain_value: pl.Expr | None = None
    plain_error: pl.Expr | None = None


def _problem(label: str, raw: pl.Expr, reason: str) -> pl.Expr:
    return pl.concat_str([pl.lit(f"{label} '"), raw, pl.lit(f"' {reason}")])


def _reject_when(condition: pl.Expr, message: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(message).otherwise(pl.lit(None, dtype=pl.String))


def clean_text(column: str) -> pl.Expr:
    """The column's text trimmed, with blank cells as null."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text).otherwise(pl.lit(None, dtype=pl.String))


def _decimal_text(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Strip currency symbols, spaces and thousands separators; `(12.50)` is negative."""
    bracketed = raw.str.starts_with("(") & raw.str.ends_with(")")
    inner = pl.when(bracketed).then(raw.str.slice(1, raw.str.len_chars() - 2)).otherwise(raw)
    bare = inner.str.replace_all(_CURRENCY_MARKS, "")
    well_formed = (
        bare.str.contains(_NUMBER_PATTERN) & bare.str.contains(r"\d") & ~(bracketed & bare.str.starts_with("-"))
    )
    return bare.str.replace_all(",", "", literal=True).str.strip_prefix("+"), well_formed, bracketed


def parse_decimal(raw: pl.Expr, *, label: str, dtype: pl.Decimal, positive: bool = False) -> Parsed:
    """A decimal like `1,234.50`, `£12`, `(3.10)` or `-4`, rounded half-even to the column's scale."""
    digits, well_formed, negative = _decimal_text(raw)
    wide = pl.when(well_formed).then(digits).otherwise(None).cast(WIDE, strict=False)
    signed = pl.when(negative).then(-wide).otherwise(wide)
    limit = 10 ** (dtype.precision - dtype.scale)
    value = signed.round(dtype.scale)
    too_large = value.abs() >= limit
    error = (
        pl.when(raw.is_not_null() & value.is_null())
        .then(_problem(label, raw, "is not a number"))
        .when(too_large)
        .then(_problem(label, raw, f"is too large (it must be below {limit:,})"))
    )
    if positive:
        error = error.when(value <= 0).then(_problem(label, raw, "must be greater than 0"))
        return Parsed(value=pl.when(too_large).then(None).otherwise(value).cast(dtype), error=error.otherwise(None))
    # Plain: an optional minus, fewer whole digits than the limit allows, no more decimals than the scale.
    whole_digits = dtype.precision - dtype.scale - 1
    decimals = rf"(\.[0-9]{{1,{dtype.scale}}})?" if dtype.scale else ""
    return Parsed(
        value=pl.when(too_large).then(None).otherwise(value).cast(dtype),
        error=error.otherwise(None),
        plain=raw.str.contains(rf"^-?[0-9]{{1,{whole_digits}}}{decimals}$"),  # [0-9]: \d takes any script's digits
        plain_value=raw.cast(dtype, strict=False),
        plain_error=pl.lit(None, dtype=pl.String),
    )


def parse_integer(raw: pl.Expr, *, label: str) -> Parsed:
    """A whole number like `12`, `1,200`, `12.0` or `(3)`."""
    digits, well_formed, negative = _decimal_text(raw)
    whole = well_formed & digits.str.contains(r"^[+-]?\d+(\.0*)?$")
    number = pl.when(whole).then(digits.str.replace(r"\.0*$", "")).otherwise(None).cast(pl.Int64, strict=False)
    value = pl.when(negative).then(-number).otherwise(number)
    too_large = value.abs() > _INT32_MAX
    error = (
        pl.when(raw.is_not_null() & well_formed & ~whole)
        .then(_problem(label, raw, "is not a whole number"))
        .when(raw.is_not_null() & value.is_null())
        .then(_problem(label, raw, "is not a number"))
        .when(too_large)
        .then(_problem(label, raw, "is too large"))
        .otherwise(None)
    )
    return Parsed(
        value=pl.when(too_large).then(None).otherwise(value),
        error=error,
        plain=raw.str.contains(r"^-?[0-9]{1,9}$"),
        plain_value=raw.cast(pl.Int64, strict=False),
        plain_error=pl.lit(None, dtype=pl.String),
    )


def parse_text(raw: pl.Expr, *, label: str, max_length: int) -> Parsed:
    """Free text, at most `max_length` characters."""
    too_long = raw.str.len_chars() > max_length
    return Parsed(
        value=pl.when(too_long).then(None).otherwise(raw),
        error=_reject_when(too_long, _problem(label, raw.str.slice(0, 40), f"is longer than {max_length} characters")),
    )


def parse_currency(raw: pl.Expr, *, label: str) -> Parsed:
    """A three-letter ISO currency code, upper-cased."""
    code = raw.str.to_uppercase()
    bad = raw.is_not_null() & ~code.str.contains(r"^[A-Z]{3}$")
    return Parsed(
        value=pl.when(bad).then(None).otherwise(code),
        error=_reject_when(bad, _problem(label, raw, "is not a 3-letter currency code such as EUR")),
    )


def parse_choice(raw: pl.Expr, *, label: str, choices: tuple[str, ...], prefix: str = "") -> Parsed:
    """One of a fixed list of words (case-insensitive), or any `prefix<name>` when a prefix is given."""
    word = raw.str.to_lowercase()
    allowed = word.is_in(list(choices))
    if prefix:
        named = raw.str.slice(len(prefix)).str.strip_chars()
        allowed = allowed | (word.str.starts_with(prefix) & (named.str.len_chars() > 0))
        word = pl.when(word.str.starts_with(prefix)).then(pl.lit(prefix) + named).otherwise(word)
    bad = raw.is_not_null() & ~allowed
    listed = ", ".join(choices) + (f", or {prefix}<name>" if prefix else "")
    return Parsed(
        value=pl.when(bad).then(None).otherwise(word),
        error=_reject_when(bad, _problem(label, raw, f"is not one of {listed}")),
    )


SCOPE_FIX = "write * for every territory or a list like UK,IE"


def parse_scope(raw: pl.Expr, *, label: str, in_file: bool) -> Parsed:
    """Territories as `db.scope.Scope.parse` reads them, written back in its form (`*`, `IE,UK`).

    A column the file has must be filled on every row (`in_file`); a file without it is fine.
    """
    # Row by row, unlike the other readers: `Scope.parse` stays the one reading of a scope, and
    # users files are small.
    value = raw.map_elements(_scope_text, return_dtype=pl.String)
    unreadable = _problem(label, raw.str.slice(0, 40), f"is not a list of territories ({SCOPE_FIX})")
    blank = pl.lit(f"{label} is blank ({SCOPE_FIX})" if in_file else None, dtype=pl.String)
    error = pl.when(raw.is_null()).then(blank).when(value.is_null()).then(unreadable).otherwise(None)
    return Parsed(value=value, error=error)


def _scope_text(text: str) -> str | None:
    try:
        return Scope.parse(text).text()
    except ScopeError:
        return None
