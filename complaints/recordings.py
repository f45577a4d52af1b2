"""The ``<Record>`` callback of a complaint: keep the recording, then let the call go on.

Twilio posts ``RecordingUrl`` and ``RecordingDuration`` when the caller stops speaking
(``Digits=hangup`` if they hung up). When nothing was recorded (``#`` right after the beep,
or silence) Twilio skips this request and the call falls through to the same URL without a
``RecordingUrl``: the caller is still there, and nothing is filed yet. That counts as a
strike of the call's recording state, whose flow asks once more and then withdraws the
draft. A caller who hung up at the beep with nothing recorded files nothing either: the
draft is withdrawn. A caller adding to their open
ticket (``complaint.adding``) adds the recording to it. The ticket is told by SMS only once
it is filed. Transcribing the recording is the expert desk's concern.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask import Blueprint, Response, request

from complaints import tickets
from ivr import params
from ivr.db import transaction
from ivr.engine import Answer
from ivr.logs import log_event
from ivr.models import Call
from ivr.params import CallParams
from ivr.reply import Reply
from ivr.security import twilio_signed
from ivr.services import current_core
from ivr.twiml import COMPLAINT_RECORDING_URL
from ivr.webhooks import respond
from prompts.catalog import LANGUAGES
from sms_followup.settings import SmsSettings

logger = logging.getLogger("complaints.recordings")
recordings = Blueprint("recordings", __name__)

_RECORDING_URL = re.compile(r"https?://[^\s\"'<>]{1,490}")


def recording_url(form: Mapping[str, str]) -> str | None:
    """The recording's URL, or None when nothing was recorded."""
    value = form.get("RecordingUrl", "").strip()
    if not value:
        return None
    if not _RECORDING_URL.fullmatch(value):
        raise params.BadWebhook("malformed RecordingUrl")
    return value


@recordings.post(COMPLAINT_RECORDING_URL)
@twilio_signed
def complaint_recording() -> Response:
    call = params.call_params(request.form)
    url = recording_url(request.form)
    duration = params.integer(request.form, "RecordingDuration", 0) if url else None
    hung_up = request.form.get("Digits", "") == "hangup"
    return respond(lambda: _describe(call, url, duration, hung_up))


RECORDING = "complaint.recording"
"""The flow's state of a caller describing a new complaint after the beep."""
ADDING = "complaint.adding"
"""The flow's state of a caller recording an addition to their open ticket."""
ADDED = "complaint.added"


def _describe(call: CallParams, url: str | None, duration: int | None, hung_up: bool) -> Answer:
    """Keep the recording with the call's ticket; the call's state goes on from here."""
    hotline = current_core()
    now = hotline.clock.now()
    with transaction(hotline.sessions) as session:
        known = session.scalar(Call.by_sid(call.call_sid).with_for_update())
        if known is not None and known.state == ADDING:
            ticket = tickets.offered_addition(session, known)
            if ticket is not None:
                tickets.add_to(session, ticket, url, duration, now)
            known.state = ADDED
        elif known is not None and hung_up and url is None:
            tickets.withdraw_draft(session, known, now)
        elif known is not None and known.state == RECORDING and url is None:
            known.strikes += 1  # nothing said: not a complaint (yet), see flows.complaints
        elif known is not None:
            settings = SmsSettings.of(hotline.settings)
            tickets.describe(session, known, url, duration, now, settings)
    if known is None:
        log_event(logger, "recording.unknown_call", logging.WARNING, call_sid=call.call_sid)
        return Answer(Reply(()), LANGUAGES[0])
    if hung_up:
        return Answer(Reply(()), LANGUAGES[0])
    return hotline.engine.incoming(call)
