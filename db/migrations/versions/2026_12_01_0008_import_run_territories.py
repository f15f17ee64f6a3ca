"""import_run.territories: the territories of the rows each run accepted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00

A JSON list per run, so import history can answer a caller scoped to some territories with the
runs inside its scope. Null for every run before this step: what they touched is not known, and
such a run shows only to callers of every territory and to whoever requested it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite adds and drops a column in place since 3.35): a
    # batch copy of import_run would cascade-delete its rejected rows under foreign_keys=ON.
    op.add_column("import_run", sa.Column("territories", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("import_run", "territories")
