"""source state and alert state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:18:39.313741

source_state holds each pulled source's `since` and failure streak; alert_state keeps alerts
de-duplicated across restarts and replicas.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_state',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raised_at', db.types.AwareDateTime(), nullable=True),
    sa.Column('resolved_at', db.types.AwareDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('source_state',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('since', db.types.AwareDateTime(), nullable=True),
    sa.Column('last_attempt_at', db.types.AwareDateTime(), nullable=True),
    sa.Column('last_success_at', db.types.AwareDateTime(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('source_state')
    op.drop_table('alert_state')
