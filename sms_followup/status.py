"""Message status callbacks (``/sms/status``): history, replay protection, no going back.

Twilio reports ``queued → sending → sent → delivered`` (or ``undelivered`` / ``failed``),
possibly out of order and possibly more than once. Each distinct callback is kept once in
the message's history; the outbox row only ever moves forward. A callback can even come
before the worker has saved the SID it belongs to: it is kept, and applied when the SID is.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.logs import log_event
from sms_followup import ports
from sms_followup.models import OutboxMessage, OutboxStatus, StatusEvent
from sms_followup.senders import UNSUBSCRIBED_RECIPIENT

logger = logging.getLogger("sms_followup.status")

# How far along a message is; the outbox takes a reported status only if it is further.
RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}
PROVIDER_STATUSES = frozenset(RANK) | {"receiving", "received"}
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
CATCH_UP_WINDOW = dt.timedelta(days=2)


def lock_sid(session: Session, sid: str) -> None:
    """Serialise, per SID, a status callback with the worker's commit of that SID, so one of
    them always sees the other (PostgreSQL; SQLite writers are serialised anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:sid, 0))"), {"sid": sid}
        )


def apply_callback(session: Session, sid: str, status: str, error_code: str | None) -> str:
    """Record one status callback; ``applied``, ``kept`` (no forward move, or SID not known
    yet) or ``replay`` (seen before: nothing changes)."""
    lock_sid(session, sid)
    row = session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.provider_sid == sid).with_for_update()
    )
    new = ports.insert_ignoring_duplicates(
        session,
        StatusEvent,
        outbox_id=row.id if row else None,
        message_sid=sid,
        status=status,
        error_code=error_code,
        source="callback",
        callback_key=f"{sid}:{status}:{error_code or ''}"[:100],
    )
    if not new:
        return "replay"
    if row is None or not advance(session, row, status, error_code):
        return "kept"
    return "applied"


def advance(session: Session, row: OutboxMessage, status: str, error_code: str | None) -> bool:
    """Move a sent message to a later status; never backwards, never twice."""
    if row.provider_sid is None or RANK.get(status, 0) <= RANK.get(row.status, 0):
        return False
    row.status = OutboxStatus(status)
    if error_code:
        row.error_code = error_code
    if status in ("undelivered", "failed"):
        log_event(
            logger,
            f"sms.{status}",
            logging.WARNING,
            outbox_id=row.id,
            message_sid=row.provider_sid,
            error_code=error_code,
        )
        if error_code == str(UNSUBSCRIBED_RECIPIENT):
            ports.opt_out(session, row.to_number, row.port or row.from_number, "provider-21610")
    return True


def catch_up(session: Session, row: OutboxMessage) -> None:
    """Apply callbacks that arrived before ``row``'s SID was saved."""
    if row.provider_sid is None:
        return
    session.execute(
        sa.update(StatusEvent)
        .where(StatusEvent.message_sid == row.provider_sid, StatusEvent.outbox_id.is_(None))
        .values(outbox_id=row.id)
    )
    events = session.execute(
        sa.select(StatusEvent.status, StatusEvent.error_code).where(
            StatusEvent.message_sid == row.provider_sid, StatusEvent.source == "callback"
        )
    ).all()
    for status, error_code in sorted(events, key=lambda e: RANK.get(e[0], 0)):
        advance(session, row, status, error_code)


def catch_up_all(session: Session, now: dt.datetime) -> int:
    """Backstop for a callback and a SID committed at the same moment (PostgreSQL): sent
    messages of the last days whose history already holds a final status."""
    rows = session.scalars(
        sa.select(OutboxMessage)
        .join(StatusEvent, StatusEvent.message_sid == OutboxMessage.provider_sid)
        .where(
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at >= now - CATCH_UP_WINDOW,
            StatusEvent.source == "callback",
            StatusEvent.status.in_(FINAL),
        )
        .with_for_update(of=OutboxMessage, skip_locked=True)
    ).all()
    for row in set(rows):
        catch_up(session, row)
    return len(set(rows))
