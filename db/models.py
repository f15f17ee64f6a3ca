"""Glance tables. Money is exact (`Money`), timestamps are aware (`AwareDateTime`), dates are `date`.

Dimensions (territories, channels, categories, products) are plain columns that grow with the
data: no table or code lists them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Table, Text, UniqueConstraint, inspect
from sqlmodel import Field, SQLModel

from db.types import AwareDateTime, Money, ScaledDecimal, identifier, utcnow

ALL_TERRITORIES = "*"
"""The territory value of a target that applies to the whole business."""


class DataVersion(SQLModel, table=True):
    """One row: a counter bumped in the transaction that commits an import."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, nullable=False)


class ImportRun(SQLModel, table=True):
    """One import of one file or one source pull, with its outcome."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    source: str = Field(max_length=200, index=True)
    filename: str = Field(default="", max_length=500)
    file_sha256: str = Field(default="", max_length=64)
    status: str = Field(default="running", max_length=16, index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    data_version: int | None = None
    requested_by: str = Field(default="", max_length=200)
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # A JSON list, not a comma-separated one: a territory in the data may hold a comma.
    territories: str | None = Field(
        default=None,
        sa_column=Column(Text, nullable=True),
        description="JSON list of the territories of the rows the run accepted; null when not known",
    )


class RejectedRow(SQLModel, table=True):
    """A row an import refused, with where and why, kept for download."""

    __tablename__ = "rejected_row"

    id: int | None = Field(default=None, primary_key=True)
    import_run_id: int = Field(foreign_key="import_run.id", index=True, ondelete="CASCADE")
    row_number: int
    field: str = Field(max_length=200)
    value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class SalesLine(SQLModel, table=True):
    """One sales line, keyed by `(source, external_id)`, so a re-import updates, never duplicates.

    The natural key is the primary key: a surrogate id would add a sequence call and a second
    B-tree to every row of a COPY (a third of its time) and identify nothing the key does not.
    """

    __tablename__ = "sales_line"
    __table_args__ = (
        # BRIN on Postgres: lines arrive roughly in date order, and a BRIN index costs almost
        # nothing to maintain during a million-line COPY (SQLite falls back to a B-tree).
        Index("ix_sales_line_order_date", "order_date", postgresql_using="brin"),
        # One partition per source on Postgres (db/partitions.py): a source's first import loads
        # a table with no index and attaches it, building the key once instead of line by line.
        {"postgresql_partition_by": "LIST (source)"},
    )

    source: str = Field(max_length=200, primary_key=True, sa_type=identifier(200))
    external_id: str = Field(max_length=200, primary_key=True, sa_type=identifier(200))
    order_id: str = Field(max_length=200)
    order_date: date
    territory: str = Field(max_length=100)
    channel: str = Field(max_length=100)
    product: str = Field(max_length=200)
    category: str = Field(max_length=100)
    units: int
    currency: str = Field(max_length=3)
    net_revenue: Decimal = Field(sa_type=Money, description="in the line's own currency")
    cogs: Decimal = Field(sa_type=Money, description="in the line's own currency")
    net_revenue_rc: Decimal = Field(sa_type=Money, description="in the reporting currency")
    cogs_rc: Decimal = Field(sa_type=Money, description="in the reporting currency")
    # Provenance only: no foreign key or index, whose per-row checks doubled the cost of a COPY.
    import_run_id: int | None = Field(default=None)


class SalesDaily(SQLModel, table=True):
    """Daily rollup by territory, channel and category, in the reporting currency.

    `orders` counts distinct orders with a line in the cell: it adds up across days,
    territories and channels, not across categories (use `OrdersDaily` for order totals).
    """

    __tablename__ = "sales_daily"

    day: date = Field(primary_key=True)
    territory: str = Field(primary_key=True, max_length=100)
    channel: str = Field(primary_key=True, max_length=100)
    category: str = Field(primary_key=True, max_length=100)
    lines: int
    units: int
    orders: int
    net_revenue: Decimal = Field(sa_type=Money)
    cogs: Decimal = Field(sa_type=Money)


class OrdersDaily(SQLModel, table=True):
    """Distinct orders a day by territory and channel: the additive source of order counts."""

    __tablename__ = "orders_daily"

    day: date = Field(primary_key=True)
    territory: str = Field(primary_key=True, max_length=100)
    channel: str = Field(primary_key=True, max_length=100)
    orders: int


class SalesProductMonthly(SQLModel, table=True):
    """Monthly rollup by product (with its category), territory and channel."""

    __tablename__ = "sales_product_monthly"

    month: date = Field(primary_key=True)
    territory: str = Field(primary_key=True, max_length=100)
    channel: str = Field(primary_key=True, max_length=100)
    category: str = Field(primary_key=True, max_length=100)
    product: str = Field(primary_key=True, max_length=200)
    units: int
    orders: int
    net_revenue: Decimal = Field(sa_type=Money)
    cogs: Decimal = Field(sa_type=Money)


class OperatingExpense(SQLModel, table=True):
    """Operating expenses for one month, territory and expense category."""

    __tablename__ = "operating_expense"
    __table_args__ = (
        UniqueConstraint("month", "territory", "category", name="uq_operating_expense_month_territory_category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    territory: str = Field(max_length=100)
    category: str = Field(max_length=100)
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_type=Money, description="in its own currency")
    amount_rc: Decimal = Field(sa_type=Money, description="in the reporting currency")
    source: str = Field(default="", max_length=200)
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class KpiTarget(SQLModel, table=True):
    """A monthly target for one metric, for one territory or the whole business (`*`)."""

    __tablename__ = "kpi_target"
    __table_args__ = (UniqueConstraint("month", "territory", "metric", name="uq_kpi_target_month_territory_metric"),)

    id: int | None = Field(default=None, primary_key=True)
    month: date = Field(index=True)
    territory: str = Field(default=ALL_TERRITORIES, max_length=100)
    metric: str = Field(max_length=50)
    value: Decimal = Field(sa_type=ScaledDecimal(18, 4))
    source: str = Field(default="", max_length=200)
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class FxRate(SQLModel, table=True):
    """How many units of the reporting currency one unit of `currency` bought in `month`."""

    __tablename__ = "fx_rate"

    month: date = Field(primary_key=True)
    currency: str = Field(primary_key=True, max_length=3)
    rate: Decimal = Field(sa_type=ScaledDecimal(18, 6))
    import_run_id: int | None = Field(default=None, foreign_key="import_run.id", index=True)


class AppUser(SQLModel, table=True):
    """A person who signs in to the dashboard."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=300)
    language: str = Field(default="", max_length=16)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, nullable=False)
    password_changed_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token for the sync service API, stored only as a SHA-256 hash."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_type=AwareDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


