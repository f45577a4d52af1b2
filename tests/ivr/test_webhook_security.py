"""Webhooks accept only Twilio's signed requests, and malformed ones get a clear 4xx."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from flows.balance import ReadingBalance
from hotline.container import Hotline
from ivr.models import Call, CallEvent
from tests.support.caller import DEMO_ZH, Caller, TwilioClient

WEBHOOKS = [
    "/voice/incoming",
    "/voice/step",
    "/voice/no-input",
    "/voice/queue/wait",
    "/voice/queue/done",
    "/voice/status",
]


def _call(**extra: str) -> dict[str, str]:
    return {
        "CallSid": "CA" + "ab" * 16,
        "From": "+8613800138000",
        "To": "1001011",
        "CallStatus": "ringing",
        **extra,
    }


@pytest.mark.parametrize("path", WEBHOOKS)
def test_unsigned_webhook_is_refused_with_403_and_logged(
    twilio: TwilioClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = twilio.post(path, _call(), signed=False)
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.get_data(as_text=True)
    assert any(r.getMessage() == "webhook.signature_rejected" for r in caplog.records)


def test_signature_for_other_parameters_is_refused(twilio: TwilioClient) -> None:
    from ivr.security import public_url

    url = public_url(twilio.settings.public_base_url, "/voice/incoming")
    forged = twilio.validator.compute_signature(url, _call(From="+8613900139000"))
    response = twilio.client.post(
        "/voice/incoming", data=_call(), headers={"X-Twilio-Signature": forged}
    )
    assert response.status_code == 403


def test_signature_with_another_token_is_refused(twilio: TwilioClient) -> None:
    from twilio.request_validator import RequestValidator

    from ivr.security import public_url

    url = public_url(twilio.settings.public_base_url, "/voice/incoming")
    signature = RequestValidator("not-the-token").compute_signature(url, _call())
    response = twilio.client.post(
        "/voice/incoming", data=_call(), headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"validate_signatures": False}])
def test_validation_can_be_switched_off_for_local_experiments(twilio: TwilioClient) -> None:
    assert twilio.post("/voice/incoming", _call(), signed=False).status_code == 200


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"From": "+8613800138000", "To": "1001011"}, "missing CallSid"),
        (_call(CallSid="not-a-sid"), "malformed CallSid"),
        (_call(From=""), "missing From"),
        (_call(To="<script>"), "malformed To"),
        (_call(From="1" * 10_000), "malformed From"),
    ],
)
def test_malformed_voice_webhook_gets_400_saying_why(
    twilio: TwilioClient, params: dict[str, str], reason: str
) -> None:
    response = twilio.post("/voice/incoming", params)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_ten_kilobyte_parameters_never_reach_a_500(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    response = caller.twilio.post(
        "/voice/step", caller.params(SpeechResult="balance " * 1_250, Extra="x" * 10_000)
    )
    assert response.status_code == 200
    assert "余额为" in response.get_data(as_text=True)


def test_overlong_digits_are_refused(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    response = caller.twilio.post("/voice/step", caller.params(Digits="1" * 10_000))
    assert response.status_code == 400


def test_request_bodies_over_64_kilobytes_are_refused(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    response = caller.twilio.post("/voice/step", caller.params(Junk="x" * 70_000))
    assert response.status_code == 413


def test_a_step_for_a_call_never_seen_starts_it_afresh(caller: Caller) -> None:
    caller.to_number = "1001011"
    caller.twiml = None
    response = caller.twilio.post("/voice/step", caller.params(Digits="1"))
    assert response.status_code == 200
    assert "余额为" in response.get_data(as_text=True)


def test_status_callback_for_an_unknown_call_is_accepted_and_ignored(twilio: TwilioClient) -> None:
    response = twilio.post("/voice/status", _call(CallStatus="completed", CallDuration="3"))
    assert response.status_code == 200


def test_a_crash_inside_a_step_is_an_apology_and_an_agent_not_a_500(
    caller: Caller,
    hotline,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    caller.dial("10010", DEMO_ZH)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database fell over")

    monkeypatch.setattr(hotline.engine, "step", broken)
    caller.press("1")
    assert "系统暂时繁忙" in caller.last_heard
    assert "our system is busy" in caller.last_heard
    assert caller.enqueued == "general"


def _event_kinds(hotline: Hotline, call_sid: str) -> list[str]:
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(call_sid))
        return list(
            session.scalars(
                sa.select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
            )
        )


def test_a_step_that_crashes_records_none_of_its_events_and_leaves_nothing_behind(
    caller: Caller, twilio: TwilioClient, hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller.dial("10010", DEMO_ZH)
    before = _event_kinds(hotline, caller.call_sid)

    def broken(*args: object) -> None:
        raise RuntimeError("billing system fell over")

    # Mandarin, queries, balance: keys and menus are recorded before the figures are read.
    monkeypatch.setattr(ReadingBalance, "facts", broken)
    caller.press("111")
    assert "系统暂时繁忙" in caller.last_heard
    assert _event_kinds(hotline, caller.call_sid) == before

    monkeypatch.undo()
    next_call = Caller(twilio).dial("1001011", DEMO_ZH)
    assert "余额为" in next_call.last_heard
    assert _event_kinds(hotline, next_call.call_sid) == [
        "call.started",
        "state.entered",
        "query.recorded",
    ]
