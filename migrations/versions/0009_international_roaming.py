"""international roaming: subscribers.roaming_on and the trip (destination, by sea, since)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(
            sa.Column("roaming_on", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("roaming_destination", sa.String(8), nullable=True))
        batch.add_column(
            sa.Column("roaming_by_sea", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("roaming_since", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("roaming_since")
        batch.drop_column("roaming_by_sea")
        batch.drop_column("roaming_destination")
        batch.drop_column("roaming_on")
