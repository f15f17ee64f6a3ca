"""The one place business figures are computed. Dashboard, CLI reports and the API all call it."""

from db.queries.dimensions import Dimensions, dimensions
from db.queries.figures import METRICS, Margins, Metric, MetricInfo, SalesFigures, Unit, metric_value
from db.queries.health import STATUS_LABELS, Health, Offender, Status, Thresholds, kpi_status, overall_health
from db.queries.kpis import KpiCard, Scorecard, SparkPoint, kpi_values, scorecard
from db.queries.monthly import OpexPart, opex_parts, targets_for
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

__all__ = [
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
    "PeriodName",
    "PnlDimension",
    "PnlReport",
    "PnlRow",
    "SalesFigures",
    "Scorecard",
    "SparkPoint",
    "Status",
    "Thresholds",
    "Unit",
    "budget_vs_actual",
    "daily_sales",
    "dimensions",
    "kpi_status",
    "kpi_values",
    "metric_value",
    "opex_by_category",
    "opex_parts",
    "overall_health",
    "period_for",
    "pnl_report",
    "sales_breakdown",
    "sales_totals",
    "scorecard",
    "targets_for",
]
