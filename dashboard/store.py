"""The DataStore: the session's filters as params, and the only way pages reach `db.queries`.

Pages and views never compute a figure: they ask the store, which asks `db.queries` (through
one `_query` function, the single place where caching plugs in) and hands back its typed results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import panel as pn
import param
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from dashboard.text import Translator
from db import queries
from db.queries import (
    Breakdown,
    BudgetLine,
    Dimension,
    Dimensions,
    Filters,
    OpexRow,
    Period,
    PeriodName,
    PnlReport,
    Scorecard,
)
from db.queries.scoring import Thresholds
from db.scope import Scope
from services.cache.query_cache import cached_query

T = TypeVar("T")
PERIODS = [name.value for name in PeriodName]
TREND_DAILY_MAX_DAYS = 92
TREND_CONTEXT_DAYS = 30
"""A daily trend shows at least this many days, ending on the period's last, so one day has neighbours."""
_ALL = {"territory": "filter.all_territories", "channel": "filter.all_channels", "category": "filter.all_categories"}


class DataUnavailable(RuntimeError):
    """The database did not answer; pages say so and retry instead of showing a traceback."""


@dataclass(frozen=True)
class Trend:
    """Sales over a window that holds the chosen period: by day, or by month for long periods.

    A short period's window reaches back further (`sales.start` before `period.start`), so the
    chart has context and shades the period within it.
    """

    period: Period
    sales: Breakdown


