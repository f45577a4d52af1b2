"""Sending paused: a problem of the account or of the provider, not of any one message.

Two causes, each tried again (*probed*, with the next message due) every so often:

* **the account** (:data:`ACCOUNT`): Twilio refuses the credentials (401, 20003) or the
  sender (21606, 21212, 21659, 21660, 21701, 21611): an operator has to fix the
  configuration, so the worker probes every :data:`ACCOUNT_PROBE_EVERY`;
* **the provider** (:data:`PROVIDER`): Twilio cannot be reached or answers 5xx; it comes
  back by itself, so the worker probes every :data:`PROVIDER_PROBE_EVERY`, and every waiting
  message goes as soon as a probe is accepted.

No message is at fault, so none is dead-lettered for it (a message whose time to live ends
meanwhile expires). The worker puts them back, records the pause in the delivery history (an
event with no message), and logs ``sms.sending_paused`` with what to fix; the first message
accepted afterwards records ``resumed``. The pause lives in the database, so every worker and
the web processes see it: :func:`health` is what ``/healthz`` and ``ivr sms outbox`` show. A
worker that starts probes at once rather than wait out a pause recorded before it: a fixed
configuration and a restart deliver right away.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Final, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ivr.logs import log_event
from sms_followup.models import StatusEvent

logger = logging.getLogger("sms_followup.pause")

Cause = Literal["account", "provider"]
ACCOUNT: Final = "account"
PROVIDER: Final = "provider"
ACCOUNT_PROBE_EVERY = dt.timedelta(seconds=60)
PROVIDER_PROBE_EVERY = dt.timedelta(seconds=15)
PROBE_EVERY: dict[Cause, dt.timedelta] = {
    ACCOUNT: ACCOUNT_PROBE_EVERY,
    PROVIDER: PROVIDER_PROBE_EVERY,
}
# The history's events for each cause (an account pause has always been "paused").
PAUSED, OUTAGE, RESUMED = "paused", "outage", "resumed"
_EVENT: dict[Cause, str] = {ACCOUNT: PAUSED, PROVIDER: OUTAGE}
_CAUSE: dict[str, Cause] = {PAUSED: ACCOUNT, OUTAGE: PROVIDER}


@dataclass(frozen=True)
class Paused:
    since: dt.datetime  # the first failure of this pause
    until: dt.datetime  # the next probe
    reason: str  # what to fix, and Twilio's answer
    cause: Cause


def sending_paused(session: Session) -> Paused | None:
    """The pause in force (pause events not followed by a resume), or None."""
    pauses = (StatusEvent.outbox_id.is_(None), StatusEvent.status.in_(tuple(_CAUSE)))
    latest = session.scalar(
        sa.select(StatusEvent)
        .where(StatusEvent.outbox_id.is_(None), StatusEvent.status.in_((*_CAUSE, RESUMED)))
        .order_by(StatusEvent.at.desc(), StatusEvent.id.desc())
        .limit(1)
    )
    if latest is None or latest.status == RESUMED:
        return None
    resumed = session.scalar(
        sa.select(sa.func.max(StatusEvent.at)).where(
            StatusEvent.outbox_id.is_(None), StatusEvent.status == RESUMED
        )
    )
    started = sa.select(sa.func.min(StatusEvent.at)).where(*pauses)
    since = session.scalar(started.where(StatusEvent.at > resumed) if resumed else started)
    cause = _CAUSE[latest.status]
    return Paused(since or latest.at, latest.at + PROBE_EVERY[cause], latest.detail or "", cause)


def pause(
    session: Session, now: dt.datetime, cause: Cause, reason: str, fix: str = ""
) -> dt.datetime:
    """Record the pause (or a failed probe) at *now*, with what Twilio answered (*reason*)
    and what the operator should do (*fix*); when the next probe is due."""
    before = sending_paused(session)
    detail = f"{fix}; Twilio: {reason}" if fix else reason
    session.add(
        StatusEvent(
            outbox_id=None, status=_EVENT[cause], source="worker", detail=detail[:2000], at=now
        )
    )
    every = PROBE_EVERY[cause]
    started = before is None or before.cause != cause
    log_event(
        logger,
        "sms.sending_paused" if started else "sms.still_paused",
        logging.ERROR if started else logging.WARNING,
        cause=cause,
        fix=fix or None,
        reason=reason,
        since=None if started or before is None else before.since.isoformat(),
        retry_in_s=every.total_seconds(),
    )
    return now + every


def resume(session: Session, now: dt.datetime) -> None:
    """Sending works again (a message was accepted): end a pause in force."""
    paused = sending_paused(session)
    if paused is None:
        return
    session.add(StatusEvent(outbox_id=None, status=RESUMED, source="worker", at=now))
    log_event(
        logger,
        "sms.sending_resumed",
        cause=paused.cause,
        paused_s=round((now - paused.since).total_seconds(), 1),
    )


def health(session: Session) -> str | None:
    """For ``/healthz`` and ``ivr sms outbox``: why sending is paused, since and until when,
    or None."""
    paused = sending_paused(session)
    if paused is None:
        return None
    return (
        f"paused since {paused.since:%Y-%m-%d %H:%M:%S} UTC, "
        f"next try {paused.until:%H:%M:%S}: {paused.reason}"
    )
