"""A real Twilio account delivers no bare code: a call comes to a Twilio number of the
account (TWILIO_VOICE_NUMBERS maps each back to its code) or, through an operator's SIP
trunk, to a SIP URI whose user part is the code dialled; the caller may be a SIP URI too."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from hotline.settings import load_settings
from ivr.config import LOCAL_VOICE_NUMBERS, ConfigError
from ivr.models import Call
from prompts.catalog import prompts
from tests.support.caller import DEMO_ZH, STRANGER, Caller
from tests.support.startup import refused_start

BALANCE_ZH = "您的账户余额为一百二十三元四角五分"  # 王芳's, the Mandarin demo subscriber
HOTLINE_ZH = prompts("zh-CN")["greeting.hotline"]  # the 10010 menu's welcome
OPERATORS_MAP = "10010=+862150010010,1001011=+862150011011,1001012=+862150011012"


def _stored_call(app: Flask, caller: Caller) -> Call:
    with app.extensions["hotline"].sessions() as session:
        call = session.scalar(sa.select(Call).where(Call.call_sid == caller.call_sid))
    assert call is not None
    return call


@pytest.mark.parametrize("settings_overrides", [{"twilio_voice_numbers": OPERATORS_MAP}])
def test_a_call_to_the_twilio_number_of_1001011_hears_the_balance_first(
    app: Flask, caller: Caller
) -> None:
    caller.dial("+862150011011", DEMO_ZH)

    assert BALANCE_ZH in caller.last_heard
    assert HOTLINE_ZH not in caller.last_heard
    assert _stored_call(app, caller).to_number == "1001011"  # the code, as the service speaks


@pytest.mark.parametrize("settings_overrides", [{"twilio_voice_numbers": OPERATORS_MAP}])
@pytest.mark.parametrize("spelling", ["+86 21 5001 1012", "0086-21-50011012", "02150011012"])
def test_the_twilio_number_is_recognised_however_it_is_spelt(
    app: Flask, caller: Caller, spelling: str
) -> None:
    caller.dial(spelling, DEMO_ZH)

    assert HOTLINE_ZH not in caller.last_heard
    assert _stored_call(app, caller).entry == "usage"  # 1001012


@pytest.mark.parametrize("settings_overrides", [{"twilio_voice_numbers": OPERATORS_MAP}])
def test_a_twilio_number_the_map_does_not_name_reaches_the_10010_menu(
    app: Flask, caller: Caller
) -> None:
    caller.dial("+862150019999", DEMO_ZH)

    assert HOTLINE_ZH in caller.last_heard
    assert _stored_call(app, caller).to_number == "+862150019999"


def test_outside_production_the_demo_map_is_the_default(caller: Caller) -> None:
    assert caller.twilio.settings.twilio_voice_numbers == ""
    caller.dial("+862131001011", DEMO_ZH)

    assert BALANCE_ZH in caller.last_heard


def test_a_bare_code_still_reaches_its_service(caller: Caller) -> None:
    """As on the carrier's own network, and as the SIP user part arrives."""
    caller.to_number = "1001011"
    caller.webhook("/voice/incoming", CallStatus="ringing")

    assert BALANCE_ZH in caller.last_heard


@pytest.mark.postgres
@pytest.mark.parametrize(
    "uri",
    [
        "sip:1001011@hotline-10010.sip.twilio.com",
        "sip:1001011@hotline-10010.sip.twilio.com;transport=tls",
        "sips:1001011@hotline-10010.sip.twilio.com:5061;transport=tls;user=phone",
        "SIP:+861001011@10.20.30.40",
    ],
)
def test_a_sip_call_to_1001011_hears_the_balance_first(
    app: Flask, caller: Caller, uri: str
) -> None:
    caller.dial(uri, DEMO_ZH)

    assert BALANCE_ZH in caller.last_heard
    assert HOTLINE_ZH not in caller.last_heard
    stored = _stored_call(app, caller)
    assert stored.entry == "balance"
    assert stored.to_number in {"1001011", "+861001011"}


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sip_from",
    [
        f"sip:{DEMO_ZH}@hotline-10010.sip.twilio.com",
        f"sip:+86{DEMO_ZH}@switch.example.net;user=phone",
        f"sips:%2B86-{DEMO_ZH[:3]}-{DEMO_ZH[3:7]}-{DEMO_ZH[7:]}@[2001:db8::1]:5061",
    ],
)
def test_a_sip_caller_is_the_number_in_its_user_part(
    app: Flask, caller: Caller, sip_from: str
) -> None:
    caller.dial("sip:1001011@hotline-10010.sip.twilio.com", sip_from)

    assert BALANCE_ZH in caller.last_heard  # 王芳's balance: she is known by her number
    assert _stored_call(app, caller).subscriber_id is not None


