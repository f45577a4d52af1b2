"""Fuzzing every webhook: signature checked first, then no input reaches a 500."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.caller import TwilioClient

TWILIO_NAMES = [
    "CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "Direction",
    "Digits", "SpeechResult", "Confidence", "QueuePosition", "QueueResult", "CallDuration",
    "RecordingUrl", "RecordingDuration", "MessageSid", "SmsSid", "Body", "MessageStatus",
    "ErrorCode", "NumMedia", "DequeingCallSid", "QueueTime",
]  # fmt: skip

values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789*#+", max_size=30),
    st.sampled_from(["CA" + "0" * 32, "SM" + "0" * 32, "+8613800138000", "1001011", "10010"]),
    st.sampled_from(["completed", "in-progress", "bridged", "delivered", "-1", "1e309", "NaN"]),
    st.text(min_size=2000, max_size=4000),
)
forms = st.dictionaries(st.sampled_from(TWILIO_NAMES), values, max_size=12)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def webhook_paths(app: Flask) -> Iterator[str]:
    for rule in app.url_map.iter_rules():
        webhook = rule.rule.startswith(("/voice/", "/sms/")) and not rule.arguments
        if webhook and "POST" in (rule.methods or ()):
            yield rule.rule


@pytest.fixture
def paths(app: Flask) -> list[str]:
    found = sorted(webhook_paths(app))
    assert "/voice/incoming" in found and "/voice/status" in found
    return found


@FUZZ
@given(form=forms, path_index=st.integers(min_value=0, max_value=99))
def test_unsigned_requests_are_refused_whatever_they_carry(
    twilio: TwilioClient, paths: list[str], form: dict[str, str], path_index: int
) -> None:
    path = paths[path_index % len(paths)]
    assert twilio.post(path, form, signed=False).status_code == 403


@FUZZ
@given(form=forms, path_index=st.integers(min_value=0, max_value=99))
def test_signed_garbage_gets_an_answer_never_a_500(
    twilio: TwilioClient, paths: list[str], form: dict[str, str], path_index: int
) -> None:
    path = paths[path_index % len(paths)]
    response = twilio.post(path, form)
    assert response.status_code in (200, 204, 400, 404, 413), (path, response.status_code)


@FUZZ
@given(digits=st.text(max_size=70), speech=st.text(max_size=600))
def test_any_keys_or_speech_in_a_live_call_get_spoken_answers(
    twilio: TwilioClient, digits: str, speech: str, caller_params: Any
) -> None:
    params = caller_params()
    response = twilio.post("/voice/step", {**params, "Digits": digits, "SpeechResult": speech})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        body = response.get_data(as_text=True)
        assert "<Say" in body or "<Play" in body or "<Enqueue" in body


@pytest.fixture
def caller_params(twilio: TwilioClient) -> Any:
    def make() -> dict[str, str]:
        params = {
            "CallSid": "CA" + secrets.token_hex(16),
            "From": "+8613800138000",
            "To": "10010",
            "CallStatus": "ringing",
        }
        assert twilio.post("/voice/incoming", params).status_code == 200
        return {**params, "CallStatus": "in-progress"}

    return make