class DataStore(pn.viewable.Viewer):
    """Filters shared by every page of one session, and the figures for them."""

    period: param.Selector[str] = param.Selector(
        default=PeriodName.MTD.value, objects=PERIODS, doc="Named period or custom"
    )
    start = param.CalendarDate(default=None, allow_None=True, doc="First day of a custom period")
    end = param.CalendarDate(default=None, allow_None=True, doc="Last day of a custom period")
    territory: param.Selector[str] = param.Selector(
        default="", objects=[""], check_on_set=False, doc="'' means all territories"
    )
    channel: param.Selector[str] = param.Selector(
        default="", objects=[""], check_on_set=False, doc="'' means all channels"
    )
    category: param.Selector[str] = param.Selector(
        default="", objects=[""], check_on_set=False, doc="'' means all categories"
    )

    def __init__(
        self,
        *,
        engine: Engine,
        scope: Scope,
        thresholds: Thresholds,
        tr: Translator,
        today: date | None = None,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.tr = tr
        self.scope = scope
        """The territories this session may see: every figure below is asked for under it."""
        self._selects: dict[str, pn.widgets.Select] = {}
        self._engine = engine
        self._thresholds = thresholds
        self._today = today or date.today()

    @property
    def today(self) -> date:
        """The day named periods end on."""
        return self._today

    @property
    def no_territories(self) -> bool:
        """True for a session that may see no territory at all (it is shown no figures)."""
        return self.scope.territories == ()

    @property
    def refused_territory(self) -> str | None:
        """The territory filter when it is outside this session's scope (a link can ask for any), else None."""
        if self.territory and not self.scope.allows(self.territory):
            return self.territory
        return None

    def figures_scope(self) -> Scope:
        """The scope figures are asked under: the session's, or none at all for a territory outside it.

        A territory the session may not see shows nothing, never the rest of the scope instead.
        """
        return self.scope if self.refused_territory is None else Scope.only([])

    def _query(self, fn: Callable[..., T], *, filtered: bool = True, **params: Any) -> T:
        """Run one `db.queries` function under this session's scope through the shared cache.

        `filtered=False` asks under the whole scope, whatever the territory filter says (what it may choose from).
        """
        asked = self.figures_scope() if filtered else self.scope
        try:
            with Session(self._engine) as session:
                return cached_query(session, fn.__name__, fn, scope=asked, **params)
        except OperationalError as exc:
            raise DataUnavailable(str(exc.orig or exc).splitlines()[0]) from exc
        except PoolTimeout as exc:
            raise DataUnavailable("no free database connection") from exc

    # The current selection

    def current_period(self) -> Period:
        """The period the filters describe; an incomplete custom range falls back to month to date."""
        if self.period == PeriodName.CUSTOM.value:
            if self.start and self.end and self.start <= self.end:
                return Period(self.start, self.end)
            return queries.period_for(PeriodName.MTD, today=self._today)
        return queries.period_for(self.period, today=self._today)

    def current_filters(self) -> Filters:
        """Territory, channel and category as `db.queries` filters."""
        return Filters(territory=self.territory or None, channel=self.channel or None, category=self.category or None)

    def set_choices(self, found: Dimensions) -> None:
        """Offer the territories, channels and categories present in the data."""
        for name, values in (
            ("territory", found.territories),
            ("channel", found.channels),
            ("category", found.categories),
        ):
            self.param[name].objects = ["", *values]
            if name in self._selects:
                self._selects[name].options = self._choices(name)

    def _choices(self, name: str) -> dict[str, str]:
        # The current value (perhaps from the URL, before the data's values are known) is always an option.
        values = [value for value in self.param[name].objects if value]
        current = getattr(self, name)
        return {
            self.tr(_ALL[name]): "",
            **{v: v for v in (values if not current or current in values else [*values, current])},
        }

    # Figures, always from db.queries

    def dimensions(self) -> Dimensions:
        """What the data of this session's territories holds (whatever the filter) and when it was last imported."""
        return self._query(queries.dimensions, filtered=False)

    def scorecard(self) -> Scorecard:
        """The KPI cards and overall health for the period and territory."""
        return self._query(
            queries.scorecard,
            period=self.current_period(),
            territory=self.territory or None,
            thresholds=self._thresholds,
        )

    def sales(self, by: Dimension) -> Breakdown:
        """Sales by one dimension for the period and filters."""
        period = self.current_period()
        return self._sales(by, start=period.start, end=period.end)

    def trend(self) -> Trend:
        """Sales by day for periods up to a quarter (at least the last 30 days), by month for longer ones."""
        period = self.current_period()
        if period.days > TREND_DAILY_MAX_DAYS:
            return Trend(period=period, sales=self._sales(Dimension.MONTH, start=period.start, end=period.end))
        start = min(period.start, period.end - timedelta(days=TREND_CONTEXT_DAYS - 1))
        return Trend(period=period, sales=self._sales(Dimension.DAY, start=start, end=period.end))

    def _sales(self, by: Dimension, *, start: date, end: date) -> Breakdown:
        return self._query(queries.sales_breakdown, by=by, start=start, end=end, filters=self.current_filters())

    def pnl(self, by: queries.PnlDimension) -> PnlReport:
        """The P&L by territory or month for the period and territory."""
        period = self.current_period()
        return self._query(
            queries.pnl_report, by=by, start=period.start, end=period.end, territory=self.territory or None
        )

    def opex(self) -> list[OpexRow]:
        """Operating expenses by category for the period and territory."""
        period = self.current_period()
        return self._query(
            queries.opex_by_category, start=period.start, end=period.end, territory=self.territory or None
        )

    def budget(self) -> list[BudgetLine]:
        """Budget against actual for the period and territory."""
        period = self.current_period()
        return self._query(
            queries.budget_vs_actual, start=period.start, end=period.end, territory=self.territory or None
        )

    def _select(self, name: str) -> pn.widgets.Select:
        if name not in self._selects:
            self._selects[name] = pn.widgets.Select.from_param(
                self.param[name],
                label=self.tr(f"filter.{name}"),
                options=self._choices(name),
                sizing_mode="stretch_width",
            )
        return self._selects[name]

    def __panel__(self) -> pn.viewable.Viewable:
        """Period and territory widgets, made from the params (labels in the user's language)."""
        tr = self.tr
        custom = self.param.period.rx() == PeriodName.CUSTOM.value
        return pn.Column(
            pn.widgets.Select.from_param(
                self.param.period,
                label=tr("filter.period"),
                options={tr(f"period.{p}"): p for p in PERIODS},
                sizing_mode="stretch_width",
            ),
            pn.widgets.DatePicker.from_param(
                self.param.start, label=tr("filter.from"), visible=custom, sizing_mode="stretch_width"
            ),
            pn.widgets.DatePicker.from_param(
                self.param.end, label=tr("filter.to"), visible=custom, sizing_mode="stretch_width"
            ),
            self._select("territory"),
            sizing_mode="stretch_width",
        )

    def sales_filters(self) -> pn.viewable.Viewable:
        """Channel and category widgets (only sales figures can be sliced by them)."""
        return pn.Row(self._select("channel"), self._select("category"))
