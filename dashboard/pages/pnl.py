"""P&L: revenue to operating profit by territory and by month, opex by category, budget vs actual."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import panel as pn

from dashboard.pages.base import Blank, Page, Part, Step
from dashboard.text import Translator
from dashboard.views.cards import coverage_text
from dashboard.views.notices import html_pane, notice_html
from dashboard.views.tables import Column, Table
from db.queries import BudgetLine, PnlDimension, PnlReport

PNL_COLUMNS = (
    Column("net_revenue", "money"),
    Column("cogs", "money"),
    Column("gross_margin", "money"),
    Column("opex", "money"),
    Column("operating_profit", "money"),
)
OPEX_COLUMNS = (Column("category", "text"), Column("amount", "money"))
BUDGET_COLUMNS = (
    Column("line", "text"),
    Column("actual", "money"),
    Column("budget", "money"),
    Column("variance", "money"),
    Column("variance_pct", "percent"),
    Column("verdict", "text"),
    Column("coverage", "text"),
)


@dataclass(frozen=True)
class BudgetRow:
    """A budget line as shown: the figures from `db.queries` and the words for its variance."""

    line: str
    actual: Decimal
    budget: Decimal | None
    variance: Decimal | None
    variance_pct: Decimal | None
    verdict: str
    coverage: str


def budget_row(line: BudgetLine, tr: Translator) -> BudgetRow:
    """Mark over- and under-spend with an arrow and a word, and whether it helps profit; say what the budget covers."""
    label = tr(f"metric.{line.line}") if not line.line.startswith("opex:") else line.label
    return BudgetRow(
        line=label,
        actual=line.actual,
        budget=line.budget,
        variance=line.variance,
        variance_pct=line.variance_pct,
        verdict=_verdict(line, tr),
        coverage=coverage_text(line.coverage, label, tr),
    )


def _verdict(line: BudgetLine, tr: Translator) -> str:
    if line.variance is None:
        return tr("budget.no_budget")
    if line.variance > 0:
        side = tr("budget.over")
    elif line.variance < 0:
        side = tr("budget.under")
    else:
        side = tr("budget.on")
    effect = tr("budget.favourable") if line.favourable else tr("budget.unfavourable")
    return f"{side} · {effect}" if line.variance else side


class PnlPage(Page):
    """Profit and loss for the period and territory; the revenue matches the home page's."""

    def build(self) -> list[Part]:
        tr, fmt = self.ctx.tr, self.ctx.fmt
        loading = tr("state.loading")
        self.by_territory = Table((Column("key", "text"), *PNL_COLUMNS), tr, fmt, loading_text=loading)
        self.by_month = Table((Column("key", "text"), *PNL_COLUMNS), tr, fmt, loading_text=loading)
        self.opex_table = Table(OPEX_COLUMNS, tr, fmt, loading_text=loading)
        self.budget_table = Table(BUDGET_COLUMNS, tr, fmt, loading_text=loading)
        self.budget_note = html_pane("", visible=False)
        return [
            pn.pane.Markdown(f"### {tr('pnl.by_territory')}"),
            self.by_territory,
            pn.pane.Markdown(f"### {tr('pnl.by_month')}"),
            self.by_month,
            # Budget vs actual gets the page's full width: beside the opex table its verdict column
            # was cut off.
            pn.pane.Markdown(f"### {tr('pnl.budget')}"),
            self.budget_note,
            self.budget_table,
            pn.pane.Markdown(f"### {tr('pnl.opex')}"),
            self.opex_table,
        ]

    def steps(self) -> list[Step]:
        return [self.load_territories, self.load_months, self.load_costs]

    def _fill(self, table: Table, report: PnlReport) -> None:
        table.fill([*report.rows, replace(report.total, key=self.ctx.tr("pnl.total"))])

    def load_territories(self) -> None:
        self._fill(self.by_territory, self.ctx.store.pnl(PnlDimension.TERRITORY))

    def load_months(self) -> None:
        report = self.ctx.store.pnl(PnlDimension.MONTH)
        rows = tuple(replace(r, key=self.ctx.fmt.month(r.key)) for r in report.rows)
        self._fill(self.by_month, replace(report, rows=rows))

    def load_costs(self) -> None:
        tr = self.ctx.tr
        self.opex_table.fill(self.ctx.store.opex())
        lines = self.ctx.store.budget()
        self.budget_note.object = notice_html(tr("budget.none"))
        self.budget_note.visible = all(line.budget is None for line in lines)
        self.budget_table.fill([budget_row(line, tr) for line in lines])

    def empty(self, blank: Blank) -> None:
        for table in (self.by_territory, self.by_month, self.opex_table, self.budget_table):
            table.fill([])
        self.budget_note.visible = False
        self.show_status(self.ctx.blank_text(blank), "info" if blank is Blank.NO_DATA else "warn")
