"""sales_line partitioned by source (Postgres)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 02:00:00

Each source's lines move to a partition of their own, named `sales_line_s_` plus the first 16
hex digits of the MD5 of the source (as `db.partitions.partition_name` names it). A source's
first import can then load a table with no index and attach it, building its key in one pass.
The key's columns compare byte by byte (COLLATE "C", `db.types.identifier`), which builds and
probes the key faster; columns and indexes are otherwise unchanged. SQLite has no partitions and
compares bytes already: nothing to do. Downgrade puts the lines back in one plain table with the
database's collation. SQL only, so this step never depends on later code.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "source, external_id, order_id, order_date, territory, channel, product, category, units, currency, "
    "net_revenue, cogs, net_revenue_rc, cogs_rc, import_run_id"
)


_PARTITION_EACH_SOURCE = """
DO $$
DECLARE s text;
BEGIN
    FOR s IN SELECT DISTINCT source FROM sales_line_before_0006 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF sales_line FOR VALUES IN (%L)',
                       'sales_line_s_' || left(md5(s), 16), s);
    END LOOP;
END $$
"""


def _collate(table: str, collation: str) -> None:
    op.execute(
        f'ALTER TABLE {table} ALTER COLUMN source TYPE varchar(200) COLLATE "{collation}", '
        f'ALTER COLUMN external_id TYPE varchar(200) COLLATE "{collation}"'
    )


def _rebuild(*, partitioned: bool) -> None:
    """Move the lines into a new `sales_line`, partitioned by source or plain, with the same key and indexes."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE sales_line RENAME TO sales_line_before_0006")
    op.execute("ALTER TABLE sales_line_before_0006 RENAME CONSTRAINT sales_line_pkey TO sales_line_before_0006_pkey")
    op.execute("ALTER INDEX ix_sales_line_order_date RENAME TO ix_sales_line_before_0006_order_date")
    if partitioned:  # before: a partition key's column cannot change
        _collate("sales_line_before_0006", "C")
    partitioning = " PARTITION BY LIST (source)" if partitioned else ""
    op.execute(f"CREATE TABLE sales_line (LIKE sales_line_before_0006 INCLUDING DEFAULTS){partitioning}")
    if not partitioned:
        _collate("sales_line", "default")
    op.execute("ALTER TABLE sales_line ADD CONSTRAINT sales_line_pkey PRIMARY KEY (source, external_id)")
    if partitioned:
        op.execute(_PARTITION_EACH_SOURCE)
    op.execute(f"INSERT INTO sales_line ({_COLUMNS}) SELECT {_COLUMNS} FROM sales_line_before_0006")
    op.execute("DROP TABLE sales_line_before_0006")
    op.execute("CREATE INDEX ix_sales_line_order_date ON sales_line USING brin (order_date)")


def upgrade() -> None:
    _rebuild(partitioned=True)


def downgrade() -> None:
    _rebuild(partitioned=False)
