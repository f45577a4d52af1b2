"""The expert desk's tables: agents and their skills, desk calls (queue entries), offers,
callbacks, wrap-ups, and the append-only queue event log every metric is derived from.

Two axes describe an agent, as mature call centres model it: the **status** the agent sets
(``offline``, ``available``, ``break`` with a reason) and the **state** the system sets
(``idle``, ``offered``, ``on_call``, ``wrap_up``). Only an available, idle agent is offered
a call. Timestamps are naive UTC (:class:`ivr.clock.Clock`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.clock import stamp
from ivr.db import Base
from ivr.models import Call

# Agent status (set by the agent) and state (set by the system).
OFFLINE, AVAILABLE, BREAK = "offline", "available", "break"
IDLE, OFFERED, ON_CALL, WRAP_UP = "idle", "offered", "on_call", "wrap_up"
STATUSES = (OFFLINE, AVAILABLE, BREAK)
STATES = (IDLE, OFFERED, ON_CALL, WRAP_UP)
BREAK_REASONS = ("lunch", "training", "meeting", "other")
MISSED_OFFERS = "missed_offers"  # the break the system puts an agent on after K lapses

# A desk call's life: asking → waiting ⇄ offered → connecting → talking → completed;
# or waiting → abandoned (hung up) / left (max wait, full queue); asking → canceled.
ASKING, WAITING, CONNECTING, TALKING = "asking", "waiting", "connecting", "talking"
COMPLETED, ABANDONED, LEFT, CANCELED = "completed", "abandoned", "left", "canceled"
IN_LINE = (WAITING, OFFERED)  # statuses that hold a place in line
LINE, CALLBACK = "line", "callback"  # on the phone, or waiting to be called back

# Offers.
PENDING, ACCEPTED, LAPSED, WITHDRAWN = "pending", "accepted", "lapsed", "withdrawn"

DISPOSITIONS = ("solved", "follow_up", "transferred")


class DeskAgent(Base):
    """An expert who takes routed calls in the web console (or a supervisor who watches)."""

    __tablename__ = "desk_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: Where accepted calls are dialled: a number, or empty for the browser phone in the
    #: console (``client:<username>`` in rows made before it; :mod:`expert_desk.phone`).
    phone: Mapped[str] = mapped_column(sa.String(64))
    is_supervisor: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=OFFLINE)
    break_reason: Mapped[str | None] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16), default=IDLE)
    state_since: Mapped[dt.datetime] = mapped_column(default=stamp)
    #: When the agent last became free for a call: the longest idle is offered first.
    idle_since: Mapped[dt.datetime] = mapped_column(default=stamp)
    wrap_up_until: Mapped[dt.datetime | None] = mapped_column()
    lapses_in_row: Mapped[int] = mapped_column(default=0)
    #: The desk call offered to, or handled by, the agent (no foreign key: the two tables
    #: would refer to each other).
    current_call_id: Mapped[int | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    #: Bumped to end every session of the agent (password change, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=stamp)

    skills: Mapped[list[DeskAgentSkill]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", order_by="DeskAgentSkill.skill"
    )

    @property
    def routable(self) -> bool:
        return self.status == AVAILABLE and self.state == IDLE

    def level(self, skill: str) -> int:
        return next((s.level for s in self.skills if s.skill == skill), 0)

    @classmethod
    def by_username(cls, username: str) -> sa.Select[tuple[DeskAgent]]:
        return sa.select(cls).where(cls.username == username)


class DeskLoginFailure(Base):
    """A refused console login, kept for a while: the per-address and global login
    throttles count these rows, so every app process sees the same counts."""

    __tablename__ = "desk_login_failures"
    __table_args__ = (sa.Index("ix_desk_login_failures_address", "address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    #: The client's address as the app sees it (``request.remote_addr``).
    address: Mapped[str] = mapped_column(sa.String(64))
    username: Mapped[str] = mapped_column(sa.String(64))


class DeskAgentSkill(Base):
    """A skill of an agent (a topic the desk routes on) and its level, 1 (basic) to 5."""

    __tablename__ = "desk_agent_skills"

    agent_id: Mapped[int] = mapped_column(
        sa.ForeignKey("desk_agents.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)
    level: Mapped[int] = mapped_column()

    agent: Mapped[DeskAgent] = relationship(back_populates="skills")


class DeskCall(Base):
    """One caller's visit to the desk: the question, the place in line, who answered.

    ``entered_at`` is the place in line: a callback keeps it, and so does a caller handed
    back to the queue when an offer lapses or an expert cannot be reached.
    """

    __tablename__ = "desk_calls"
    __table_args__ = (sa.Index("ix_desk_calls_line", "status", "skill", "priority", "entered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    call_sid: Mapped[str] = mapped_column(sa.String(64), index=True)
    caller_number: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(5))
    phone_model: Mapped[str | None] = mapped_column(sa.String(64))
    topic: Mapped[str] = mapped_column(sa.String(16))
    skill: Mapped[str] = mapped_column(sa.String(32))
    topic_source: Mapped[str] = mapped_column(sa.String(16), default="keys")
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    transcript_source: Mapped[str | None] = mapped_column(sa.String(16))
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    recording_s: Mapped[int | None] = mapped_column()
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default=ASKING)
    mode: Mapped[str] = mapped_column(sa.String(16), default=LINE)
    left_reason: Mapped[str | None] = mapped_column(sa.String(32))
    entered_at: Mapped[dt.datetime | None] = mapped_column()
    #: When the longest-wait clock starts, if not at ``entered_at``: a caller who chose to
    #: keep waiting keeps their place but is given a new longest wait.
    patience_from: Mapped[dt.datetime | None] = mapped_column()
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()
    announced_at: Mapped[dt.datetime | None] = mapped_column()
    announced_position: Mapped[int | None] = mapped_column()
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_agents.id"))
    accepted_at: Mapped[dt.datetime | None] = mapped_column()
    connected_at: Mapped[dt.datetime | None] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    talk_s: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=stamp)

    call: Mapped[Call] = relationship()
    agent: Mapped[DeskAgent | None] = relationship()
    callback: Mapped[DeskCallback | None] = relationship(back_populates="desk_call")
    wrapup: Mapped[DeskWrapup | None] = relationship(back_populates="desk_call")

    @property
    def in_line(self) -> bool:
        return self.status in IN_LINE

    def patience_s(self, now: dt.datetime) -> int:
        """Seconds waited since the longest-wait clock started."""
        start = self.patience_from or self.entered_at
        return 0 if start is None else max(0, int((now - start).total_seconds()))

    def waited_s(self, now: dt.datetime) -> int:
        return (
            0 if self.entered_at is None else max(0, int((now - self.entered_at).total_seconds()))
        )


class DeskOffer(Base):
    """A call offered to one agent, who has until ``expires_at`` to accept it.

    Two partial unique indexes make a second pending offer for the same caller, or to the
    same agent, impossible whatever the number of app processes.
    """

    __tablename__ = "desk_offers"
    __table_args__ = (
        sa.Index(
            "uq_desk_offers_pending_call",
            "desk_call_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index(
            "uq_desk_offers_pending_agent",
            "agent_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_call_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_calls.id"), index=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_agents.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    offered_at: Mapped[dt.datetime] = mapped_column()
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()

    desk_call: Mapped[DeskCall] = relationship()
    agent: Mapped[DeskAgent] = relationship()


class DeskCallback(Base):
    """A caller who asked to be called back instead of holding; the desk call keeps its place."""

    __tablename__ = "desk_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_call_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_calls.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(32))
    requested_at: Mapped[dt.datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    outbound_sid: Mapped[str | None] = mapped_column(sa.String(64))

    desk_call: Mapped[DeskCall] = relationship(back_populates="callback")


class DeskWrapup(Base):
    """The agent's notes and disposition after the call, and the SMS the caller was sent."""

    __tablename__ = "desk_wrapups"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_call_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_calls.id"), unique=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_agents.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    disposition: Mapped[str] = mapped_column(sa.String(16))
    sms_body: Mapped[str | None] = mapped_column(sa.Text)
    saved_at: Mapped[dt.datetime] = mapped_column()

    desk_call: Mapped[DeskCall] = relationship(back_populates="wrapup")


class DeskEvent(Base):
    """The append-only queue event log: what happened to callers and agents, and when.

    Kinds: entered, offered, answered, no_answer, abandoned, callback_requested,
    callback_failed, left, connected, agent_unreachable, returned, completed, wrapup_ended,
    disposition, agent_status. Rows are never updated or deleted (the migration adds
    database triggers that refuse it); every report and metric is computed from them.
    """

    __tablename__ = "desk_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    desk_call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_calls.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_agents.id"), index=True)
    skill: Mapped[str | None] = mapped_column(sa.String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


@event.listens_for(DeskEvent, "before_update")
@event.listens_for(DeskEvent, "before_delete")
def _append_only(*_: Any) -> None:
    raise RuntimeError("desk_events is append-only")
