"""Tables of the SMS side: the outbox and the local handset, delivery history, opt-outs and
industry ports, spam reports, value-added-service orders, reminders sent, roaming days and
imported usage events.

Timestamps are naive UTC (``ivr.clock.Clock``); days and months are Asia/Shanghai ones.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ivr.clock import stamp
from ivr.db import Base, enum_text
from ivr.models import Call
from sms_followup.templates import segments


class OutboxStatus(StrEnum):
    """Where an outbox message is in its life, in order."""

    HELD = "held"  # its call is still going on
    PENDING = "pending"  # due for delivery from next_attempt_at on
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider's status callbacks from here on
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    DEAD = "dead"  # after the last failed attempt (``ivr sms retry`` gives it more)
    REFUSED = "refused"  # its industry port is closed, or the recipient unsubscribed


class OutboxMessage(Base):
    """An SMS to send, written in the same transaction as what it reports (its life:
    :class:`OutboxStatus`; ``refused_reason`` says why a refused one may not go)."""

    __tablename__ = "sms_outbox"
    __table_args__ = (sa.Index("ix_sms_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    to_number: Mapped[str] = mapped_column(sa.String(32))
    from_number: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(5))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_text(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    updated_at: Mapped[dt.datetime] = mapped_column(default=stamp, onupdate=stamp)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    port: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    refused_reason: Mapped[str | None] = mapped_column(sa.String(32))
    segments: Mapped[int] = mapped_column(default=1, server_default="1")
    error_code: Mapped[str | None] = mapped_column(sa.String(8))
    # Set when an attempt may have reached the provider without its SID being recorded.
    outcome_unknown_since: Mapped[dt.datetime | None] = mapped_column()

    # The call a summary is held for: set as an object, a new call and its summary are
    # inserted in one flush.
    call: Mapped[Call | None] = relationship()


class LocalDelivery(Base):
    """The local SMS sender's handset: what would have reached the phone."""

    __tablename__ = "sms_local_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    to_number: Mapped[str] = mapped_column(sa.String(32), index=True)
    from_number: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class StatusEvent(Base):
    """One step in an outbox message's life: worker attempts and provider status callbacks.

    A callback is keyed by ``callback_key`` (SID, status, error code): a replayed callback
    finds its key taken and changes nothing.
    """

    __tablename__ = "sms_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sms_outbox.id"), index=True)
    message_sid: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    error_code: Mapped[str | None] = mapped_column(sa.String(8))
    source: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    callback_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=stamp)

    @classmethod
    def history(cls, outbox_id: int, sid: str | None) -> sa.Select[tuple[StatusEvent]]:
        """Every event of one message, including callbacks that came before its SID was saved."""
        match = cls.outbox_id == outbox_id
        if sid:
            match = sa.or_(match, cls.message_sid == sid)
        return sa.select(cls).where(match).order_by(cls.at, cls.id)


class InboundSms(Base):
    """Every SMS a handset sent the service, once (keyed by MessageSid), and what it did."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    from_number: Mapped[str] = mapped_column(sa.String(32), index=True)
    to_number: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.String(24))
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class OptOut(Base):
    """A handset that must not get (non-essential) SMS from ``sender`` any more."""

    __tablename__ = "sms_opt_outs"
    __table_args__ = (sa.UniqueConstraint("msisdn", "sender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(sa.String(32))
    sender: Mapped[str] = mapped_column(sa.String(32))
    keyword: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class Port(Base):
    """An industry SMS port (``10655021...``): its counters and whether it may send."""

    __tablename__ = "sms_ports"

    port: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="open")
    sent: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    rejections: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(sa.String(200))

    @property
    def rejection_rate(self) -> float:
        """Unsubscribes (``0000``/``TD``) per message the port got through, as a fraction."""
        return self.rejections / self.sent if self.sent else float(self.rejections > 0)


class SpamReport(Base):
    """``举报 <number>``: a subscriber reports a spam sender, for review."""

    __tablename__ = "sms_spam_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter: Mapped[str] = mapped_column(sa.String(32))
    reported_number: Mapped[str] = mapped_column(sa.String(32), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    message_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="new")
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class VasOrder(Base):
    """A value-added-service order: ``pending`` until the subscriber confirms by SMS
    (``active``), or ``expired`` / ``declined``; ``cancelled`` when unsubscribed."""

    __tablename__ = "vas_orders"
    __table_args__ = (sa.Index("ix_vas_orders_subscriber_status", "subscriber_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"))
    product_code: Mapped[str] = mapped_column(sa.String(16))
    monthly_fee_fen: Mapped[int] = mapped_column(sa.BigInteger)
    channel: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    requested_at: Mapped[dt.datetime] = mapped_column(default=stamp)
    expires_at: Mapped[dt.datetime] = mapped_column()
    confirmed_at: Mapped[dt.datetime | None] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()


class VasCharge(Base):
    """One month's subscription fee taken for an order (once per order and month)."""

    __tablename__ = "vas_charges"
    __table_args__ = (sa.UniqueConstraint("order_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("vas_orders.id"))
    period: Mapped[str] = mapped_column(sa.String(7))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sms_outbox.id"))
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class ReminderLog(Base):
    """A reminder decided: at most one per subscriber, kind, threshold and period."""

    __tablename__ = "sms_reminder_log"
    __table_args__ = (sa.UniqueConstraint("subscriber_id", "kind", "threshold", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    threshold: Mapped[str] = mapped_column(sa.String(16))
    period: Mapped[str] = mapped_column(sa.String(10))
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sms_outbox.id"))
    at: Mapped[dt.datetime] = mapped_column(default=stamp)


class RoamingDay(Base):
    """International roaming on one (Shanghai) day: data used abroad, the network last seen."""

    __tablename__ = "roaming_days"
    __table_args__ = (sa.UniqueConstraint("subscriber_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"))
    day: Mapped[dt.date] = mapped_column(sa.Date)
    data_kb: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    country: Mapped[str | None] = mapped_column(sa.String(32))
    network: Mapped[str | None] = mapped_column(sa.String(64))
    maritime: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=stamp, onupdate=stamp)


class UsageEvent(Base):
    """One imported usage record (``ivr usage ingest``); ``event_id`` makes re-imports safe."""

    __tablename__ = "usage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("subscribers.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    country: Mapped[str | None] = mapped_column(sa.String(32))
    network: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    ingested_at: Mapped[dt.datetime] = mapped_column(default=stamp)


@sa.event.listens_for(OutboxMessage, "before_insert")
@sa.event.listens_for(OutboxMessage, "before_update")
def _count_segments(_mapper: Any, _connection: Any, message: OutboxMessage) -> None:
    """Every outbound message, whoever writes it, knows how many SMS segments it takes."""
    message.segments = segments(message.body or "")
