"""Writing to the SMS outbox: which number a message type is sent from, how many segments it
takes, when it may go (quiet hours), and whether it may go at all (ports, opt-outs, and
real-name registration: a line without it gets no reminder or industry-port SMS).

Every message is written in the same transaction as what it reports; the worker sends it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr import numbers
from ivr.clock import SERVICE_TZ
from ivr.logs import log_event
from ivr.models import Call
from sms_followup import ports
from sms_followup.models import OutboxMessage, OutboxStatus, StatusEvent
from sms_followup.settings import SmsSettings
from sms_followup.templates import segments

logger = logging.getLogger("sms_followup.outbox")


class Category(StrEnum):
    """What a message is, which decides who may stop it and when it may go."""

    SERVICE = "service"  # asked for or owed: summaries, confirmations, deduction notices
    REMINDER = "reminder"  # proactive: stopped by opting out of the sender, quiet at night
    # (REMINDER and INDUSTRY are also refused to a line without real-name registration)
    COST_WARNING = "warning"  # money is running: goes day and night, even to opted-out numbers
    INDUSTRY = "industry"  # from an industry port: stopped by 0000 and by closing the port


def category(kind: str) -> Category:
    """``reminder.data_low`` → REMINDER, ``warning.roaming`` → COST_WARNING, ..."""
    head = kind.split(".", 1)[0]
    try:
        return Category(head)
    except ValueError:
        return Category.SERVICE


def sender_numbers(settings: SmsSettings) -> dict[str, str]:
    """``SMS_FROM_NUMBERS="reminder=1001088,warning.maritime=10010"`` as a mapping."""
    mapping = {}
    for item in settings.sms_from_numbers.split(","):
        kind, _, number = item.partition("=")
        if kind.strip() and number.strip():
            mapping[kind.strip()] = number.strip()
    return mapping


def sender_for(kind: str, settings: SmsSettings) -> str:
    """The number a message type is sent from: its own entry, its category's, or the default."""
    mapping = sender_numbers(settings)
    return mapping.get(kind) or mapping.get(kind.split(".", 1)[0]) or settings.sms_from_number


# How long a message is worth sending: a temporary password for minutes, a call summary for
# a few hours, a reminder or cost warning until its day ends in Shanghai, anything else a day.
TIME_TO_LIVE = {
    "password": dt.timedelta(minutes=15),
    "call_summary": dt.timedelta(hours=4),
}
DEFAULT_TIME_TO_LIVE = dt.timedelta(hours=24)
_UNTIL_DAY_ENDS = (Category.REMINDER, Category.COST_WARNING)


def expires_at(kind: str, created_at: dt.datetime, settings: SmsSettings) -> dt.datetime:
    """Naive UTC after which the worker stops retrying a message of *kind* written at
    *created_at* and dead-letters it (``expired``)."""
    head = kind.split(".", 1)[0].split("_", 1)[0]
    if kind in TIME_TO_LIVE or head in TIME_TO_LIVE:
        return created_at + TIME_TO_LIVE.get(kind, TIME_TO_LIVE.get(head, DEFAULT_TIME_TO_LIVE))
    if category(kind) in _UNTIL_DAY_ENDS:
        due = quiet_until(created_at, settings) or created_at  # a quiet night: its morning
        local = due.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ)
        day_ends = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), SERVICE_TZ)
        return day_ends.astimezone(dt.UTC).replace(tzinfo=None)
    return created_at + DEFAULT_TIME_TO_LIVE


def quiet_until(now: dt.datetime, settings: SmsSettings) -> dt.datetime | None:
    """If naive-UTC ``now`` falls in the quiet hours (Shanghai time), when they end (naive
    UTC); otherwise None."""
    if not settings.sms_quiet_hours:
        return None
    start_text, end_text = settings.sms_quiet_hours.split("-")
    start, end = (dt.time.fromisoformat(t) for t in (start_text, end_text))
    local = now.replace(tzinfo=dt.UTC).astimezone(SERVICE_TZ)
    clock = local.time().replace(tzinfo=None)
    overnight = start > end
    quiet = (clock >= start or clock < end) if overnight else start <= clock < end
    if not quiet:
        return None
    end_day = local.date() + dt.timedelta(days=1) if overnight and clock >= start else local.date()
    ends = dt.datetime.combine(end_day, end, tzinfo=SERVICE_TZ)
    return ends.astimezone(dt.UTC).replace(tzinfo=None)


def enqueue(
    session: Session,
    settings: SmsSettings,
    *,
    kind: str,
    to: str,
    body: str,
    language: str,
    now: dt.datetime,
    port: str | None = None,
    due: dt.datetime | None = None,
    held_for: Call | None = None,
) -> OutboxMessage:
    """Write one SMS to the outbox at *now*, or a ``refused`` row saying why it may not go.

    It may go from *due* on (quiet hours, a later day), or at once; a call's summary is
    *held_for* until that call ends (:func:`release_held`)."""
    with contextlib.suppress(numbers.InvalidNumber):
        to = numbers.normalize(to)  # opt-outs are kept by national number
    group = Category.INDUSTRY if port else category(kind)
    from_number = port or sender_for(kind, settings)
    message = OutboxMessage(
        kind=kind,
        to_number=to,
        from_number=from_number,
        language=language,
        body=body,
        port=port,
        segments=segments(body),
        status=OutboxStatus.PENDING if held_for is None else OutboxStatus.HELD,
        call=held_for,
        next_attempt_at=due or now,
    )
    reason = None
    if group in (Category.INDUSTRY, Category.REMINDER):
        reason = ports.refusal(session, to, from_number, port)
    if reason is not None:
        message.status, message.refused_reason = OutboxStatus.REFUSED, reason
    session.add(message)
    session.flush()
    record(session, message.id, message.status, detail=reason)
    if port is not None:
        ports.ensure_port(session, port)
        if reason is not None:
            ports.count(session, port, "refused")
    if reason is not None:
        log_event(
            logger,
            "sms.refused",
            logging.WARNING,
            outbox_id=message.id,
            kind=kind,
            to=to,
            sender=from_number,
            reason=reason,
        )
    return message


def release_held(session: Session, call_id: int, now: dt.datetime, *, detach: bool = False) -> None:
    """The call is over (or its summary must go as it is): its held message is due at *now*;
    *detach* unties it from the call, so that what the call queries next makes another."""
    held = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.call_id == call_id, OutboxMessage.status == OutboxStatus.HELD)
        .with_for_update()
    ).all()
    for message in held:
        message.status, message.next_attempt_at = OutboxStatus.PENDING, now
        if detach:
            message.call_id = None
        record(session, message.id, OutboxStatus.PENDING, source="call", detail="call ended")


def record(
    session: Session,
    outbox_id: int | None,
    status: str,
    *,
    source: str = "worker",
    sid: str | None = None,
    error_code: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one step to a message's history, at once (it is never read back as an
    object: a plain INSERT spares the unit of work a flush on every webhook that holds a
    call's summary)."""
    session.connection().execute(
        sa.insert(StatusEvent),
        {
            "outbox_id": outbox_id,
            "message_sid": sid,
            "status": status,
            "error_code": error_code,
            "source": source,
            "detail": detail[:2000] if detail else None,
        },
    )
