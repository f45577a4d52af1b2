"""The outbox worker: claims due messages, sends them, records the outcome.

Claiming and recording are separate short transactions around the send, so a worker that
dies mid-send leaves the message ``sending``; after ``LEASE`` it is due again. The only
window for a duplicate is between the provider accepting a message and the commit that
records its SID, which is kept to one UPDATE.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import Settings
from ivr.db import transaction
from ivr.engine import sweep_stale_calls
from ivr.logs import log_event
from ivr.models import OutboxMessage, utcnow
from sms_followup.senders import OutgoingSms, PermanentSendError, Sender, TransientSendError

logger = logging.getLogger("sms_followup.worker")

LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 6
BASE_BACKOFF_S = 5.0
MAX_BACKOFF_S = 600.0


@dataclass(frozen=True)
class Pass:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    swept_calls: int = 0


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: up to 5 s, 10 s, 20 s ... capped at 10 min."""
    return rng.uniform(0, min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** (attempt - 1)))


class OutboxWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        settings: Settings,
        batch: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = sessions
        self._sender = sender
        self._settings = settings
        self._batch = batch
        self._rng = rng or random.Random()

    def run_once(self) -> Pass:
        """Sweep calls whose end we never heard of, then send everything due now."""
        swept = sweep_stale_calls(self._sessions, self._settings)
        self._reclaim_expired_leases()
        sent = retried = dead = 0
        while claimed := self._claim():
            for sms in claimed:
                outcome = self._deliver(sms)
                sent += outcome == "sent"
                retried += outcome == "retry"
                dead += outcome == "dead"
        return Pass(sent, retried, dead, swept)

    def run_forever(self, idle_sleep_s: float = 1.0) -> None:
        while True:
            if self.run_once() == Pass():
                time.sleep(idle_sleep_s)

    def _claim(self) -> list[OutgoingSms]:
        now = utcnow()
        with transaction(self._sessions) as session:
            rows = session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self._batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
            return [OutgoingSms(r.id, r.to_number, r.from_number, r.body) for r in rows]

    def _deliver(self, sms: OutgoingSms) -> str:
        try:
            sid = self._sender.send(sms)
        except TransientSendError as error:
            return self._failed(sms, str(error), error.retry_after_s)
        except PermanentSendError as error:
            return self._failed(sms, str(error), None, permanent=True)
        with transaction(self._sessions) as session:
            session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == sms.outbox_id)
                .values(status="sent", provider_sid=sid, sent_at=utcnow(), last_error=None)
            )
        log_event(logger, "sms.sent", outbox_id=sms.outbox_id, message_sid=sid)
        return "sent"

    def _failed(
        self, sms: OutgoingSms, reason: str, retry_after_s: float | None, permanent: bool = False
    ) -> str:
        with transaction(self._sessions) as session:
            row = session.get_one(OutboxMessage, sms.outbox_id)
            row.last_error = reason
            if permanent or row.attempts >= MAX_ATTEMPTS:
                row.status = "dead"
                log_event(
                    logger,
                    "sms.dead",
                    logging.ERROR,
                    outbox_id=row.id,
                    attempts=row.attempts,
                    reason=reason,
                )
                return "dead"
            delay = max(retry_after_s or 0.0, backoff(row.attempts, self._rng))
            row.status, row.next_attempt_at = "pending", utcnow() + dt.timedelta(seconds=delay)
            log_event(
                logger,
                "sms.retry",
                logging.WARNING,
                outbox_id=row.id,
                attempts=row.attempts,
                delay_s=round(delay, 1),
                reason=reason,
            )
            return "retry"

    def _reclaim_expired_leases(self) -> None:
        """Messages a dead worker left ``sending`` become due again (the duplicate window)."""
        with transaction(self._sessions) as session:
            result: sa.CursorResult[Any] = session.execute(  # type: ignore[assignment]
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.status == "sending", OutboxMessage.claimed_at < utcnow() - LEASE
                )
                .values(status="pending", next_attempt_at=utcnow())
            )
            if result.rowcount:
                log_event(logger, "sms.lease_expired", logging.WARNING, count=result.rowcount)
