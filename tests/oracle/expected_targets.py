"""Targets, their coverage, KPI statuses and budget vs actual, computed again from the ledger.

A target cell is (month, territory, metric). One territory's view is covered in the months with its
own target. The whole business is covered in a month with a `*` target for every territory and,
for additive metrics without one, for the territories with their own target that month. The
target prorates each covered cell by days like opex, to the penny (ratio targets: day-weighted
average of the months' `*` or own values, to the penny for average order value and to four places
for gross margin %) and is compared with the metric over the covered cells only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tests.oracle.days import days_in_month, month_end, month_start, months_from, overlap_days
from tests.oracle.expected import KPIS, ZERO, Part, lines_in, metric_value, opex_parts, penny, ratio, sums
from tests.oracle.ledger import Ledger, Line

WHOLE_BUSINESS = "*"
RATIO_METRICS = ("gross_margin_pct", "aov")
COST_PREFIX = "opex:"
ON_TRACK_SHORTFALL = Decimal("0.02")
WATCH_SHORTFALL = Decimal("0.10")
OFF_TRACK_SHARE = Decimal("0.25")
"""The README's defaults for `GLANCE_HEALTH_*`."""
PRIORITY = ("net_revenue", "operating_profit")
LABELS = {"on_track": "On track", "watch": "Watch", "off_track": "Off track", "no_target": "No target"}
BUDGET_LINES = ("net_revenue", "gross_margin", "opex", "operating_profit")


def higher_is_better(metric: str) -> bool:
    """Costs are better lower."""
    return metric != "opex" and not metric.startswith(COST_PREFIX)


@dataclass(frozen=True)
class Coverage:
    """How much of a period one metric's targets cover, the target, and the actual it is compared with."""

    months_covered: int
    months_total: int
    territories_covered: int
    territories_total: int
    target: Decimal | None
    covered_value: Decimal | None

    @property
    def complete(self) -> bool:
        return (self.months_covered, self.territories_covered) == (self.months_total, self.territories_total) and (
            self.months_covered > 0
        )

    def as_json(self) -> dict[str, object]:
        """The fields of `target_coverage` the oracle knows (not the wording of notes and reasons)."""
        return {
            "months": {"covered": self.months_covered, "total": self.months_total},
            "territories": {"covered": self.territories_covered, "total": self.territories_total},
            "complete": self.complete,
            "covered_value": None if self.covered_value is None else str(self.covered_value),
        }


def _covered_cells(ledger: Ledger, metric: str, months: list[date], territory: str | None) -> dict[date, set | None]:
    """Covered months and, for each, the covered territories (None: all of them)."""
    cells: dict[date, set | None] = {}
    additive = metric not in RATIO_METRICS
    for month in months:
        targets = ledger.targets.get((month, metric), {})
        if territory is not None:
            if territory in targets:
                cells[month] = {territory}
        elif WHOLE_BUSINESS in targets:
            cells[month] = None
        elif additive and targets:
            cells[month] = set(targets)
    return cells


def _month_values(ledger: Ledger, metric: str, month: date, covered: set | None) -> list[Decimal]:
    """The month's target cells that count: its `*` target, or the covered territories' own."""
    targets = ledger.targets[(month, metric)]
    if covered is None:
        return [targets[WHOLE_BUSINESS]]
    return [targets[territory] for territory in covered]


def _in_cells(month: date, territory: str, cells: dict[date, set | None]) -> bool:
    return month in cells and (cells[month] is None or territory in cells[month])  # type: ignore[operator]


def _parts_for(metric: str, parts: list[Part]) -> list[Part]:
    if metric.startswith(COST_PREFIX):
        return [part for part in parts if part.expense.category == metric.removeprefix(COST_PREFIX)]
    return parts


def _territories(metric: str, lines: list[Line], parts: list[Part], ledger: Ledger, months: list[date]) -> set[str]:
    """The territories of the period for one metric: sales, expenses (cost metrics), own targets."""
    found = set() if metric.startswith(COST_PREFIX) else {line.territory for line in lines}
    if metric in ("opex", "operating_profit") or metric.startswith(COST_PREFIX):
        found |= {part.expense.territory for part in parts}
    for month in months:
        found |= set(ledger.targets.get((month, metric), {})) - {WHOLE_BUSINESS}
    return found


