"""Property: whatever the lines, every breakdown adds up to the same exact total."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from db import queries
from db.engine import make_engine
from db.migrate import upgrade
from db.scope import Scope
from services.runtime.settings import Settings
from tests.conftest import empty_tables
from tests.factories import sale, store_sales_lines

lines = st.lists(
    st.fixed_dictionaries(
        {
            "territory": st.sampled_from(["UK", "FR", "Việt Nam", "O'Brien & Co"]),
            "channel": st.sampled_from(["Online", "Retail"]),
            "category": st.sampled_from(["A", "B", "C"]),
            "product": st.text(alphabet="PQR", min_size=1, max_size=2),
            "order_date": st.dates(min_value=date(2024, 12, 1), max_value=date(2025, 3, 31)),
            "net_revenue": st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False),
            "cogs": st.decimals(min_value=0, max_value=50000, places=2, allow_nan=False),
            "units": st.integers(min_value=-5, max_value=500),
            "order_id": st.sampled_from(["O1", "O2", "O3", "O4", "O5"]),
        }
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=lines, offset=st.integers(min_value=0, max_value=60), span=st.integers(min_value=0, max_value=90))
def test_breakdowns_always_reconcile(tmp_path: Path, rows: list[dict], offset: int, span: int) -> None:
    engine = make_engine(Settings(), url=f"sqlite:///{tmp_path / 'prop.db'}")
    upgrade(engine)
    empty_tables(engine)
    # An order lives on one day, in one territory and channel: key order ids by those.
    for row in rows:
        row["order_id"] = f"{row['order_id']}-{row['order_date']}-{row['territory']}-{row['channel']}"
    with Session(engine) as session:
        store_sales_lines(session, [sale(**row) for row in rows])
        start = date(2024, 12, 1) + timedelta(days=offset)
        end = start + timedelta(days=span)
        expected = sum((r["net_revenue"] for r in rows if start <= r["order_date"] <= end), Decimal("0"))
        for by in ("territory", "channel", "category", "product", "month", "year"):
            report = queries.sales_breakdown(session, scope=Scope.everything(), by=by, start=start, end=end)
            assert sum((r.net_revenue for r in report.rows), Decimal(0)) == expected == report.total.net_revenue, by
        pnl = queries.pnl_report(session, scope=Scope.everything(), by="month", start=start, end=end)
        assert pnl.total.net_revenue == expected
    engine.dispose()
