"""The outbox worker: claims due messages, sends them, records the outcome.

Claiming and recording are separate short transactions around the send, so a worker that
dies mid-send leaves the message ``sending``; after the lease (``SMS_LEASE_S``) it is due
again, marked *outcome unknown*. Before sending such a message again the worker asks the
provider whether it holds a message with the same recipient, sender and text whose SID no
outbox row has recorded; if so it adopts that SID instead of sending.

A duplicate is therefore possible only when the provider accepted a message, the worker
died (or timed out) before the commit that records its SID, and the provider's message list
did not show it when the worker looked again. The commit that records a SID is one short
transaction right after the provider answers.

Several workers may run at once: claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and
SQLite takes its write lock at ``BEGIN``. A claim takes only as many messages as can be
attempted within the lease, so no live worker's claim is taken over.

When no message can go (the account's configuration is refused, or the provider is down),
sending pauses for every message (:mod:`sms_followup.pause`) instead of each one backing off
on its own: the next message due probes every so often, and once one is accepted every
waiting message is due at once. A message whose time to live ended while it waited is
dead-lettered untried.

Beside delivery the worker runs named periodic jobs (:mod:`sms_followup.periodic`): the
usage trail's purge, the status backstop for lost status callbacks, and what the
composition root adds (the engine's backstop for calls).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ivr.clock import Clock
from ivr.db import transaction
from ivr.logs import log_event
from sms_followup import pause, ports, status, trail
from sms_followup.models import OutboxMessage, OutboxStatus
from sms_followup.outbox import Category, category, expires_at, record
from sms_followup.periodic import Job, Jobs
from sms_followup.senders import (
    UNSUBSCRIBED_RECIPIENT,
    AccountRefused,
    OutgoingSms,
    PermanentSendError,
    Reconciler,
    Redactor,
    Sender,
    SendingPaused,
    StatusReader,
    TransientSendError,
)
from sms_followup.settings import SmsSettings

logger = logging.getLogger("sms_followup.worker")

# Messages whose text is a secret: redacted at the provider and in the outbox once final.
REDACTED_KINDS = ("password_temporary",)
REDACTED = ""
_FINAL = (OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED)
BASE_BACKOFF_S = 5.0
MAX_BACKOFF_S = 600.0
TRAIL_PURGE_EVERY = dt.timedelta(hours=1)  # data sessions older than the trail's window
STATUS_BACKSTOP_EVERY = dt.timedelta(minutes=1)
# Retries are bounded by each message's time to live (outbox.expires_at), not by a count.


@dataclass(frozen=True)
class Pass:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    swept_calls: int = 0
    refused: int = 0
    adopted: int = 0
    paused: int = 0  # 1 when sending paused (the account refused, or the provider is down)


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: up to 5 s, 10 s, 20 s ... capped at 10 min."""
    return rng.uniform(0, min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** min(attempt - 1, 20)))


