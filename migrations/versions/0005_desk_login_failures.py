"""desk login failures: the console's per-address and global login throttles count them

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_login_failures_at", "desk_login_failures", ["at"])
    op.create_index("ix_desk_login_failures_address", "desk_login_failures", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_desk_login_failures_address", table_name="desk_login_failures")
    op.drop_index("ix_desk_login_failures_at", table_name="desk_login_failures")
    op.drop_table("desk_login_failures")
