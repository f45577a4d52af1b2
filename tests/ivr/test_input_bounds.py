"""Every integer and id a request carries is range-checked: ids are 1 … 2³¹−1 (as
openapi/webhooks.yaml says), durations and counts have sane bounds, and anything outside
gets a 400 and a log line, never a 500, an apology or a traceback. The supervisor's day
report is clamped to the days the desk has data for."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from expert_desk.demo import DEMO_PASSWORD
from ivr import logs, params
from tests.support.caller import Caller, TwilioClient
from tests.support.clocks import TestClock
from tests.support.desk import OPEN_ALL_DAY, STILL_AT_T0, T0, use_test_doubles, waiting_caller

pytestmark = STILL_AT_T0

HUGE = "99999999999999999999999"
OUT_OF_RANGE_IDS = ["0", str(2**31), HUGE, "-1", "0" * 30 + "7" * 40]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


def _call(**extra: str) -> dict[str, str]:
    return {
        "CallSid": "CA" + "ab" * 16,
        "From": "+8613800138000",
        "To": "10010",
        "CallStatus": "in-progress",
        **extra,
    }


def _refused(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- the helper ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "17", str(2**31 - 1)])
def test_an_id_in_range_is_read(raw: str) -> None:
    assert params.record_id(raw, "desk_call_id") == int(raw)


@pytest.mark.parametrize("raw", [*OUT_OF_RANGE_IDS, "", "abc", "1.5", "+1", " 1", "١"])
def test_an_id_out_of_range_or_malformed_is_refused(raw: str) -> None:
    with pytest.raises(params.BadWebhook, match="desk_call_id"):
        params.record_id(raw, "desk_call_id")


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", 0), ("42", 42), ("86400", 86400), ("", 7), (None, 7)]
)
def test_a_duration_in_range_is_read_and_a_missing_one_is_the_default(
    raw: str | None, expected: int
) -> None:
    form = {} if raw is None else {"CallDuration": raw}
    assert params.integer(form, "CallDuration", 7) == expected


@pytest.mark.parametrize("raw", ["-1", "86401", HUGE, "1e309", "NaN", "3.5", "x" * 5000])
def test_a_duration_out_of_range_or_malformed_is_refused(raw: str) -> None:
    with pytest.raises(params.BadWebhook, match="CallDuration"):
        params.integer({"CallDuration": raw}, "CallDuration", 0)


# -- voice webhooks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("CallDuration", "/voice/status"),
        ("QueuePosition", "/voice/queue/wait"),
        ("RecordingDuration", "/voice/desk/question"),
        ("RecordingDuration", "/voice/complaints/recording"),
        ("DialCallDuration", "/voice/desk/dialed/1"),
    ],
)
@pytest.mark.parametrize("value", ["-1", HUGE])
def test_an_integer_out_of_range_in_a_webhook_is_a_400_and_a_log_line(
    twilio: TwilioClient, caplog: pytest.LogCaptureFixture, name: str, path: str, value: str
) -> None:
    form = _call(**{name: value, "RecordingUrl": "https://api.twilio.com/r/RE1"})
    with caplog.at_level(logging.WARNING):
        response = twilio.post(path, form)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert name in response.get_data(as_text=True)
    assert [r.getMessage() for r in _refused(caplog)] == ["webhook.rejected"]


def test_a_plausible_call_duration_still_ends_the_call(caller: Caller) -> None:
    caller.dial("10010")
    assert caller.hang_up(duration=3600).status_code == 200


@pytest.mark.parametrize(
    "template",
    [
        "/voice/desk/connect/{}",
        "/voice/desk/dialed/{}",
        "/voice/desk/callback/{}/answer",
        "/voice/desk/callback/{}/status",
    ],
)
@pytest.mark.parametrize("desk_call_id", OUT_OF_RANGE_IDS)
def test_a_desk_call_id_out_of_range_is_a_400_and_a_log_line_not_an_apology(
    twilio: TwilioClient, caplog: pytest.LogCaptureFixture, template: str, desk_call_id: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = twilio.post(template.format(desk_call_id), _call(CallDuration="5"))

    assert response.status_code == 400, response.get_data(as_text=True)
    assert "2147483647" in response.get_data(as_text=True)
    refused = _refused(caplog)
    assert [r.getMessage() for r in refused] == ["request.bad_id"]
    assert not any(r.exc_info for r in caplog.records)
    assert len(refused[0].__dict__["value"]) <= logs.MAX_LOGGED + 10


# -- the console ----------------------------------------------------------------------------


def _login(client: FlaskClient, username: str) -> str:
    def token(path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(True))
        assert found
        return found.group(1)

    form = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token("/desk/login")}
    assert client.post("/desk/login", data=form).status_code == 302
    return token("/desk/")


@pytest.mark.parametrize("template", ["/desk/offers/{}/accept", "/desk/calls/{}/wrapup"])
@pytest.mark.parametrize("record_id", OUT_OF_RANGE_IDS)
def test_a_console_id_out_of_range_is_a_400_and_a_log_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, template: str, record_id: str
) -> None:
    csrf = _login(client, "li.na")
    with caplog.at_level(logging.WARNING):
        response = client.post(
            template.format(record_id),
            data={"csrf_token": csrf, "notes": "x", "disposition": "solved"},
        )

    assert response.status_code == 400
    assert [r.getMessage() for r in _refused(caplog)] == ["request.bad_id"]


@pytest.mark.parametrize("path", ["/desk/supervisor/report", "/desk/supervisor/report.csv"])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-01-01"])
def test_a_report_day_outside_the_data_is_clamped_to_it(
    app: Flask, client: FlaskClient, clock: TestClock, path: str, day: str
) -> None:
    desk = use_test_doubles(app)[0]
    waiting_caller(desk, "ios", at=T0 - dt.timedelta(days=3))
    _login(client, "chen.jing")

    response = client.get(f"{path}?day={day}")

    assert response.status_code == 200
    first, today = "2026-11-23", "2026-11-26"
    expected = today if day == "9999-12-31" else first
    body = response.get_data(as_text=True)
    assert expected in body
    assert "0001-01-01" not in body and "9999-12-31" not in body
    if path.endswith(".csv"):
        assert body.splitlines()[2].startswith(f"{first},ios,1,") or expected == today


def test_a_report_day_inside_the_data_is_kept(app: Flask, client: FlaskClient) -> None:
    desk = use_test_doubles(app)[0]
    waiting_caller(desk, "ios", at=T0 - dt.timedelta(days=3))
    _login(client, "chen.jing")

    csv = client.get("/desk/supervisor/report.csv?day=2026-11-24").get_data(as_text=True)

    assert csv.splitlines()[2].startswith("2026-11-24,ios,0,")


def test_without_any_data_the_report_day_is_today(client: FlaskClient) -> None:
    _login(client, "chen.jing")

    csv = client.get("/desk/supervisor/report.csv?day=0001-01-01").get_data(as_text=True)

    assert csv.splitlines()[1].startswith("2026-11-26,")


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/voice/status", "SequenceNumber", HUGE),
        ("/voice/desk/wait", "QueuePosition", "0"),
        ("/voice/queue/done", "QueueTime", "-5"),
        ("/voice/desk/wait", "CurrentQueueSize", "5001"),
    ],
)
def test_an_integer_twilio_sends_is_bounded_even_where_the_step_does_not_read_it(
    twilio: TwilioClient, caplog: pytest.LogCaptureFixture, path: str, name: str, value: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = twilio.post(path, _call(**{name: value}))

    assert response.status_code == 400
    assert f"{name} is not an integer from" in response.get_data(as_text=True)
    assert [r.getMessage() for r in _refused(caplog)] == ["webhook.rejected"]
