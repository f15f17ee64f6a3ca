"""cheaper sales_line writes: no foreign key or index on import_run_id, BRIN on order_date

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:05:00

A million-line COPY spent as long on the foreign-key trigger and the two extra B-trees as on
the rows themselves. import_run_id is provenance (runs are never deleted); order_date ranges
are scanned by rollup refreshes and product edge months, which a BRIN index serves on
date-ordered data at a fraction of the upkeep. SQLite keeps a B-tree.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("sales_line", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_line_import_run_id")
        batch_op.drop_index("ix_sales_line_order_date")
        if op.get_bind().dialect.name == "postgresql":
            batch_op.drop_constraint("sales_line_import_run_id_fkey", type_="foreignkey")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's FK is unnamed in the table definition: name it by convention, then let batch
        # mode rebuild the table without it.
        with op.batch_alter_table("sales_line", recreate="always", naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint("fk_sales_line_import_run_id_import_run", type_="foreignkey")
    op.create_index("ix_sales_line_order_date", "sales_line", ["order_date"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index("ix_sales_line_order_date", table_name="sales_line")
    with op.batch_alter_table("sales_line", schema=None) as batch_op:
        batch_op.create_foreign_key("sales_line_import_run_id_fkey", "import_run", ["import_run_id"], ["id"])
        batch_op.create_index("ix_sales_line_import_run_id", ["import_run_id"], unique=False)
        batch_op.create_index("ix_sales_line_order_date", ["order_date"], unique=False)