def coverage(ledger: Ledger, metric: str, start: date, end: date, territory: str | None) -> Coverage:
    """The target of one metric for the period and view, and what it covers."""
    months = months_from(start, end)
    lines = lines_in(ledger, start, end, territory)
    parts = _parts_for(metric, opex_parts(ledger, start, end, territory))
    cells = _covered_cells(ledger, metric, months, territory)
    if territory is not None:
        territories_total, territories_covered = 1, int(bool(cells))
    else:
        territories = _territories(metric, lines, parts, ledger, months)
        territories_total = len(territories)
        territories_covered = sum(1 for t in territories if all(_in_cells(m, t, cells) for m in cells)) if cells else 0
    if not cells:
        return Coverage(0, len(months), 0, territories_total, None, None)
    days = {month: overlap_days(start, end, month, month_end(month)) for month in cells}
    monthly = {month: _month_values(ledger, metric, month, covered) for month, covered in cells.items()}
    if metric in RATIO_METRICS:
        weighted = sum((value * days[m] for m in cells for value in monthly[m]), Decimal(0))
        # Average order value is money, rounded once to the penny; a margin % keeps four places.
        target = penny(weighted / sum(days.values())) if metric == "aov" else ratio(weighted, sum(days.values()))
    else:
        # Prorated like opex: each (month, territory) cell to the penny, then summed.
        target = sum((penny(value * days[m] / days_in_month(m)) for m in cells for value in monthly[m]), ZERO)
    covered_lines = [line for line in lines if _in_cells(month_start(line.day), line.territory, cells)]
    covered_parts = [p for p in parts if _in_cells(p.expense.month, p.expense.territory, cells)]
    opex = sum((part.amount for part in covered_parts), ZERO)
    value = metric_value("opex" if metric.startswith(COST_PREFIX) else metric, sums(covered_lines), opex)
    return Coverage(len(cells), len(months), territories_covered, territories_total, target, value)


def status(value: Decimal | None, compared: Coverage, metric: str) -> str:
    """A KPI's status: no data, no target, or its covered actual's shortfall against target."""
    if value is None:
        return "no_data"
    if compared.target is None:
        return "no_target"
    if compared.covered_value is None:
        return "no_data"
    target, actual = compared.target, compared.covered_value
    shortfall = target - actual if higher_is_better(metric) else actual - target
    if target == 0:
        return "on_track" if shortfall <= 0 else "off_track"
    share = shortfall / abs(target)
    if share <= ON_TRACK_SHORTFALL:
        return "on_track"
    return "watch" if share <= WATCH_SHORTFALL else "off_track"


def overall(statuses: dict[str, str]) -> str:
    """Off track if a priority KPI or a quarter of the targeted ones are; watch if any is off target."""
    if all(s == "no_data" for s in statuses.values()):
        return "no_data"
    targeted = [s for s in statuses.values() if s in ("on_track", "watch", "off_track")]
    if not targeted:
        return "no_target"
    off = targeted.count("off_track")
    if any(statuses[m] == "off_track" for m in PRIORITY) or Decimal(off) / len(targeted) >= OFF_TRACK_SHARE:
        return "off_track"
    return "watch" if "watch" in targeted or off else "on_track"


def headline_start(statuses: dict[str, str]) -> str:
    """How the headline begins: the overall status, and how many KPIs are off target when some are."""
    state = overall(statuses)
    if state == "no_data":
        return "No data:"
    off_target = sum(1 for s in statuses.values() if s in ("watch", "off_track"))
    if not off_target:
        return f"{LABELS[state]}:"
    return f"{LABELS[state]}: {off_target} of {len(KPIS)} KPIs off target"


@dataclass(frozen=True)
class BudgetLine:
    """One line of budget vs actual as the oracle expects it."""

    line: str
    actual: Decimal
    budget: Decimal | None
    complete: bool

    def as_tuple(self) -> tuple[str, str, str | None, str | None, str | None, bool | None]:
        """line, actual, budget, variance, variance %, favourable (the last four None without a budget)."""
        if self.budget is None:
            return self.line, str(self.actual), None, None, None, None
        variance = self.actual - self.budget
        variance_pct = ratio(variance, abs(self.budget))
        favourable = variance >= 0 if higher_is_better(self.line) else variance <= 0
        pct = None if variance_pct is None else str(variance_pct)
        return self.line, str(self.actual), str(self.budget), str(variance), pct, favourable


def budget_lines(ledger: Ledger, start: date, end: date, territory: str | None) -> list[BudgetLine]:
    """The P&L lines, with or without a budget, then each expense category that has one.

    A budgeted line's actual is that of the cells its budget covers; an unbudgeted one's is the period's.
    """
    categories = sorted(
        {m for (month, m) in ledger.targets if month_start(start) <= month <= end and m.startswith(COST_PREFIX)}
    )
    parts = opex_parts(ledger, start, end, territory)
    whole = sums(lines_in(ledger, start, end, territory))
    lines = []
    for metric in (*BUDGET_LINES, *categories):
        compared = coverage(ledger, metric, start, end, territory)
        if compared.target is not None and compared.covered_value is not None:
            lines.append(BudgetLine(metric, compared.covered_value, compared.target, compared.complete))
        elif metric in BUDGET_LINES:
            actual = metric_value(metric, whole, sum((part.amount for part in parts), ZERO))
            lines.append(BudgetLine(metric, actual if actual is not None else ZERO, None, compared.complete))
    return lines
