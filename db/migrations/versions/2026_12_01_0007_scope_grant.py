"""scope_grant: the territories each user and token may see

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00

One row per (user or token, territory); `*` grants every territory, and a holder with no row
sees nothing. Every user and token that exists before this step keeps what it saw (every
territory), so upgrading changes no one's view. SQL only, so this step never depends on later code.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scope_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=True),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_token.id", ondelete="CASCADE"), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="ck_scope_grant_one_holder"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "territory", name="uq_scope_grant_user_territory"),
        sa.UniqueConstraint("token_id", "territory", name="uq_scope_grant_token_territory"),
    )
    op.create_index("ix_scope_grant_user_id", "scope_grant", ["user_id"])
    op.create_index("ix_scope_grant_token_id", "scope_grant", ["token_id"])
    op.execute("INSERT INTO scope_grant (user_id, territory) SELECT id, '*' FROM app_user")
    op.execute("INSERT INTO scope_grant (token_id, territory) SELECT id, '*' FROM api_token")


def downgrade() -> None:
    op.drop_index("ix_scope_grant_token_id", table_name="scope_grant")
    op.drop_index("ix_scope_grant_user_id", table_name="scope_grant")
    op.drop_table("scope_grant")
