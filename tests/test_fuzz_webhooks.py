"""Fuzzing every webhook described in openapi/webhooks.yaml.

The description and the app's routes must match; then, for every operation: an unsigned
request is always refused (the signature is checked first), and a signed one carrying
arbitrary parameters gets an answer, never a 500.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.caller import TwilioClient

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "webhooks.yaml"
EXTRA_NAMES = ["Digits", "SpeechResult", "Body", "CallDuration", "QueuePosition", "Junk"]


@cache
def spec() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _field_names(schema: dict[str, Any]) -> set[str]:
    schema = _resolve(schema)
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _field_names(part)
    return names


def operations() -> list[tuple[str, list[str]]]:
    """(path template, form field names) of every POST the description lists."""
    found = []
    for path, item in spec()["paths"].items():
        body = item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        found.append((path, sorted(_field_names(body["schema"]))))
    return found


OPERATIONS = operations()


def test_the_description_lists_exactly_the_apps_webhooks(app: Flask) -> None:
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/voice/", "/sms/")) and "POST" in (rule.methods or ())
    }
    assert routes == {path for path, _ in OPERATIONS}


values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789*#+", max_size=30),
    st.sampled_from(["CA" + "0" * 32, "SM" + "0" * 32, "+8613800138000", "1001011", "10010"]),
    st.sampled_from(["completed", "in-progress", "bridged", "delivered", "-1", "1e309", "NaN"]),
    st.text(min_size=2000, max_size=4000),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    template, names = draw(st.sampled_from(OPERATIONS))
    path = re.sub(r"\{\w+\}", lambda _: str(draw(st.integers(0, 3))), template)
    form = draw(st.dictionaries(st.sampled_from(names + EXTRA_NAMES), values, max_size=12))
    return path, form


FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(request=requests())
def test_unsigned_requests_are_refused_whatever_they_carry(
    twilio: TwilioClient, request: tuple[str, dict[str, str]]
) -> None:
    path, form = request
    assert twilio.post(path, form, signed=False).status_code == 403


@FUZZ
@given(request=requests())
def test_signed_garbage_gets_an_answer_never_a_500(
    twilio: TwilioClient, request: tuple[str, dict[str, str]]
) -> None:
    path, form = request
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
