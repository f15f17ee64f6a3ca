"""Property: whatever rows a file holds, each is either stored or rejected with a reason, never both, never lost."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from db.scope import Scope
from services.imports import run_import
from services.runtime.settings import Settings
from tests.conftest import empty_tables
from tests.sync.conftest import write_csv

_cells = {
    "external_id": st.one_of(st.sampled_from(["A", "B", "C", ""]), st.text(max_size=6)),
    "order_date": st.sampled_from(["2025-03-01", "2025-02-30", "", "next week", "2025-3-9", "2025-12-31T23:59:00"]),
    "territory": st.one_of(st.sampled_from(["UK", "", "  "]), st.text(max_size=120)),
    "units": st.one_of(st.integers(-5, 10**11).map(str), st.sampled_from(["", "1.5", "x", "(2)", "1,000"])),
    "net_revenue": st.one_of(
        st.decimals(-(10**6), 10**6, places=2, allow_nan=False).map(str),
        st.sampled_from(["", "£1,234.50", "(3.10)", "abc", "1e3", "=1+1"]),
    ),
    "currency": st.sampled_from(["GBP", "", "gbp", "EUR", "EURO"]),
}
_row = st.fixed_dictionaries(_cells)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=1, max_size=30))
def test_every_row_is_stored_or_rejected_never_both(rows: list[dict[str, str]], backend_engine: Engine) -> None:
    empty_tables(backend_engine)
    with tempfile.TemporaryDirectory() as directory:
        file = write_csv(Path(directory) / "random.csv", rows)
        report = run_import(
            backend_engine,
            scope=Scope.everything(),
            kind="sales",
            file=file,
            source="prop",
            settings=Settings(import_batch_rows=7),
        )
    if report.status == "refused":
        assert report.message  # a file-level refusal (e.g. ambiguous dates) names its reason and stores nothing
        with backend_engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sales_line")).scalar_one() == 0
        return
    assert report.status == "succeeded"
    with backend_engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM sales_line")).scalar_one()
        rejected_rows = {r[0] for r in conn.execute(text("SELECT row_number FROM rejected_row"))}
        reasons = [r[0] for r in conn.execute(text("SELECT reason FROM rejected_row"))]
    blank_rows = sum(1 for r in rows if not any(v.strip() for v in r.values()))
    assert report.rows_read == len(rows) - blank_rows
    assert stored == report.inserted
    assert len(rejected_rows) == report.rejected
    assert stored + report.rejected == report.rows_read  # never lost, never both
    assert all(reason.strip() for reason in reasons)
    assert rejected_rows <= set(range(2, len(rows) + 2))
