"""data usage trail: the data sessions of the last three months plus this one

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kb", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("access", sa.String(length=8), nullable=True),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["subscriber_id"], ["subscribers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_data_sessions_trail", "data_sessions", ["subscriber_id", "day", "access", "kb"]
    )
    op.create_index("ix_data_sessions_day", "data_sessions", ["day"])


def downgrade() -> None:
    op.drop_index("ix_data_sessions_day", table_name="data_sessions")
    op.drop_index("ix_data_sessions_trail", table_name="data_sessions")
    op.drop_table("data_sessions")
