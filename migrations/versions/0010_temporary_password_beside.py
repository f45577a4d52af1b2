"""temporary service password beside the current one: service_passwords.temporary_hash and
temporary_expires_at replace the flag that marked the current password as temporary

A temporary password no longer replaces the current one: it is kept beside it until it is
used once or expires. A password stored as temporary before this revision cannot be told
apart from the owner's own afterwards: it stays the current password.

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_passwords") as batch:
        batch.add_column(sa.Column("temporary_hash", sa.String(200), nullable=True))
        batch.add_column(sa.Column("temporary_expires_at", sa.DateTime(), nullable=True))
        batch.drop_column("temporary")


def downgrade() -> None:
    with op.batch_alter_table("service_passwords") as batch:
        batch.add_column(
            sa.Column("temporary", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_column("temporary_expires_at")
        batch.drop_column("temporary_hash")
