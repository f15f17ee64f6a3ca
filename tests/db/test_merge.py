"""Storing rows: a re-import changes nothing, a correction updates exactly the changed rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from sqlmodel import Session, select

from db import queries
from db.merge import DuplicateKeyError, merge_frame
from db.models import SalesLine
from db.scope import Scope
from tests.factories import sale, store_sales_lines


def test_storing_the_same_lines_twice_changes_nothing(session: Session) -> None:
    lines = [sale(external_id=f"E{i}") for i in range(5)]
    store_sales_lines(session, lines)

    frame = pl.DataFrame(
        [
            {**line, "net_revenue_rc": line["net_revenue"], "cogs_rc": line["cogs"], "import_run_id": None}
            for line in lines
        ]
    )
    result = merge_frame(
        session, table=SalesLine.__table__, key=("source", "external_id"), frame=frame.cast({"import_run_id": pl.Int64})
    )

    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 5)


def test_a_corrected_line_moves_its_revenue_to_the_new_day(session: Session) -> None:
    store_sales_lines(session, [sale(external_id="E1", order_date=date(2025, 1, 5), net_revenue="10.00")])
    store_sales_lines(session, [sale(external_id="E1", order_date=date(2025, 2, 5), net_revenue="12.00")])

    jan = queries.sales_totals(session, scope=Scope.everything(), start=date(2025, 1, 1), end=date(2025, 1, 31))
    feb = queries.sales_totals(session, scope=Scope.everything(), start=date(2025, 2, 1), end=date(2025, 2, 28))

    assert jan.net_revenue == Decimal("0.00")
    assert feb.net_revenue == Decimal("12.00")
    assert len(session.exec(select(SalesLine)).all()) == 1


def test_a_batch_that_repeats_a_key_is_refused(session: Session) -> None:
    with pytest.raises(DuplicateKeyError):
        store_sales_lines(session, [sale(external_id="E1"), sale(external_id="E1")])
