"""The demo seeded on any day of a month: its first screen compares like with like.

Expenses and targets are whole-month amounts. The demo books the month in progress whole
(sized to the whole month's expected sales) and the queries take the share of its days, so
seeded on the 1st, the 15th or the last day of February each figure stands within ±15 % of its
target and of its prior period, except where the demo puts it elsewhere on purpose or a single
day's chance rules:

- Operating profit is gross margin less opex, about a third of gross margin in the demo, so
  its gaps are measured against gross margin (its target's or its prior period's): measured
  against itself, a 5 % gap in a fortnight's sales would read as 15 %.
- A one-day period (month to date on the 1st) is one day's sales: at this size a day's revenue
  varies by about 10 %, so only operating expenses are checked on it.
- The demo overspends on purpose in its newest two months (marketing 35 % over budget; the
  opex budget grows 3 % a year against about 9 % more sales), so opex stands about 12 % over
  target, operating profit about 20 % under and marketing about 40 % over budget. Every period
  ending in February lies in those two months, so those comparisons with target are checked
  within 15 points of the same comparison over January, the last closed month. Against last
  year, opex to date carries growth and overspend together and runs 10 to 14 % up: inside ±15 %.
- In February the quarter to date is the year to date, so month and year to date are checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from db import queries
from db.dates import month_end, month_start
from db.engine import make_engine
from db.migrate import upgrade
from db.queries import Metric, Period, PeriodName
from db.scope import Scope
from services.embedded.demo import DemoPlan, seed_demo
from services.runtime.settings import Settings
from tests.cli.conftest import run_glance

pytestmark = pytest.mark.slow

TOLERANCE = Decimal("0.15")
DEMO_LINES = 100_000
"""About 200 lines a day over 16 months: enough for a fortnight's figures to settle within a few %."""
DEMO_MONTHS = 16
"""Enough history for every target (last year's month) and every year-to-date prior period."""
DAYS = (date(2027, 2, 1), date(2027, 2, 15), date(2027, 2, 28), date(2028, 2, 29))
"""The 1st, the 15th and the last day of a month, and a leap day."""
DESIGNED_OFF_TARGET = {Metric.OPEX, Metric.OPERATING_PROFIT}
DESIGNED_OFF_BUDGET = {"opex", "operating_profit", "opex:Marketing"}
PERIODS = (PeriodName.MTD, PeriodName.YTD)


@dataclass(frozen=True)
class SeededDemo:
    """A SQLite database holding the demo seeded on `end`."""

    end: date
    engine: Engine
    env: dict[str, str]


@pytest.fixture(scope="module", params=DAYS, ids=str)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    """The demo seeded once per day of DAYS (each test below reads it, none writes)."""
    end: date = request.param
    folder: Path = tmp_path_factory.mktemp(f"demo-{end}")
    url = f"sqlite:///{folder / 'glance.db'}"
    engine = make_engine(Settings(), url=url)
    upgrade(engine)
    with Session(engine) as session:
        seed_demo(session, plan=DemoPlan(lines=DEMO_LINES, months=DEMO_MONTHS, end=end))
        session.commit()
    yield SeededDemo(
        end=end,
        engine=engine,
        env={"GLANCE_DATABASE_URL": url, "GLANCE_DATA_DIR": str(folder / "data"), "GLANCE_REDIS_URL": ""},
    )
    engine.dispose()


def _last_closed_month(end: date) -> Period:
    last = month_start(end) - timedelta(days=1)
    return Period(month_start(last), month_end(last))


@dataclass(frozen=True)
class Gap:
    """A figure against what it is compared with, as a fraction of `scale` (the base unless stated)."""

    value: Decimal | None
    base: Decimal | None
    scale: Decimal | None = None

    @property
    def fraction(self) -> Decimal | None:
        scale = self.base if self.scale is None else self.scale
        if self.value is None or self.base is None or not scale:
            return None
        return (self.value - self.base) / abs(scale)


@dataclass(frozen=True)
class Check:
    """One comparison the first screen shows, and the gap the demo's design gives it (none, unless stated)."""

    where: str
    gap: Gap
    designed: Gap | None = None

    def problem(self) -> str | None:
        found = self.gap.fraction
        expected = self.designed.fraction if self.designed is not None else Decimal(0)
        if found is None or expected is None:
            return f"{self.where}: nothing to compare"
        if abs(found - expected) <= TOLERANCE:
            return None
        return f"{self.where}: {found:+.1%} (expected {expected:+.1%} ± {TOLERANCE:.0%})"


def _assert_all_hold(checks: list[Check]) -> None:
    problems = [p for check in checks if (p := check.problem()) is not None]
    assert not problems, "\n".join(problems)


@dataclass(frozen=True)
class Figures:
    """One KPI as a card or the CLI shows it."""

    value: Decimal | None
    target: Decimal | None
    prior: Decimal | None


