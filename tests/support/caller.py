"""Test helpers that play Twilio's part against the Flask test client.

`TwilioClient` signs and posts webhooks; `Caller` keeps one call going the way a person
would: ``Caller(twilio).dial("1001011").press("1")``, and exposes what was heard. What Twilio
posts on its own during the call (a queue's wait URL, a fall-through, a recording's action)
goes through ``caller.webhook(path, **params)``.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr.config import Settings
from ivr.security import public_url

DEMO_ZH = "13800138000"  # 王芳, balance 123.45, Mandarin
DEMO_EN = "13900139000"  # John Smith, balance 87.06, English
DEMO_ARREARS = "13600136000"  # 李强, owes 23.50
STRANGER = "13312345678"


class TwilioClient:
    def __init__(self, client: FlaskClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.validator = RequestValidator(settings.twilio_auth_token)

    def post(self, path: str, params: dict[str, str], signed: bool = True) -> TestResponse:
        """POST *params* to *path*, or to an absolute URL under ``PUBLIC_BASE_URL`` as the
        app's TwiML gives them, signed as Twilio signs it unless *signed* is false."""
        base = self.settings.public_base_url.rstrip("/")
        if path.startswith(f"{base}/"):
            path = path.removeprefix(base)
        headers = {}
        if signed:
            url = public_url(self.settings.public_base_url, path)
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, params)
        return self.client.post(path, data=params, headers=headers)


@dataclass
class Caller:
    twilio: TwilioClient
    from_number: str = DEMO_ZH
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    to_number: str = ""
    twiml: ET.Element | None = None
    heard: list[str] = field(default_factory=list)

    def dial(self, number: str, from_number: str | None = None) -> Caller:
        """Call *number* as Twilio delivers the call: a code (``1001011``) rings its Twilio
        number (``TWILIO_VOICE_NUMBERS``, the demo map unless a test sets one); a number or
        a ``sip:`` URI arrives as it is."""
        if from_number:
            self.from_number = from_number
        self.to_number = self.twilio.settings.voice_numbers().number_for(number) or number
        return self.webhook("/voice/incoming", CallStatus="ringing")

    def press(self, keys: str) -> Caller:
        return self.webhook(self._gather_action(), Digits=keys)

    def say(self, words: str, confidence: str = "0.92") -> Caller:
        return self.webhook(self._gather_action(), SpeechResult=words, Confidence=confidence)

    def stay_silent(self) -> Caller:
        """Let the menu time out: Twilio falls through to the verb after the Gather."""
        redirect = self.twiml.find("Redirect") if self.twiml is not None else None
        assert redirect is not None and redirect.text, "nothing to fall through to"
        return self.webhook(redirect.text)

    def record(self, recording_url: str, seconds: int = 7, ended_by: str = "#") -> Caller:
        """Speak after a ``<Record>`` beep: Twilio posts the recording to its action."""
        verb = self.twiml.find("Record") if self.twiml is not None else None
        assert verb is not None, f"not recording: {self.last_heard!r}"
        return self.webhook(
            verb.get("action", ""),
            RecordingUrl=recording_url,
            RecordingDuration=str(seconds),
            RecordingSid="RE" + secrets.token_hex(16),
            Digits=ended_by,
        )

    def hang_up(self, duration: int = 42) -> TestResponse:
        return self.twilio.post(
            "/voice/status",
            self.params(CallStatus="completed", CallDuration=str(duration)),
        )

    # -- what the caller heard -------------------------------------------------------------

    @property
    def last_heard(self) -> str:
        """Everything said in the latest TwiML document, as one string."""
        return " ".join(self.said)

    @property
    def said(self) -> list[str]:
        """Each ``<Say>`` of the latest TwiML document, in order."""
        assert self.twiml is not None
        return [el.text or "" for el in self.twiml.iter("Say")]

    @property
    def gather(self) -> ET.Element | None:
        return self.twiml.find("Gather") if self.twiml is not None else None

    @property
    def enqueued(self) -> str | None:
        el = self.twiml.find("Enqueue") if self.twiml is not None else None
        return el.text if el is not None else None

    @property
    def hung_up(self) -> bool:
        return self.twiml is not None and self.twiml.find("Hangup") is not None

    # -- what Twilio posts -----------------------------------------------------------------

    def webhook(self, path: str, **params: str) -> Caller:
        """Twilio posts to *path* in this call, signed, with the call's parameters and
        *params*; the TwiML it gets back is what the caller hears next. For the requests Twilio
        makes on its own: ``caller.webhook("/voice/desk/done", QueueResult="hangup")``."""
        response = self.twilio.post(path, self.params(**params))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        self.twiml = ET.fromstring(response.get_data())
        self.heard.append(self.last_heard)
        return self

    def params(self, **extra: str) -> dict[str, str]:
        """The form Twilio posts for this call, with *extra* added (for requests a test
        makes by hand with ``twilio.post``: unsigned, malformed, oversized)."""
        return {
            "CallSid": self.call_sid,
            "AccountSid": self.twilio.settings.twilio_account_sid,
            "From": self.delivered_from,
            "To": self.to_number,
            "Caller": self.delivered_from,
            "Called": self.to_number,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **extra,
        }

    @property
    def delivered_from(self) -> str:
        """The caller's number as Twilio delivers it: E.164 (a national number gets +86),
        or a ``sip:`` URI as it is."""
        if self.from_number.startswith(("+", "sip:", "sips:", "client:")):
            return self.from_number
        return "+86" + self.from_number

    def _gather_action(self) -> str:
        assert self.gather is not None, f"not at a menu: {self.last_heard!r}"
        return self.gather.get("action", "")
