"""Messaging webhooks: ``POST /sms/incoming`` (a handset texts us) and ``POST /sms/status``
(a message status callback). Validate, do one thing in one transaction, answer TwiML."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from ivr import numbers, params
from ivr.db import transaction
from ivr.logs import log_event
from ivr.security import twilio_signed
from ivr.services import current_core
from ivr.webhooks import acknowledge
from sms_followup import inbound, status
from sms_followup import models as _models  # noqa: F401  (registers the tables on Base)
from sms_followup.settings import SmsSettings

logger = logging.getLogger("sms_followup.webhooks")
sms = Blueprint("sms", __name__, url_prefix="/sms")

TWIML = "text/xml"  # Flask adds "; charset=utf-8" (see ivr.webhooks.TWIML)


@sms.post("/incoming")
@twilio_signed
def incoming() -> Response:
    form = params.sms_params(request.form)
    hotline = current_core()
    settings = SmsSettings.of(hotline.settings)
    service = _logical_sender(form.to_number, params.messaging_service_sid(request.form), settings)
    sms_in = inbound.Incoming(form.message_sid, _national(form.from_number), service, form.body)
    try:
        with transaction(hotline.sessions) as session:
            outcome = inbound.handle(session, settings, sms_in, hotline.clock.now())
    except Exception:
        # Nothing was kept (the transaction rolled back): say so rather than fail silently.
        logger.exception("sms.inbound_failed", extra={"message_sid": sms_in.sid})
        outcome = inbound.failed(hotline.sessions, settings, sms_in, hotline.clock.now())
    log_event(logger, "sms.inbound", message_sid=sms_in.sid, action=outcome.action)
    reply = MessagingResponse()
    if outcome.reply:
        reply.message(outcome.reply)
    return Response(str(reply), mimetype=TWIML)


@sms.post("/status")
@twilio_signed
def status_callback() -> Response:
    sid = params.message_sid(request.form)
    message_status, error_code = params.message_status(request.form)

    def apply() -> None:
        with transaction(current_core().sessions) as session:
            result = status.apply_callback(session, sid, message_status, error_code)
        log_event(
            logger,
            "sms.status",
            message_sid=sid,
            status=message_status,
            error_code=error_code,
            result=result,
        )

    # Not recorded (a locked database): 503 and Twilio tries again, never a 500.
    return acknowledge(apply, str(MessagingResponse()))


def _logical_sender(to: str, messaging_service_sid: str | None, settings: SmsSettings) -> str:
    """The sender the service speaks of (``10010``, a port) that a handset texted: the
    Twilio number (or Messaging Service) it reached mapped back, else ``To`` as dialed."""
    if settings.sms_sender == "twilio":
        senders = settings.twilio_senders()
        for reached in (to.strip(), messaging_service_sid):
            logical = senders.logical_for(reached, settings.sms_from_number) if reached else None
            if logical is not None:
                return logical
    return _national(to)


def _national(number: str) -> str:
    try:
        return numbers.normalize(number)
    except numbers.InvalidNumber as error:
        raise params.BadWebhook(f"not a phone number: {number[:32]!r}") from error
