"""Every TwiML answer names its charset once: ``text/xml; charset=utf-8``."""

from __future__ import annotations

from tests.support.caller import DEMO_ZH, Caller, TwilioClient

TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"


def test_voice_answers_say_one_charset(caller: Caller) -> None:
    answers = [
        caller.twilio.post("/voice/incoming", _dialing(caller, "10010")),
        caller.twilio.post("/voice/step", caller.params(Digits="9")),
        caller.twilio.post("/voice/status", caller.params(CallStatus="completed")),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["Content-Type"] for a in answers] == [TWIML_CONTENT_TYPE] * 3


def test_desk_callback_status_says_one_charset(caller: Caller) -> None:
    caller.to_number = "13800138000"  # the desk calls the caller back
    answer = caller.twilio.post(
        "/voice/desk/callback/1/status", caller.params(CallStatus="completed")
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == TWIML_CONTENT_TYPE


def test_sms_answers_say_one_charset(twilio: TwilioClient) -> None:
    sms = {"AccountSid": twilio.settings.twilio_account_sid, "MessageSid": "SM" + "1" * 32}
    answers = [
        twilio.post(
            "/sms/incoming", {**sms, "From": "+86" + DEMO_ZH, "To": "10010", "Body": "HELP"}
        ),
        twilio.post("/sms/status", {**sms, "MessageStatus": "delivered"}),
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers["Content-Type"] for a in answers] == [TWIML_CONTENT_TYPE] * 2


def _dialing(caller: Caller, number: str) -> dict[str, str]:
    caller.to_number = number
    return caller.params(CallStatus="ringing")