@pytest.mark.parametrize("sip_from", ["sip:front.desk@pbx.example.net", f"sip:{STRANGER}@x.y"])
def test_a_sip_caller_who_is_no_subscriber_is_taken_as_any_stranger(
    app: Flask, caller: Caller, sip_from: str
) -> None:
    caller.dial("sip:1001011@hotline-10010.sip.twilio.com", sip_from)

    assert BALANCE_ZH not in caller.last_heard
    assert caller.last_heard  # told what to do, not refused
    assert _stored_call(app, caller).subscriber_id is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("From", "sip:13800138000", "malformed From: not a SIP URI"),
        ("From", "sip:@x.sip.twilio.com", "malformed From: not a SIP URI"),
        ("From", "sip:138@x.sip.twilio.com?Subject=hi", "malformed From: not a SIP URI"),
        ("From", "sip:138 0013 8000@x.sip.twilio.com", "malformed From: a SIP URI's user part"),
        ("To", "sip:+@x.sip.twilio.com", "malformed To: a SIP URI's user part"),
        ("To", "sip:<script>@x.sip.twilio.com", "malformed To"),
        ("To", "sip:1001011@" + "x" * 600, "malformed To: not a SIP URI"),
    ],
)
def test_a_malformed_sip_uri_gets_400_saying_why_and_a_log_line(
    caller: Caller, caplog: pytest.LogCaptureFixture, field: str, value: str, reason: str
) -> None:
    caller.to_number = "sip:1001011@x.sip.twilio.com"
    with caplog.at_level(logging.WARNING):
        response = caller.twilio.post("/voice/incoming", caller.params(**{field: value}))

    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    [logged] = [r for r in caplog.records if r.getMessage() == "webhook.rejected"]
    assert reason in logged.__dict__["reason"]
    assert logged.__dict__["call_sid"] == caller.call_sid


# -- the map, checked at start --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10010:+862131010010", r"TWILIO_VOICE_NUMBERS must look like 10010=\+862131010010"),
        ("10086=+862131010010", "TWILIO_VOICE_NUMBERS: 10086 is not a number of this service"),
        ("10010=10010", r"TWILIO_VOICE_NUMBERS \(10010\) must be a number .*carrier codes"),
        ("10010=862131010010", r"TWILIO_VOICE_NUMBERS \(10010\) must be a number .*E\.164"),
        ("1001011=+8621", r"TWILIO_VOICE_NUMBERS \(1001011\) must be a number"),
        ("10010=+862131010010,10010=+862131010011", "10010 is mapped twice"),
        ("10010=+862131010010,1001011=+86 21 3101 0010", "stands for both 10010 and 1001011"),
    ],
)
def test_a_wrong_map_stops_the_start_naming_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"TWILIO_VOICE_NUMBERS": value})


@pytest.mark.parametrize("command", [["worker", "--once"], ["serve", "--prod"]])
def test_the_worker_and_the_server_stop_at_start_naming_it(
    command: list[str], tmp_path: Path
) -> None:
    output = refused_start(command, {"TWILIO_VOICE_NUMBERS": "1001011=1001011"}, tmp_path)

    assert "configuration: TWILIO_VOICE_NUMBERS (1001011) must be a number" in output


def test_the_map_is_kept_in_e164() -> None:
    settings = load_settings({"TWILIO_VOICE_NUMBERS": " 10010 = +86 21 5001-0010 ,"})

    assert settings.voice_numbers().by_code == (("10010", "+862150010010"),)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, LOCAL_VOICE_NUMBERS.split(",")),
        ({"IVR_ENV": "test"}, LOCAL_VOICE_NUMBERS.split(",")),
        ({"TWILIO_VOICE_NUMBERS": OPERATORS_MAP}, OPERATORS_MAP.split(",")),
    ],
)
def test_unset_the_demo_map_stands_outside_production(
    environ: dict[str, str], expected: list[str]
) -> None:
    pairs = load_settings(environ).voice_numbers().by_code

    assert [f"{code}={number}" for code, number in pairs] == expected


def test_production_has_no_demo_map() -> None:
    production = load_settings({}).with_overrides({"env": "production"})

    assert production.voice_numbers().by_code == ()
