"""orders belong to their source: rebuild the rollups' order counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 00:00:00

Until 0003, two systems that used the same order number on the same day were counted as one
order. An order is now identified by (source, order_id), which is also what lets a first
import of a source add its own rollups without re-reading stored lines. The rollups are
rebuilt from the facts in this migration, and the data version is bumped so that no cached
figure from the old counting is served. SQL only, so this step never depends on later code.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = {
    "lines": "sum(lines)",
    "units": "sum(units)",
    "orders": "count(*)",
    "net_revenue": "sum(net_revenue)",
    "cogs": "sum(cogs)",
}


def _rebuild(table: str, *, cells: str, names: str, measures: tuple[str, ...]) -> None:
    """Refill `table` from the lines: grouped per order within each cell, then per cell."""
    op.execute(f"DELETE FROM {table}")
    op.execute(
        f"INSERT INTO {table} ({names}, {', '.join(measures)}) "
        f"SELECT {names}, {', '.join(_SUMS[m] for m in measures)} FROM ("
        f"SELECT {cells}, source, order_id, count(*) AS lines, sum(units) AS units, "
        "sum(net_revenue_rc) AS net_revenue, sum(cogs_rc) AS cogs "
        f"FROM sales_line GROUP BY {names}, source, order_id) per_order GROUP BY {names}"
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "date_trunc('month', order_date)::date" if postgres else "date(order_date, 'start of month')"
    if postgres:
        op.execute("SET LOCAL work_mem = '256MB'")
    day_cells = "order_date AS day, territory, channel"
    _rebuild(
        "sales_daily",
        cells=f"{day_cells}, category",
        names="day, territory, channel, category",
        measures=("lines", "units", "orders", "net_revenue", "cogs"),
    )
    _rebuild("orders_daily", cells=day_cells, names="day, territory, channel", measures=("orders",))
    _rebuild(
        "sales_product_monthly",
        cells=f"{month} AS month, territory, channel, category, product",
        names="month, territory, channel, category, product",
        measures=("units", "orders", "net_revenue", "cogs"),
    )
    # A new version only where there were figures to recount: an empty database stays at 0.
    op.execute("UPDATE data_version SET version = version + 1 WHERE EXISTS (SELECT 1 FROM sales_line)")


def downgrade() -> None:
    """Nothing to undo: older code reads the rebuilt rollups as they are."""