class ScopeGrant(SQLModel, table=True):
    """One territory a user or a token may see (`*`: every territory); no grant at all sees nothing.

    Read as a `db.scope.Scope` by `services.auth`; a territory with no data yet may be granted.
    """

    __tablename__ = "scope_grant"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="ck_scope_grant_one_holder"),
        UniqueConstraint("user_id", "territory", name="uq_scope_grant_user_territory"),
        UniqueConstraint("token_id", "territory", name="uq_scope_grant_token_territory"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    )
    token_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("api_token.id", ondelete="CASCADE"), index=True)
    )
    territory: str = Field(max_length=100)


class SourceState(SQLModel, table=True):
    """Where each configured source stands: the `since` of its next pull and its run of failures."""

    __tablename__ = "source_state"

    name: str = Field(primary_key=True, max_length=200)
    since: datetime | None = Field(default=None, sa_type=AwareDateTime, description="start of the last successful pull")
    last_attempt_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    consecutive_failures: int = 0
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class AlertState(SQLModel, table=True):
    """One alert condition: raised once until it clears, then resolved once."""

    __tablename__ = "alert_state"

    key: str = Field(primary_key=True, max_length=300)
    active: bool = False
    delivered: bool = Field(default=False, description="every channel took the latest message")
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    raised_at: datetime | None = Field(default=None, sa_type=AwareDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=AwareDateTime)


__all__ = [
    "ALL_TERRITORIES",
    "AlertState",
    "ApiToken",
    "AppUser",
    "DataVersion",
    "FxRate",
    "ImportRun",
    "KpiTarget",
    "OperatingExpense",
    "OrdersDaily",
    "RejectedRow",
    "SalesDaily",
    "SalesLine",
    "SalesProductMonthly",
    "ScopeGrant",
    "SourceState",
]


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` a SQLModel table class maps to (what `model.__table__` holds)."""
    # SQLModel sets `__table__` at class creation without declaring it to type checkers, and the mapper's
    # `local_table` (the same object) is typed as the wider `FromClause`: this is the one place that narrows it.
    return cast(Table, inspect(model).local_table)
