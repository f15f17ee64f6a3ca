"""Sales: revenue, units and orders by territory, channel, category and product, and the trend."""

from __future__ import annotations

import io
from dataclasses import replace

import panel as pn

from dashboard.pages.base import Blank, Page, Part, Step
from dashboard.views.charts import Chart, revenue_bars, revenue_trend
from dashboard.views.tables import Column, Table, csv_text
from db.queries import Breakdown, Dimension

BREAKDOWN_COLUMNS = (
    Column("key", "text"),
    Column("net_revenue", "money"),
    Column("gross_margin", "money"),
    Column("units", "count"),
    Column("orders", "count"),
)
CSV_FIELDS = ("key", "net_revenue", "cogs", "gross_margin", "units", "orders")
TOP_PRODUCTS = 50


class SalesPage(Page):
    """Where the revenue comes from; a click on a territory narrows the page to it."""

    def build(self) -> list[Part]:
        tr = self.ctx.tr
        loading, empty = tr("state.loading"), tr("chart.no_sales")
        self.territory_rows: list[str] = []
        self.products: Breakdown | None = None
        self.territory_table = Table(
            BREAKDOWN_COLUMNS, tr, self.ctx.fmt, loading_text=loading, on_click=self.pick_territory
        )
        self.channel_chart = Chart(loading_text=loading, empty_text=empty)
        self.category_chart = Chart(loading_text=loading, empty_text=empty)
        self.trend_chart = Chart(loading_text=loading, empty_text=empty)
        self.product_table = Table(BREAKDOWN_COLUMNS, tr, self.ctx.fmt, loading_text=loading, page_size=15)
        self.download = pn.widgets.FileDownload(
            callback=self._products_csv, filename="top-products.csv", label=tr("sales.download"), color="default"
        )
        return [
            self.ctx.store.sales_filters(),
            pn.pane.Markdown(f"### {tr('sales.by_territory')}"),
            self.territory_table,
            pn.Row(self.channel_chart, self.category_chart, sizing_mode="stretch_width"),
            self.trend_chart,
            pn.pane.Markdown(f"### {tr('sales.top_products')}"),
            self.download,
            self.product_table,
        ]

    def steps(self) -> list[Step]:
        return [self.load_territories, self.load_charts, self.load_products]

    def load_territories(self) -> None:
        """Revenue, units and orders by territory (with the total)."""
        found = self.ctx.store.sales(Dimension.TERRITORY)
        self.territory_rows = [row.key for row in found.rows]
        total = replace(found.total, key=self.ctx.tr("pnl.total"))
        self.territory_table.fill([*found.rows, total])

    def load_charts(self) -> None:
        tr, fmt, store = self.ctx.tr, self.ctx.fmt, self.ctx.store
        self.channel_chart.fill(revenue_bars(store.sales(Dimension.CHANNEL).rows, fmt, title=tr("sales.by_channel")))
        self.category_chart.fill(revenue_bars(store.sales(Dimension.CATEGORY).rows, fmt, title=tr("sales.by_category")))
        self.trend_chart.fill(revenue_trend(store.trend(), fmt, title=tr("sales.trend")))

    def load_products(self) -> None:
        self.products = self.ctx.store.sales(Dimension.PRODUCT)
        top = self.products.rows[:TOP_PRODUCTS]
        self.product_table.fill(top)

    def pick_territory(self, row: int) -> None:
        """A click on a territory row filters every page to that territory (the total row does nothing)."""
        if 0 <= row < len(self.territory_rows):
            self.ctx.store.territory = self.territory_rows[row]

    def _products_csv(self) -> io.StringIO:
        return csv_text(self.products.rows if self.products else [], CSV_FIELDS)

    def empty(self, blank: Blank) -> None:
        self.products = None
        self.territory_rows = []
        self.territory_table.fill([])
        self.product_table.fill([])
        for chart in (self.channel_chart, self.category_chart, self.trend_chart):
            chart.message("")
        self.show_status(self.ctx.blank_text(blank), "info" if blank is Blank.NO_DATA else "warn")
