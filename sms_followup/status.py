"""Message status callbacks (``/sms/status``): history, replay protection, no going back.

Twilio reports ``queued → sending → sent → delivered`` (or ``undelivered`` / ``failed``),
possibly out of order and possibly more than once. Each distinct callback is kept once in
the message's history; the outbox row only ever moves forward. A callback can even come
before the worker has saved the SID it belongs to: it is kept, and applied when the SID is.

A callback can also be lost (Twilio retries only what the URL's connection overrides ask,
and for 15 s at most): :func:`backstop` reads the status of a message left ``sent`` back
from the provider and applies it as the callback would have been.

``partially_delivered`` (a message of several parts, some of which did not arrive) is final
and recorded as ``undelivered``: the recipient may hold only part of the text, and the
message is not sent again either way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr.db import transaction
from ivr.logs import log_event
from sms_followup import ports
from sms_followup.models import OutboxMessage, OutboxStatus, StatusEvent
from sms_followup.senders import UNSUBSCRIBED_RECIPIENT, ProviderStatus, TransientSendError

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
    "partially_delivered": 3,
    "failed": 3,
    "canceled": 3,
    "read": 4,
}
PROVIDER_STATUSES = frozenset(RANK) | {"receiving", "received"}
FINAL = frozenset({"delivered", "undelivered", "partially_delivered", "failed", "canceled", "read"})
# What the outbox records for each status the provider reports past ``sent``.
OUTBOX_STATUS = {
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.UNDELIVERED,
    "partially_delivered": OutboxStatus.UNDELIVERED,
    "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}
CATCH_UP_WINDOW = dt.timedelta(days=2)
BACKSTOP_BATCH = 100  # the most messages one run of the backstop asks about (one request each)


def lock_sid(session: Session, sid: str) -> None:
    """Serialise, per SID, a status callback with the worker's commit of that SID, so one of
    them always sees the other (PostgreSQL; SQLite writers are serialised anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:sid, 0))"), {"sid": sid}
        )


def apply_callback(
    session: Session, sid: str, status: str, error_code: str | None, source: str = "callback"
) -> str:
    """Record one status callback (*source* ``fetched`` when the backstop read it back);
    ``applied``, ``kept`` (no forward move, or SID not known yet) or ``replay`` (seen
    before: nothing changes)."""
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
        source=source,
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
    row.status = OUTBOX_STATUS.get(status, OutboxStatus.SENT)
    if error_code:
        row.error_code = error_code
    if status in ("undelivered", "partially_delivered", "failed"):
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


def backstop(
    sessions: sessionmaker[Session],
    now: dt.datetime,
    read: Callable[[str], ProviderStatus | None],
    after: dt.timedelta,
) -> int:
    """Ask the provider (*read*) about messages left ``sent`` for *after* or longer, and
    apply what it reports as its status callback would have been (:func:`apply_callback`).
    A message is asked about again only once it has gone unchanged for half its age
    (10 min, 20 min, 40 min ... with the default): a carrier that never reports delivery
    costs a few requests, not one a minute. Stops at the first request the provider cannot
    answer (it is tried again at the next run); how many statuses it applied."""
    with sessions() as session:
        rows = session.execute(
            sa.select(
                OutboxMessage.id,
                OutboxMessage.provider_sid,
                OutboxMessage.sent_at,
                OutboxMessage.updated_at,
            )
            .where(
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.provider_sid.is_not(None),
                OutboxMessage.sent_at >= now - CATCH_UP_WINDOW,
                OutboxMessage.updated_at <= now - after,
            )
            .order_by(OutboxMessage.updated_at)
        ).all()
    # Half its age, in Python: SQLite and PostgreSQL subtract times differently.
    due = [(i, sid) for i, sid, sent, changed in rows if now - changed >= (now - sent) / 2]
    applied = 0
    for outbox_id, sid in due[:BACKSTOP_BATCH]:
        try:
            reported = read(sid)
        except TransientSendError as error:
            log_event(logger, "sms.status_backstop_failed", logging.WARNING, error=str(error))
            break
        with transaction(sessions) as session:
            result = (
                apply_callback(session, sid, reported.status, reported.error_code, "fetched")
                if reported is not None
                else "unknown to the provider"
            )
            row = session.get_one(OutboxMessage, outbox_id)
            if row.status == OutboxStatus.SENT:
                row.updated_at = now  # asked: not again before half its age has passed
        log_event(
            logger,
            "sms.status_backstop",
            logging.INFO if reported is not None else logging.WARNING,
            outbox_id=outbox_id,
            message_sid=sid,
            status=reported.status if reported is not None else None,
            result=result,
        )
        if result == "applied":
            applied += 1
    return applied
