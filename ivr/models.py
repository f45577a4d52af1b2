"""The engine's data model: subscribers, their accounts, usage counters and bills, and calls
with their events and what was queried in them. (The SMS outbox is ``sms_followup.models``.)

Money is integer fen. Data volumes are integer KB, voice in minutes, SMS in messages.
Timestamps are naive UTC (the same on SQLite and PostgreSQL); the service's local time
zone (Asia/Shanghai) is applied only when speaking or writing dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.clock import stamp
from ivr.db import Base

__all__ = [
    "Account",
    "Bill",
    "BillItem",
    "Call",
    "CallEvent",
    "CallQuery",
    "Subscriber",
    "UsageCounter",
]


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    language: Mapped[str] = mapped_column(sa.String(5), default="zh-CN")
    plan: Mapped[str] = mapped_column(sa.String(64), default="")
    device_type: Mapped[str] = mapped_column(sa.String(16), default="phone")
    phone_model: Mapped[str | None] = mapped_column(sa.String(64))
    line_status: Mapped[str] = mapped_column(sa.String(24), default="active")
    # Real-name registration (实名制) done; a line without it is told to register at a
    # business hall and gets no marketing or reminder SMS.
    real_name_verified: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # International roaming: switched on or off by the caller (services menu, key 3), and the
    # trip they told us about: destination (ISO code), by sea or not, since when (naive UTC).
    roaming_on: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    roaming_destination: Mapped[str | None] = mapped_column(sa.String(8))
    roaming_by_sea: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    roaming_since: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=stamp)

    account: Mapped[Account] = relationship(back_populates="subscriber", uselist=False)
    usage: Mapped[list[UsageCounter]] = relationship(back_populates="subscriber")
    bills: Mapped[list[Bill]] = relationship(
        back_populates="subscriber", order_by="Bill.period.desc()"
    )

    @classmethod
    def by_msisdn(cls, msisdn: str) -> sa.Select[tuple[Subscriber]]:
        return sa.select(cls).where(cls.msisdn == msisdn)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), unique=True)
    balance_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    month_charges_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=stamp, onupdate=stamp)

    subscriber: Mapped[Subscriber] = relationship(back_populates="account")


class UsageCounter(Base):
    """One package allowance in one month: data (KB), voice (minutes) or sms (messages)."""

    __tablename__ = "usage_counters"
    __table_args__ = (sa.UniqueConstraint("subscriber_id", "period", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    kind: Mapped[str] = mapped_column(sa.String(8))
    quota: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    used: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    subscriber: Mapped[Subscriber] = relationship(back_populates="usage")


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (sa.UniqueConstraint("subscriber_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)

    subscriber: Mapped[Subscriber] = relationship(back_populates="bills")
    items: Mapped[list[BillItem]] = relationship(back_populates="bill", order_by="BillItem.id")


class BillItem(Base):
    __tablename__ = "bill_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("bills.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(24))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    bill: Mapped[Bill] = relationship(back_populates="items")


class Call(Base):
    """One phone call, keyed by Twilio's CallSid; its current flow state lives here."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    from_number: Mapped[str] = mapped_column(sa.String(32))
    to_number: Mapped[str] = mapped_column(sa.String(32))
    entry: Mapped[str] = mapped_column(sa.String(16))
    subscriber_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscribers.id"))
    language: Mapped[str] = mapped_column(sa.String(5))
    state: Mapped[str] = mapped_column(sa.String(32))
    strikes: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="in-progress")
    started_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=stamp, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    duration_s: Mapped[int | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(sa.String(32))

    subscriber: Mapped[Subscriber | None] = relationship()
    # Read only: events are written in one INSERT per step (``ivr.flow.CallContext.event``),
    # and a relationship the unit of work need not follow makes every flush cheaper.
    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", viewonly=True
    )
    queries: Mapped[list[CallQuery]] = relationship(back_populates="call", order_by="CallQuery.id")

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @classmethod
    def by_sid(cls, call_sid: str) -> sa.Select[tuple[Call]]:
        return sa.select(cls).where(cls.call_sid == call_sid)


class CallEvent(Base):
    """Append-only record of every step of a call; never holds secrets."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=stamp)
    kind: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str | None] = mapped_column(sa.String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    call: Mapped[Call] = relationship(back_populates="events", viewonly=True)


class CallQuery(Base):
    """What a caller heard from one service in one call: the facts behind the SMS summary."""

    __tablename__ = "call_queries"
    __table_args__ = (sa.UniqueConstraint("call_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id"), index=True)
    service: Mapped[str] = mapped_column(sa.String(16))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[dt.datetime] = mapped_column(default=stamp)

    call: Mapped[Call] = relationship(back_populates="queries")
