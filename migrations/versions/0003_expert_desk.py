"""expert desk: agents and skills, desk calls, offers, callbacks, wrap-ups, queue event log

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
APPEND_ONLY = "desk_events is append-only"


def upgrade() -> None:
    op.create_table(
        "desk_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("is_supervisor", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("break_reason", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("idle_since", sa.DateTime(), nullable=False),
        sa.Column("wrap_up_until", sa.DateTime(), nullable=True),
        sa.Column("lapses_in_row", sa.Integer(), nullable=False),
        sa.Column("current_call_id", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "desk_agent_skills",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["desk_agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agent_id", "skill"),
    )
    op.create_index("ix_desk_agent_skills_skill", "desk_agent_skills", ["skill"])
    op.create_table(
        "desk_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("caller_number", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("phone_model", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("skill", sa.String(length=32), nullable=False),
        sa.Column("topic_source", sa.String(length=16), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_source", sa.String(length=16), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("recording_s", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("left_reason", sa.String(length=32), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("announced_at", sa.DateTime(), nullable=True),
        sa.Column("announced_position", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("connected_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("talk_s", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["desk_agents.id"]),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_calls_call_id", "desk_calls", ["call_id"])
    op.create_index("ix_desk_calls_call_sid", "desk_calls", ["call_sid"])
    op.create_index(
        "ix_desk_calls_line", "desk_calls", ["status", "skill", "priority", "entered_at"]
    )
    op.create_table(
        "desk_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_call_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["desk_agents.id"]),
        sa.ForeignKeyConstraint(["desk_call_id"], ["desk_calls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_offers_desk_call_id", "desk_offers", ["desk_call_id"])
    op.create_index("ix_desk_offers_agent_id", "desk_offers", ["agent_id"])
    op.create_index("ix_desk_offers_expires_at", "desk_offers", ["expires_at"])
    # At most one pending offer per caller and per agent, whatever the number of processes.
    op.create_index(
        "uq_desk_offers_pending_call",
        "desk_offers",
        ["desk_call_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "uq_desk_offers_pending_agent",
        "desk_offers",
        ["agent_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_table(
        "desk_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_call_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("outbound_sid", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["desk_call_id"], ["desk_calls.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("desk_call_id"),
    )
    op.create_table(
        "desk_wrapups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_call_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("sms_body", sa.Text(), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["desk_agents.id"]),
        sa.ForeignKeyConstraint(["desk_call_id"], ["desk_calls.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("desk_call_id"),
    )
    op.create_table(
        "desk_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("desk_call_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["desk_agents.id"]),
        sa.ForeignKeyConstraint(["desk_call_id"], ["desk_calls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_events_at", "desk_events", ["at"])
    op.create_index("ix_desk_events_kind", "desk_events", ["kind"])
    op.create_index("ix_desk_events_desk_call_id", "desk_events", ["desk_call_id"])
    op.create_index("ix_desk_events_agent_id", "desk_events", ["agent_id"])
    # The queue event log is the source of truth: the database refuses to change it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION desk_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER desk_events_append_only BEFORE UPDATE OR DELETE ON desk_events "
            "FOR EACH ROW EXECUTE FUNCTION desk_events_append_only()"
        )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER desk_events_no_{what.lower()} BEFORE {what} ON desk_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS desk_events_append_only ON desk_events")
        op.execute("DROP FUNCTION IF EXISTS desk_events_append_only()")
    for table in (
        "desk_events",
        "desk_wrapups",
        "desk_callbacks",
        "desk_offers",
        "desk_calls",
        "desk_agent_skills",
        "desk_agents",
    ):
        op.drop_table(table)
