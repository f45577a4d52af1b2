"""The worker ``ivr worker`` runs: the SMS outbox worker, with the engine's jobs added (the
sweeper of calls whose end was never heard of, and the status backstop for calls)."""

from __future__ import annotations

import datetime as dt
import random

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from hotline.container import Hotline, twilio_client
from hotline.settings import HotlineSettings
from ivr.config import LOCAL_ACCOUNT_SID
from ivr.engine import CallLookup, LookupFailed, ReportedCall
from sms_followup.periodic import Job
from sms_followup.worker import STATUS_BACKSTOP_EVERY, OutboxWorker


def build_worker(
    hotline: Hotline, *, batch: int = 20, rng: random.Random | None = None
) -> OutboxWorker:
    """The outbox worker of *hotline*, with the call status backstop when there is a Twilio
    REST API to ask (the account's, or the stand-in ``TWILIO_API_BASE_URL`` names)."""
    settings = HotlineSettings.of(hotline.settings)
    jobs = []
    if settings.twilio_api_base_url or settings.twilio_account_sid != LOCAL_ACCOUNT_SID:
        lookup = call_lookup(twilio_client(settings, settings.sms_send_timeout_s))
        after = dt.timedelta(seconds=settings.status_backstop_after_s)
        engine = hotline.engine
        jobs.append(
            Job(
                "calls.status_backstop",
                STATUS_BACKSTOP_EVERY,
                lambda now: engine.backstop_statuses(lookup, after),
            )
        )
    return OutboxWorker(
        hotline.sessions,
        hotline.sender,
        settings,
        hotline.clock,
        batch=batch,
        rng=rng,
        sweep_calls=hotline.engine.sweep_stale_calls,
        jobs=jobs,
    )


def call_lookup(client: Client) -> CallLookup:
    """A call's status from ``GET /Calls/{Sid}`` through the real Twilio client."""

    def lookup(sid: str) -> ReportedCall | None:
        try:
            call = client.calls(sid).fetch()
        except TwilioRestException as error:
            if error.status == 404:
                return None
            raise LookupFailed(f"HTTP {error.status} {error.code}: {error.msg}") from error
        except requests.RequestException as error:
            raise LookupFailed(f"{type(error).__name__}: {error}") from error
        duration = str(call.duration or "")
        return ReportedCall(str(call.status), int(duration) if duration.isdigit() else None)

    return lookup
