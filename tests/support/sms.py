"""A subscriber's texts to the service and what comes back: the TwiML reply, and the SMS
delivered after a call."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from typing import Any

import sqlalchemy as sa

from hotline.container import Hotline
from sms_followup.models import (
    LocalDelivery,
)
from sms_followup.worker import OutboxWorker
from tests.support.caller import DEMO_ZH, TwilioClient


def handset(hotline: Hotline, number: str) -> list[str]:
    with hotline.sessions() as session:
        return list(
            session.scalars(sa.select(LocalDelivery.body).where(LocalDelivery.to_number == number))
        )


def deliver(hotline: Hotline) -> Any:
    return OutboxWorker(
        hotline.sessions,
        hotline.sender,
        hotline.settings,
        hotline.clock,
        sweep_calls=hotline.engine.sweep_stale_calls,
    ).run_once()


def text_in(
    twilio: TwilioClient, body: str, to: str = "10010", from_: str = DEMO_ZH, sid: str | None = None
) -> ET.Element:
    """The handset ``from_`` texts ``body`` to ``to``; the TwiML answer."""
    sid = sid or "SM" + secrets.token_hex(16)
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": twilio.settings.twilio_account_sid,
        "From": "+86" + from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    response = twilio.post("/sms/incoming", params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.get_data())


def replies(twiml: ET.Element) -> list[str]:
    return [m.text or "" for m in twiml.iter("Message")]
