"""A cell in plain form (`1234.50`, `12`, `2025-03-01`) reads the same by the quick cast as by the full reader.

The validator reads rows whose numbers and dates are all plain with one cast per column and
gives only the other rows the full reading; the two must never disagree on a value or an error.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from services.imports.dates import DateFormat, parse_date
from services.imports.values import MONEY, NUMBER, Parsed, parse_decimal, parse_integer

cells = st.one_of(
    st.from_regex(r"-?\d{1,17}(\.\d{0,5})?", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat),
    st.text(alphabet="0123456789-.,+£() ", max_size=12),
)


def readings(parsed: Parsed, values: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String})
    assert parsed.plain is not None and parsed.plain_value is not None and parsed.plain_error is not None
    return frame.select(
        parsed.plain.alias("plain"),
        parsed.value.alias("full_value"),
        parsed.plain_value.alias("plain_value"),
        parsed.error.alias("full_error"),
        parsed.plain_error.alias("plain_error"),
    ).filter(pl.col("plain"))


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30))
def test_plain_cells_read_the_same_both_ways(values: list[str]) -> None:
    raw = pl.col("raw")
    for parsed in (
        parse_decimal(raw, label="net_revenue", dtype=MONEY),
        parse_decimal(raw, label="value", dtype=NUMBER),
        parse_integer(raw, label="units"),
        parse_date(raw, label="order_date", date_format=DateFormat.day_first),
    ):
        both = readings(parsed, values)
        assert both.get_column("plain_value").to_list() == both.get_column("full_value").to_list()
        assert both.get_column("plain_error").to_list() == both.get_column("full_error").to_list()


def test_plain_form_covers_the_usual_cells_and_not_the_others() -> None:
    money = readings(parse_decimal(pl.col("raw"), label="x", dtype=MONEY), ["1234.50", "-3", "£12", "1,200.00", "(4)"])
    assert money.height == 2
    dates = readings(
        parse_date(pl.col("raw"), label="x", date_format=DateFormat.iso), ["2025-02-31", "01/02/2025", "0000-03-01"]
    )
    assert dates.get_column("plain_error").to_list() == ["x '2025-02-31' is not a date", "x '0000-03-01' is not a date"]
    assert dates.get_column("full_error").to_list() == dates.get_column("plain_error").to_list()
