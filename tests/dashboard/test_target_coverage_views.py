"""Cards and budget rows say how much of the period a target covers, or why there is none."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from dashboard.pages.glance import GlancePage
from dashboard.pages.pnl import PnlPage
from dashboard.store import DataStore
from tests.dashboard.conftest import make_context
from tests.factories import sale, store_expense_lines, store_sales_lines, store_target_rows


def _two_of_three_territories_planned(session: Session) -> None:
    """January: UK and DE have revenue targets, FR has none; nothing has a `*` target."""
    store_sales_lines(session, [sale(territory=t, order_date=date(2025, 1, 10)) for t in ("UK", "DE", "FR")])
    store_expense_lines(session, [(date(2025, 1, 1), "UK", "Rent", "310.00")])
    store_target_rows(
        session, [(date(2025, 1, 1), "UK", "net_revenue", "310"), (date(2025, 1, 1), "DE", "net_revenue", "310")]
    )


def _card(html: str, metric: str) -> str:
    start = html.index(f'data-metric="{metric}"')
    end = html.find('<div class="card ', start)
    return html[start : end if end >= 0 else len(html)]


def test_a_card_notes_a_partial_target_and_gives_the_reason_for_none(store: DataStore, session: Session) -> None:
    _two_of_three_territories_planned(session)
    page = GlancePage(make_context(store))

    page.refresh()

    html = page.cards._pane.object
    assert '<div class="meta coverage">target covers 2 of 3 territories</div>' in _card(html, "net_revenue")
    # No target at all: the line under the status says why, once (the status already says "No target").
    units = _card(html, "units")
    assert '<div class="meta">No target set for this period</div>' in units and "meta coverage" not in units


def test_a_territory_card_names_the_missing_target_in_vietnamese(store: DataStore, session: Session) -> None:
    _two_of_three_territories_planned(session)
    store.territory = "FR"
    page = GlancePage(make_context(store, language="vi"))

    page.refresh()

    assert "Chưa có mục tiêu Doanh thu thuần cho FR" in _card(page.cards._pane.object, "net_revenue")


def test_budget_rows_note_their_coverage_and_a_line_without_budget_says_why(store: DataStore, session: Session) -> None:
    _two_of_three_territories_planned(session)
    page = PnlPage(make_context(store))

    page.refresh()

    budget = page.budget_table.value.set_index("Line")
    assert budget.loc["Net revenue", "Coverage"] == "target covers 2 of 3 territories"
    assert budget.loc["Net revenue", "Actual"] == "£20.00"  # UK and DE, the budgeted territories
    assert budget.loc["Net revenue", "Budget"] == "£400.00"  # 2 × 310 prorated to 20 of 31 days
    assert budget.loc["Operating expenses", "Verdict"] == "No budget"
    assert budget.loc["Operating expenses", "Coverage"] == "no target set for this period"
    assert not page.budget_note.visible