def max_batch(settings: SmsSettings) -> int:
    """How many messages one claim may take: each may need a lookup and a send, each bounded
    by the send timeout, and all must be attempted before the lease runs out."""
    return max(1, settings.sms_lease_s // (2 * settings.sms_send_timeout_s + 1))


class OutboxWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        settings: SmsSettings,
        clock: Clock,
        batch: int = 20,
        rng: random.Random | None = None,
        sweep_calls: Callable[[], int] | None = None,
        jobs: Sequence[Job] = (),
    ) -> None:
        """*sweep_calls* ends calls whose status callback never came, so their summaries
        go out (the engine's ``sweep_stale_calls``); without it, another process does.
        *jobs* run beside the worker's own (:meth:`jobs`), before each pass's deliveries."""
        self._sweep_calls = sweep_calls
        self._sessions = sessions
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._batch = max(1, min(batch, max_batch(settings)))
        self._lease = dt.timedelta(seconds=settings.sms_lease_s)
        self._rng = rng or random.Random()
        self._jobs = Jobs([*self._own_jobs(), *jobs], clock)
        self._started = False

    @property
    def jobs(self) -> tuple[str, ...]:
        """The names of the periodic jobs this worker runs."""
        return self._jobs.names

    def _own_jobs(self) -> list[Job]:
        jobs = [Job("usage.trail_purge", TRAIL_PURGE_EVERY, self._purge_trail)]
        if isinstance(self._sender, StatusReader):
            after = dt.timedelta(seconds=self._settings.status_backstop_after_s)
            read = self._sender.status
            jobs.append(
                Job(
                    "sms.status_backstop",
                    STATUS_BACKSTOP_EVERY,
                    lambda now: status.backstop(self._sessions, now, read, after),
                )
            )
        return jobs

    def run_once(self) -> Pass:
        """Run the periodic jobs that are due, sweep calls whose end we never heard of, then
        send everything due now. A worker's first pass probes even while sending is paused."""
        self._jobs.run_due()
        swept = self._sweep_calls() if self._sweep_calls else 0
        with transaction(self._sessions) as session:
            status.catch_up_all(session, self._clock.now())
        counts = dict.fromkeys(("sent", "retry", "dead", "refused", "adopted"), 0)
        probe, self._started = not self._started, True
        paused = False
        while not paused:
            self._reclaim_expired_leases()
            if not probe and self._paused_now():
                break
            probe = False
            claimed, refused, expired = self._claim()
            counts["refused"] += refused
            counts["dead"] += expired
            if not claimed and not refused and not expired:
                break
            for index, sms in enumerate(claimed):
                outcome, paused = self._deliver(sms)
                counts[outcome] += 1
                if paused:
                    self._release(claimed[index + 1 :])
                    break
        if not paused:
            self._redact_delivered()
        return Pass(
            sent=counts["sent"] + counts["adopted"],
            retried=counts["retry"],
            dead=counts["dead"],
            swept_calls=swept,
            refused=counts["refused"],
            adopted=counts["adopted"],
            paused=int(paused),
        )

    def _purge_trail(self, now: dt.datetime) -> int:
        """Drop the data sessions the trail no longer shows."""
        with transaction(self._sessions) as session:
            purged = trail.purge(session, now)
        if purged:
            log_event(logger, "usage.trail_purged", logging.INFO, sessions=purged)
        return purged

    def run_forever(self, idle_sleep_s: float = 1.0) -> None:
        while True:
            try:
                idle = self.run_once() == Pass()
            except sa.exc.OperationalError as error:
                log_event(logger, "sms.worker_db_error", logging.ERROR, error=str(error)[:500])
                idle = True
            if idle:
                time.sleep(idle_sleep_s)

    def _claim(self) -> tuple[list[OutgoingSms], int, int]:
        """Due messages become ``sending``; the claimed, and how many were refused (an
        opt-out, a closed port) or dead-lettered untried (their time to live ended while
        they waited: sending was paused, or no worker ran)."""
        now = self._clock.now()
        claimed, refused, expired = [], 0, 0
        with transaction(self._sessions) as session:
            rows = session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self._batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                reason = self._refusal(session, row)
                if reason is not None:
                    row.status, row.refused_reason = OutboxStatus.REFUSED, reason
                    record(session, row.id, "refused", detail=reason)
                    if row.port:
                        ports.count(session, row.port, "refused")
                    log_event(
                        logger,
                        "sms.refused",
                        logging.WARNING,
                        outbox_id=row.id,
                        to=row.to_number,
                        sender=row.from_number,
                        reason=reason,
                    )
                    refused += 1
                    continue
                # The last try is due at the expiry itself (see _failed): a message due
                # before its expiry and not tried by then waited past it.
                if row.next_attempt_at < expires_at(row.kind, row.created_at, self._settings) < now:
                    tried = f"after {row.attempts} attempt(s)" if row.attempts else "untried"
                    self._dead_letter(session, row, f"expired {tried}: {row.last_error or '-'}")
                    expired += 1
                    continue
                row.status, row.claimed_at = OutboxStatus.SENDING, now
                row.attempts += 1
                record(session, row.id, "sending", detail=f"attempt {row.attempts}")
                claimed.append(
                    OutgoingSms(
                        row.id,
                        row.to_number,
                        row.from_number,
                        row.body,
                        row.outcome_unknown_since,
                    )
                )
        return claimed, refused, expired

    @staticmethod
    def _refusal(session: Session, row: OutboxMessage) -> str | None:
        """Opt-outs and port closures that came after the message was written."""
        if row.port is None and category(row.kind) is not Category.REMINDER:
            return None
        return ports.refusal(session, row.to_number, row.from_number, row.port)

    def _deliver(self, sms: OutgoingSms) -> tuple[str, bool]:
        """Send one claimed message: the outcome, and whether sending paused."""
        try:
            adopted = self._already_accepted(sms)
            if adopted is not None:
                return self._sent(sms, adopted, "adopted"), False
            sid = self._sender.send(sms)
        except SendingPaused as error:
            return self._paused(sms, error), True
        except TransientSendError as error:
            return self._failed(sms, str(error), error.retry_after_s, error.maybe_accepted), False
        except PermanentSendError as error:
            return self._failed(sms, str(error), None, permanent=True, code=error.code), False
        return self._sent(sms, sid, "sent"), False

    def _already_accepted(self, sms: OutgoingSms) -> str | None:
        """For an attempt of unknown outcome: the SID the provider gave it, if it took it."""
        if sms.unknown_since is None or not isinstance(self._sender, Reconciler):
            return None
        candidates = [
            a for a in self._sender.accepted(sms, sms.unknown_since) if a.body == sms.body
        ]
        if not candidates:
            return None
        with self._sessions() as session:
            known = set(
                session.scalars(
                    sa.select(OutboxMessage.provider_sid).where(
                        OutboxMessage.provider_sid.in_([a.sid for a in candidates])
                    )
                )
            )
        unclaimed = [a.sid for a in candidates if a.sid not in known]
        return unclaimed[0] if unclaimed else None

    def _sent(self, sms: OutgoingSms, sid: str, outcome: str) -> str:
        with transaction(self._sessions) as session:
            status.lock_sid(session, sid)
            row = session.get_one(OutboxMessage, sms.outbox_id)
            row.status, row.provider_sid = OutboxStatus.SENT, sid
            row.sent_at = self._clock.now()
            row.last_error = row.error_code = row.outcome_unknown_since = None
            record(session, row.id, "sent", sid=sid, detail=None if outcome == "sent" else outcome)
            pause.resume(session, self._clock.now())
            if row.port:
                ports.count(session, row.port, "sent")
            status.catch_up(session, row)
        log_event(
            logger,
            f"sms.{outcome}",
            outbox_id=sms.outbox_id,
            message_sid=sid,
            segments=row.segments,
        )
        return outcome

    def _failed(
        self,
        sms: OutgoingSms,
        reason: str,
        retry_after_s: float | None,
        maybe_accepted: bool = False,
        permanent: bool = False,
        code: int | None = None,
    ) -> str:
        with transaction(self._sessions) as session:
            row = session.get_one(OutboxMessage, sms.outbox_id)
            row.last_error = reason
            if maybe_accepted and row.outcome_unknown_since is None:
                row.outcome_unknown_since = row.claimed_at
            if code is not None:
                row.error_code = str(code)
            if code == UNSUBSCRIBED_RECIPIENT:
                ports.opt_out(session, row.to_number, row.port or row.from_number, "provider-21610")
            now = self._clock.now()
            expires = expires_at(row.kind, row.created_at, self._settings)
            if not permanent and now >= expires:
                reason = f"expired after {row.attempts} attempt(s): {reason}"
            if permanent or now >= expires:
                self._dead_letter(session, row, reason)
                return "dead"
            delay = max(retry_after_s or 0.0, backoff(row.attempts, self._rng))
            # The last try is at the expiry itself: an outage shorter than the time to live
            # loses nothing.
            delay = min(delay, (expires - now).total_seconds())
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
            record(session, row.id, "retry", detail=f"in {delay:.1f} s: {reason}")
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

    @staticmethod
    def _dead_letter(session: Session, row: OutboxMessage, reason: str) -> None:
        row.status = OutboxStatus.DEAD
        row.last_error = reason
        record(session, row.id, "dead", error_code=row.error_code, detail=reason)
        log_event(
            logger,
            "sms.dead",
            logging.ERROR,
            outbox_id=row.id,
            attempts=row.attempts,
            reason=reason,
        )

    def _redact_delivered(self) -> None:
        """Secrets (temporary passwords) do not stay at rest once their message reached its
        end: the body is removed at the provider, then in the outbox. A failure is retried on
        the next pass."""
        with self._sessions() as session:
            rows = session.execute(
                sa.select(OutboxMessage.id, OutboxMessage.provider_sid).where(
                    OutboxMessage.kind.in_(REDACTED_KINDS),
                    OutboxMessage.status.in_(_FINAL),
                    OutboxMessage.body != REDACTED,
                )
            ).all()
        for outbox_id, sid in rows:
            try:
                if sid and isinstance(self._sender, Redactor):
                    self._sender.redact(sid)
            except (TransientSendError, PermanentSendError) as error:
                log_event(
                    logger,
                    "sms.redact_failed",
                    logging.WARNING,
                    outbox_id=outbox_id,
                    error=str(error),
                )
                continue
            with transaction(self._sessions) as session:
                row = session.get_one(OutboxMessage, outbox_id)
                row.body = REDACTED
                record(session, outbox_id, "redacted", sid=sid)
            log_event(logger, "sms.redacted", outbox_id=outbox_id, message_sid=sid)

    def _paused(self, sms: OutgoingSms, error: SendingPaused) -> str:
        """No message can go (the account, or the provider): sending pauses. The message is
        due again at once, behind those already waiting, and goes when a probe is accepted;
        it is dead-lettered only if its time to live is over."""
        reason = str(error)
        with transaction(self._sessions) as session:
            now = self._clock.now()
            pause.pause(session, now, error.cause, reason, error.fix)
            row = session.get_one(OutboxMessage, sms.outbox_id)
            row.last_error = reason
            code = error.code if isinstance(error, AccountRefused) else None
            row.error_code = None if code is None else str(code)
            if error.maybe_accepted and row.outcome_unknown_since is None:
                row.outcome_unknown_since = row.claimed_at
            if now >= expires_at(row.kind, row.created_at, self._settings):
                self._dead_letter(
                    session, row, f"expired after {row.attempts} attempt(s): {reason}"
                )
                return "dead"
            row.status, row.next_attempt_at = OutboxStatus.PENDING, now
            record(session, row.id, "retry", detail=f"sending paused: {reason}")
        return "retry"

    def _release(self, claimed: list[OutgoingSms]) -> None:
        """Claimed messages not attempted (sending paused): as due as they were."""
        if not claimed:
            return
        with transaction(self._sessions) as session:
            for sms in claimed:
                row = session.get_one(OutboxMessage, sms.outbox_id)
                row.status = OutboxStatus.PENDING
                row.attempts -= 1
                record(session, row.id, "released", detail="sending paused")

    def _paused_now(self) -> bool:
        """Whether sending is paused and its next probe is not due yet."""
        with self._sessions() as session:
            paused = pause.sending_paused(session)
        return paused is not None and self._clock.now() < paused.until

    def _reclaim_expired_leases(self) -> None:
        """Messages a dead worker left ``sending`` become due again, outcome unknown."""
        now = self._clock.now()
        with transaction(self._sessions) as session:
            rows = session.scalars(
                sa.select(OutboxMessage)
                .where(
                    OutboxMessage.status == "sending",
                    OutboxMessage.claimed_at < now - self._lease,
                )
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status, row.next_attempt_at = OutboxStatus.PENDING, now
                row.outcome_unknown_since = row.outcome_unknown_since or row.claimed_at
                record(session, row.id, "lease_expired", detail="outcome of the attempt unknown")
            if rows:
                log_event(logger, "sms.lease_expired", logging.WARNING, count=len(rows))
