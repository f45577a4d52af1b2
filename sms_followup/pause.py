"""Sending paused: the provider refused the account's credentials (HTTP 401, Twilio 20003).

No message is at fault then, so none is dead-lettered: the worker puts them back, records the
pause in the delivery history (an event with no message), logs ``sms.sending_paused`` and
tries again after :data:`AUTH_PAUSE`. The first message accepted afterwards records
``resumed``. The pause lives in the database, so every worker and the web processes see it:
:func:`sending_paused` is what ``/healthz`` and ``/metrics`` can report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.logs import log_event
from sms_followup.models import StatusEvent

logger = logging.getLogger("sms_followup.pause")

AUTH_PAUSE = dt.timedelta(seconds=60)
PAUSED, RESUMED = "paused", "resumed"


@dataclass(frozen=True)
class Paused:
    since: dt.datetime
    until: dt.datetime  # the next attempt, when credentials may have been fixed
    reason: str


def sending_paused(session: Session) -> Paused | None:
    """The pause in force (the latest pause not followed by a resume), or None."""
    latest = session.scalar(
        sa.select(StatusEvent)
        .where(StatusEvent.outbox_id.is_(None), StatusEvent.status.in_((PAUSED, RESUMED)))
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    )
    if latest is None or latest.status != PAUSED:
        return None
    return Paused(latest.at, latest.at + AUTH_PAUSE, latest.detail or "")


def pause(session: Session, now: dt.datetime, reason: str) -> dt.datetime:
    """Record (or renew) the pause at *now*; when sending may be tried again."""
    session.add(
        StatusEvent(outbox_id=None, status=PAUSED, source="worker", detail=reason[:2000], at=now)
    )
    log_event(
        logger,
        "sms.sending_paused",
        logging.ERROR,
        reason=reason,
        retry_in_s=AUTH_PAUSE.total_seconds(),
        hint="check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN",
    )
    return now + AUTH_PAUSE


def resume(session: Session, now: dt.datetime) -> None:
    """Sending works again (a message was accepted): end a pause in force."""
    if sending_paused(session) is None:
        return
    session.add(StatusEvent(outbox_id=None, status=RESUMED, source="worker", at=now))
    log_event(logger, "sms.sending_resumed")


def health(session: Session) -> str | None:
    """For ``/healthz``: why sending is paused and until when, or None."""
    paused = sending_paused(session)
    if paused is None:
        return None
    return (
        f"paused since {paused.since:%Y-%m-%d %H:%M} UTC, "
        f"next try {paused.until:%H:%M}: {paused.reason}"
    )
