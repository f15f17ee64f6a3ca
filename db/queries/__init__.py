"""The one place business figures are computed. Dashboard, CLI reports and the API all call it."""

from db.queries.dimensions import Dimensions, dimensions
from db.queries.figures import METRICS, Margins, Metric, MetricInfo, SalesFigures, Unit, metric_value
from db.queries.kpis import KpiCard, Scorecard, SparkPoint, kpi_values, scorecard
from db.queries.monthly import OpexPart, TargetCell, opex_parts, target_cells
from db.queries.periods import Filters, Period, PeriodName, period_for
from db.queries.pnl import (
    BudgetLine,
    OpexRow,
    PnlDimension,
    PnlReport,
    PnlRow,
    budget_vs_actual,
    opex_by_category,
    pnl_report,
)
from db.queries.sales import Breakdown, BreakdownRow, DailyPoint, Dimension, daily_sales, sales_breakdown, sales_totals
from db.queries.scoring import STATUS_LABELS, Health, Offender, Status, Thresholds, kpi_status, overall_health
from db.queries.targets import PeriodCells, TargetComparison, TargetCoverage, compare_target, period_cells
from db.scope import EVERY_TERRITORY, Scope, ScopeError

__all__ = [
    "EVERY_TERRITORY",
    "METRICS",
    "STATUS_LABELS",
    "Breakdown",
    "BreakdownRow",
    "BudgetLine",
    "DailyPoint",
    "Dimension",
    "Dimensions",
    "Filters",
    "Health",
    "KpiCard",
    "Margins",
    "Metric",
    "MetricInfo",
    "Offender",
    "OpexPart",
    "OpexRow",
    "Period",
    "PeriodCells",
    "PeriodName",
    "PnlDimension",
    "PnlReport",
    "PnlRow",
    "SalesFigures",
    "Scope",
    "ScopeError",
    "Scorecard",
    "SparkPoint",
    "Status",
    "TargetCell",
    "TargetComparison",
    "TargetCoverage",
    "Thresholds",
    "Unit",
    "budget_vs_actual",
    "compare_target",
    "daily_sales",
    "dimensions",
    "kpi_status",
    "kpi_values",
    "metric_value",
    "opex_by_category",
    "opex_parts",
    "overall_health",
    "period_cells",
    "period_for",
    "pnl_report",
    "sales_breakdown",
    "sales_totals",
    "scorecard",
    "target_cells",
]
