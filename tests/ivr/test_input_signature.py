"""What the signature check reads of a request it has not trusted yet: every value it logs
is clipped (an unsigned POST once wrote a 63 kB log line), and a parameter sent twice is
refused, signed or not (the check validated the first values while the app read them too,
so a second value rode along unsigned)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from ivr.logs import MAX_LOGGED, JsonFormatter, clip, log_event
from ivr.security import public_url
from tests.support.caller import Caller, TwilioClient

HUGE_SID = "CA" + "f" * 63_000


def _lines(caplog: pytest.LogCaptureFixture, event: str) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(r) for r in caplog.records if r.getMessage() == event]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/voice/incoming", "CallSid"),
        ("/voice/desk/connect/1", "CallSid"),
        ("/sms/incoming", "MessageSid"),
        ("/sms/status", "MessageSid"),
    ],
)
def test_an_unsigned_post_logs_its_sids_clipped(
    twilio: TwilioClient, caplog: pytest.LogCaptureFixture, path: str, field: str
) -> None:
    form = {field: field[:1] + "A" + "f" * 63_000, "From": "+8613800138000"}
    with caplog.at_level(logging.WARNING):
        response = twilio.post(path, form, signed=False)

    assert response.status_code == 403
    [line] = _lines(caplog, "webhook.signature_rejected")
    assert len(line) < 4 * MAX_LOGGED + 400
    entry = json.loads(line)
    logged = entry["call_sid" if field == "CallSid" else "message_sid"]
    kept, cut = logged.split("…(+")
    assert len(logged) <= MAX_LOGGED and form[field].startswith(kept)
    assert cut == f"{63_002 - len(kept)})"
    assert entry["path"] == path


def test_a_malformed_signed_request_logs_its_reason_clipped(
    twilio: TwilioClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = twilio.post("/voice/incoming", {"CallSid": HUGE_SID, "From": "1", "To": "2"})

    assert response.status_code == 400
    assert all(len(line) < 2000 for line in _lines(caplog, "webhook.rejected"))


def test_any_logger_with_request_data_in_extra_is_clipped_by_the_formatter() -> None:
    record = logging.makeLogRecord({"msg": "call.step_failed", "path": "/" + "p" * 100_000})
    assert len(JsonFormatter().format(record)) < MAX_LOGGED + 200


def test_log_event_clips_text_inside_lists_and_dicts_and_keeps_numbers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    long = "x" * 10_000
    with caplog.at_level(logging.INFO):
        log_event(logging.getLogger("t"), "e", n=12, ok=True, names=[long], detail={"a": long})

    record = caplog.records[-1]
    fields: dict[str, Any] = record.__dict__
    assert (fields["n"], fields["ok"]) == (12, True)
    assert fields["names"] == [clip(long)] and fields["detail"] == {"a": clip(long)}
    assert len(clip(long)) <= MAX_LOGGED and clip(clip(long)) == clip(long)
    assert clip("CA" + "0" * 32) == "CA" + "0" * 32


# -- repeated parameters ----------------------------------------------------------------------


def _repeated(caller: Caller) -> MultiDict[str, str]:
    form = MultiDict(caller.params().items())
    form.add("Digits", "1")
    form.add("Digits", "9")
    return form


def _post(twilio: TwilioClient, path: str, form: MultiDict[str, str], signed_over: Any) -> Any:
    url = public_url(twilio.settings.public_base_url, path)
    signature = twilio.validator.compute_signature(url, signed_over)
    return twilio.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_a_parameter_repeated_in_a_correctly_signed_request_is_a_400_and_a_log_line(
    caller: Caller, twilio: TwilioClient, caplog: pytest.LogCaptureFixture
) -> None:
    caller.dial("10010")
    form = _repeated(caller)

    with caplog.at_level(logging.WARNING):
        response = _post(twilio, "/voice/step", form, signed_over=form)

    assert response.status_code == 400
    assert "Digits sent more than once" in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if r.getMessage() == "webhook.repeated_parameter"]
    assert record.__dict__["names"] == ["Digits"]


def test_a_second_value_riding_on_a_signature_of_the_first_is_refused(
    caller: Caller, twilio: TwilioClient
) -> None:
    caller.dial("10010")
    form = _repeated(caller)

    response = _post(twilio, "/voice/step", form, signed_over=form.to_dict(flat=True))

    assert response.status_code in (400, 403)
    assert "<Response" not in response.get_data(as_text=True)


def test_a_repeated_parameter_without_a_signature_is_still_a_403(
    caller: Caller, twilio: TwilioClient
) -> None:
    caller.dial("10010")
    response = twilio.client.post("/voice/step", data=_repeated(caller))
    assert response.status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"validate_signatures": False}])
def test_a_repeated_parameter_is_refused_when_signatures_are_not_checked(
    caller: Caller, twilio: TwilioClient
) -> None:
    caller.dial("10010")
    response = twilio.client.post("/voice/step", data=_repeated(caller))
    assert response.status_code == 400


def test_values_repeated_in_the_query_string_only_are_signed_as_part_of_the_url(
    caller: Caller, twilio: TwilioClient
) -> None:
    caller.dial("10010")
    form = MultiDict(caller.params(Digits="1").items())
    assert _post(twilio, "/voice/step?a=1&a=2", form, signed_over=form).status_code == 200