def _gaps(rows: dict[Metric, Figures], metric: Metric) -> tuple[Gap, Gap]:
    """(against target, against prior period); operating profit's measured against gross margin."""
    row = rows[metric]
    if metric is not Metric.OPERATING_PROFIT:
        return Gap(row.value, row.target), Gap(row.value, row.prior)
    margin = rows[Metric.GROSS_MARGIN]
    return Gap(row.value, row.target, margin.target), Gap(row.value, row.prior, margin.prior)


def _scorecard_rows(demo: SeededDemo, period: Period) -> dict[Metric, Figures]:
    with Session(demo.engine) as session:
        card = queries.scorecard(session, scope=Scope.everything(), period=period, with_spark=False)
    return {c.metric: Figures(c.value, c.target, c.prior) for c in card.cards}


def _card_checks(demo: SeededDemo, name: PeriodName, rows: dict[Metric, Figures]) -> list[Check]:
    """Every KPI against target and prior period, from the scorecard or the CLI."""
    period = queries.period_for(name, today=demo.end)
    closed = _scorecard_rows(demo, _last_closed_month(demo.end))
    checks = []
    for metric in rows:
        if period.days == 1 and metric is not Metric.OPEX:
            continue
        against_target, against_prior = _gaps(rows, metric)
        designed = _gaps(closed, metric)[0] if metric in DESIGNED_OFF_TARGET else None
        checks.append(Check(f"{demo.end} {name} {metric.value} vs target", against_target, designed))
        checks.append(Check(f"{demo.end} {name} {metric.value} vs prior period", against_prior))
    return checks


@pytest.mark.parametrize("name", PERIODS)
def test_scorecard_compares_whole_months_with_whole_months(demo: SeededDemo, name: PeriodName) -> None:
    rows = _scorecard_rows(demo, queries.period_for(name, today=demo.end))

    _assert_all_hold(_card_checks(demo, name, rows))


def _budget_gaps(lines: list[queries.BudgetLine]) -> dict[str, Gap]:
    by_line = {line.line: line for line in lines}
    margin = by_line.get(Metric.GROSS_MARGIN.value)
    return {
        line.line: Gap(
            line.actual,
            line.budget,
            margin.budget if margin is not None and line.line == Metric.OPERATING_PROFIT.value else None,
        )
        for line in lines
    }


@pytest.mark.parametrize("name", PERIODS)
def test_pnl_and_budget_vs_actual_compare_whole_months_with_whole_months(demo: SeededDemo, name: PeriodName) -> None:
    period = queries.period_for(name, today=demo.end)
    closed = _last_closed_month(demo.end)
    with Session(demo.engine) as session:
        now = queries.pnl_report(
            session, scope=Scope.everything(), by="territory", start=period.start, end=period.end
        ).total
        before = queries.pnl_report(
            session, scope=Scope.everything(), by="territory", start=period.previous().start, end=period.previous().end
        ).total
        budget = _budget_gaps(
            queries.budget_vs_actual(session, scope=Scope.everything(), start=period.start, end=period.end)
        )
        closed_budget = _budget_gaps(
            queries.budget_vs_actual(session, scope=Scope.everything(), start=closed.start, end=closed.end)
        )

    checks = [Check(f"{demo.end} {name} P&L opex vs prior period", Gap(now.opex, before.opex))]
    if period.days > 1:
        profit = Gap(now.operating_profit, before.operating_profit, before.gross_margin)
        checks.append(Check(f"{demo.end} {name} P&L operating profit vs prior period", profit))
    for line, gap in budget.items():
        if period.days == 1 and not line.startswith("opex"):
            continue
        designed = closed_budget[line] if line in DESIGNED_OFF_BUDGET else None
        checks.append(Check(f"{demo.end} {name} budget {line}", gap, designed))

    assert set(budget) >= {"net_revenue", "gross_margin", "opex", "operating_profit", "opex:Marketing"}
    _assert_all_hold(checks)


@pytest.mark.parametrize("name", PERIODS)
def test_kpi_report_json_compares_whole_months_with_whole_months(demo: SeededDemo, name: PeriodName) -> None:
    result = run_glance(
        "report", "kpis", "--period", name.value, "--today", demo.end.isoformat(), "--format", "json", env=demo.env
    )

    assert result.returncode == 0, result.stderr
    rows = {
        Metric(row["key"]): Figures(
            *(None if row[k] is None else Decimal(row[k]) for k in ("value", "target", "prior"))
        )
        for row in json.loads(result.stdout)["rows"]
    }
    _assert_all_hold(_card_checks(demo, name, rows))


def test_the_month_in_progress_is_booked_as_a_whole_month(demo: SeededDemo) -> None:
    closed = _last_closed_month(demo.end)
    with Session(demo.engine) as session:
        months = queries.pnl_report(
            session, scope=Scope.everything(), by="month", start=closed.start, end=month_end(demo.end)
        ).rows

    assert [row.key for row in months] == [closed.start.isoformat(), month_start(demo.end).isoformat()]
    booked = Check(
        f"{demo.end} opex booked for the month vs the last closed month", Gap(months[1].opex, months[0].opex)
    )
    assert booked.problem() is None
