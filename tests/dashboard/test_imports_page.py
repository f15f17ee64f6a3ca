"""The imports page shows a run's report as the sync service returned it."""

from __future__ import annotations

from dashboard.pages.imports import ImportsPage
from dashboard.store import DataStore
from services.contracts.report import IgnoredColumn, ImportKind, ImportReport, RunStatus
from tests.dashboard.conftest import make_context


def test_the_report_lists_the_columns_no_field_reads_with_their_rows(store: DataStore) -> None:
    page = ImportsPage(make_context(store))
    report = ImportReport(
        run_id=7,
        kind=ImportKind.sales,
        source="shop",
        filename="shop.csv",
        status=RunStatus.succeeded,
        rows_read=1_500,
        inserted=1_500,
        ignored_columns=[IgnoredColumn(column="Region <code>", rows=1_500), IgnoredColumn(column="Notes", rows=12)],
    )

    page.show_report(report)

    assert "<td>Not used</td><td>Region &lt;code&gt; (1,500), Notes (12)</td>" in page.report_pane.object
