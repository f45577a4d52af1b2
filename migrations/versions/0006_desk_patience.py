"""desk calls: when the longest-wait clock (re)starts, for a caller who chose to keep waiting

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("desk_calls", sa.Column("patience_from", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("desk_calls", "patience_from")
