"""At a glance: the status banner first, then the KPI cards, then the charts."""

from __future__ import annotations

import panel as pn

from dashboard.pages.base import Blank, Page, Part, Step
from dashboard.views.banner import Banner
from dashboard.views.cards import KpiCards
from dashboard.views.charts import Chart, revenue_bars, revenue_trend
from dashboard.views.notices import html_pane
from db.queries import Dimension, Scorecard
from services.auth import Role


class GlancePage(Page):
    """Is the business healthy? Answered in the first second."""

    first_paint = 2  # banner and cards come with the page; charts follow

    def build(self) -> list[Part]:
        tr, fmt = self.ctx.tr, self.ctx.fmt
        self.banner = Banner(tr=tr, fmt=fmt)
        self.cards = KpiCards(tr=tr, fmt=fmt)
        self.trend = Chart(loading_text=tr("state.loading"), empty_text=tr("chart.no_sales"))
        self.territories = Chart(loading_text=tr("state.loading"), empty_text=tr("chart.no_sales"))
        self.scorecard: Scorecard | None = None
        self.empty_note = html_pane("", visible=False)
        self.go_imports = pn.widgets.Button(label=tr("state.go_imports"), color="primary", visible=False)
        self.go_imports.on_click(lambda _event: self.ctx.navigate("imports"))
        charts = pn.Row(self.trend, self.territories, sizing_mode="stretch_width")
        return [self.banner, self.empty_note, self.go_imports, self.cards, charts]

    def steps(self) -> list[Step]:
        return [self.load_banner, self.load_cards, self.load_charts]

    def load_banner(self) -> None:
        """The scorecard for the period; the banner shows its health."""
        self.empty_note.visible = self.go_imports.visible = False
        self.cards.loading()
        self.trend.loading()
        self.territories.loading()
        self.scorecard = self.ctx.store.scorecard()
        self.banner.fill(self.scorecard)

    def load_cards(self) -> None:
        if self.scorecard is not None:
            self.cards.fill(self.scorecard.cards)

    def load_charts(self) -> None:
        tr, fmt, store = self.ctx.tr, self.ctx.fmt, self.ctx.store
        trend = store.trend()
        by_territory = store.sales(Dimension.TERRITORY)
        self.trend.fill(revenue_trend(trend, fmt, title=tr("sales.trend")))
        self.territories.fill(revenue_bars(by_territory.rows, fmt, title=tr("chart.by_territory")))

    def empty(self, blank: Blank) -> None:
        offer_import = blank is Blank.NO_DATA and self.ctx.user.can(Role.analyst) and not self.ctx.read_only
        text = self.ctx.tr("state.empty") if offer_import else self.ctx.blank_text(blank)
        self.banner.notice(text, "info" if blank is Blank.NO_DATA else "warn")
        self.go_imports.visible = offer_import
        self.cards.clear()
        self.trend.message("")
        self.territories.message("")
