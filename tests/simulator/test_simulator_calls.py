"""The simulated call follows TwiML like Twilio: Say, Gather, Redirect, Record, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.inputs import Hangup, Press, Silence, Speak, Wait
from simulator.network import Network, NetworkConfig
from simulator.result import APPLICATION_ERROR_MESSAGE
from tests.support.live import free_port
from tests.support.simulator import HANDSET, SERVICE, Harness, response, say

MENU = response(
    '<Gather action="/voice/menu" numDigits="1" timeout="3">',
    say("欢迎致电中国联通", "cmn-CN"),
    "</Gather>",
    say("No input received. Goodbye."),
)


@pytest.fixture
def sim() -> Iterator[Harness]:
    with Harness() as harness:
        yield harness


def test_every_request_is_signed_and_carries_twilio_parameters(sim: Harness) -> None:
    sim.app.route("/voice/incoming", MENU)
    sim.app.route("/voice/menu", lambda p: response(say(f"You chose {p['Digits']}")))
    sim.app.route("/voice/status", "")

    result = sim.network.call(SERVICE, HANDSET, [Press("2")])

    assert [r.path for r in sim.app.received] == ["/voice/incoming", "/voice/menu", "/voice/status"]
    assert all(r.signed for r in sim.app.received)
    first, menu, _ = sim.app.received
    assert first.params["CallStatus"] == "ringing"
    assert menu.params["CallStatus"] == "in-progress"
    for name in ("AccountSid", "From", "To", "Called", "Caller"):
        assert name in first.params
    assert first.params["Direction"] == "inbound"
    assert first.params["ApiVersion"] == "2010-04-01"
    assert first.params["CallSid"].startswith("CA") and len(first.params["CallSid"]) == 34
    assert menu.params["Digits"] == "2"
    assert result.ok, result.errors
    assert [(h.text, h.language) for h in result.transcript] == [
        ("欢迎致电中国联通", "cmn-CN"),
        ("You chose 2", "en-US"),
    ]
    assert [r.status for r in result.requests] == [200, 200, 200]


def test_gather_finish_key_ends_input_and_is_not_in_digits(sim: Harness) -> None:
    sim.app.route("/voice/incoming", response('<Gather action="/voice/number" finishOnKey="#"/>'))
    sim.app.route("/voice/number", response(say("ok")))

    sim.network.call(SERVICE, HANDSET, [Press("1234#9")])

    params = sim.app.requests_to("/voice/number")[0].params
    assert params["Digits"] == "1234"
    assert params["FinishedOnKey"] == "#"


def test_gather_with_empty_finish_key_keeps_the_hash(sim: Harness) -> None:
    sim.app.route("/voice/incoming", response('<Gather action="/voice/n" finishOnKey=""/>'))
    sim.app.route("/voice/n", response(say("ok")))

    sim.network.call(SERVICE, HANDSET, [Press("12#")])

    assert sim.app.requests_to("/voice/n")[0].params["Digits"] == "12#"


def test_hash_first_is_no_input_and_falls_through(sim: Harness) -> None:
    sim.app.route("/voice/incoming", MENU)

    result = sim.network.call(SERVICE, HANDSET, [Press("#")])

    assert sim.app.requests_to("/voice/menu") == []
    assert result.transcript[-1].text == "No input received. Goodbye."
    assert result.hung_up_by == "service"


def test_silence_falls_through_to_the_next_verb(sim: Harness) -> None:
    sim.app.route("/voice/incoming", MENU)

    result = sim.network.call(SERVICE, HANDSET, [Silence()])

    assert result.transcript[-1].text == "No input received. Goodbye."
    assert result.status == "completed"


def test_speech_reaches_the_action_only_when_speech_is_an_input(sim: Harness) -> None:
    sim.app.route(
        "/voice/incoming",
        response(
            '<Gather input="dtmf speech" language="cmn-Hans-CN" action="/voice/said">',
            say("请说出您要办理的业务", "cmn-CN"),
            "</Gather>",
            '<Gather action="/voice/said"/>',
            say("bye"),
        ),
    )
    sim.app.route("/voice/said", response('<Redirect method="POST">/voice/dtmf-only</Redirect>'))
    sim.app.route("/voice/dtmf-only", response('<Gather action="/voice/said"/>', say("no speech")))

    result = sim.network.call(SERVICE, HANDSET, [Speak("查余额", 0.8), Speak("hello")])

    said = sim.app.requests_to("/voice/said")
    assert len(said) == 1
    assert said[0].params["SpeechResult"] == "查余额"
    assert said[0].params["Confidence"] == "0.80"
    assert result.transcript[-1].text == "no speech"


def test_relative_urls_resolve_against_the_document_url(sim: Harness) -> None:
    sim.app.route("/voice/incoming", response("<Redirect>flows/start?step=1</Redirect>"))
    sim.app.route("/voice/flows/start", response("<Redirect>../end</Redirect>"))
    sim.app.route("/voice/end", response(say("the end")))

    result = sim.network.call(SERVICE, HANDSET)

    assert [r.path for r in sim.app.received][:3] == [
        "/voice/incoming",
        "/voice/flows/start",
        "/voice/end",
    ]
    assert sim.app.requests_to("/voice/flows/start")[0].params["step"] == "1"
    assert result.heard_text == "the end"


def test_play_records_the_prompt_text_header(sim: Harness) -> None:
    from flask import Response

    sim.app.route(
        "/voice/incoming",
        response("<Play>/prompts/welcome.wav</Play><Play>/prompts/raw.wav</Play>"),
    )
    sim.app.route(
        "/prompts/welcome.wav",
        lambda _: Response(
            b"RIFF", headers={"X-Prompt-Text": "%E6%AC%A2%E8%BF%8E"}, mimetype="audio/wav"
        ),
    )
    sim.app.route("/prompts/raw.wav", lambda _: Response(b"RIFF", mimetype="audio/wav"))

    result = sim.network.call(SERVICE, HANDSET)

    assert [h.text for h in result.transcript] == ["欢迎", f"{sim.base_url}/prompts/raw.wav"]
    assert result.ok


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<Response><Say>unclosed</Response>", "12100"),
        ("<Response><Sing>la</Sing></Response>", "12200"),
        ("<Response><Gather><Dial>123</Dial></Gather></Response>", "12200"),
        ("not xml at all", "12100"),
    ],
)
def test_invalid_twiml_is_an_application_error(sim: Harness, body: str, code: str) -> None:
    sim.app.route("/voice/incoming", body)

    result = sim.network.call(SERVICE, HANDSET)

    assert [e.code for e in result.errors] == [code]
    assert result.errors[0].fatal
    assert result.transcript[-1].text == APPLICATION_ERROR_MESSAGE
    assert result.hung_up_by == "network"


def test_http_error_from_the_app_is_11200(sim: Harness) -> None:
    result = sim.network.call(SERVICE, HANDSET)  # no route: 404

    assert result.errors[0].code == "11200"
    assert "404" in result.errors[0].message
    assert result.transcript[-1].text == APPLICATION_ERROR_MESSAGE


def test_a_service_that_does_not_answer_is_an_application_error_saying_why() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    network = Network(NetworkConfig(base_url=base_url))

    result = network.call(SERVICE, HANDSET, [Press("1")])
    network.close()

    assert [(e.code, e.message, e.url, e.fatal) for e in result.errors] == [
        ("11205", "Connection refused", f"{base_url}/voice/incoming", True),
        ("11205", "status callback: Connection refused", f"{base_url}/voice/status", False),
    ]
    assert [h.text for h in result.transcript] == [APPLICATION_ERROR_MESSAGE]
    assert result.hung_up_by == "network"


def test_status_callback_fires_on_caller_hangup_with_duration(sim: Harness) -> None:
    sim.app.route(
        "/voice/incoming",
        response(
            '<Pause length="7"/>', MENU.removeprefix("<Response>").removesuffix("</Response>")
        ),
    )
    sim.app.route("/voice/status", "")

    result = sim.network.call(SERVICE, HANDSET, [Hangup()])

    status = sim.app.requests_to("/voice/status")[0].params
    assert status["CallStatus"] == "completed"
    assert int(status["CallDuration"]) >= 7
    assert status["CallDuration"] == str(int(result.duration))
    assert status["SequenceNumber"] == "0"
    assert status["Timestamp"]
    assert result.hung_up_by == "caller"


def test_busy_outcome_only_sends_the_status_callback(sim: Harness) -> None:
    sim.app.route("/voice/status", "")

    result = sim.network.call(SERVICE, HANDSET, outcome="busy")

    assert [r.path for r in sim.app.received] == ["/voice/status"]
    assert sim.app.received[0].params["CallStatus"] == "busy"
    assert result.status == "busy"


def test_record_posts_a_recording_the_app_can_fetch(sim: Harness) -> None:
    import requests

    sim.app.route("/voice/incoming", response('<Record action="/voice/recorded" maxLength="30"/>'))
    sim.app.route("/voice/recorded", response(say("thanks")))

    sim.network.call(SERVICE, HANDSET, [Speak("my line is broken"), Press("#")])

    params = sim.app.requests_to("/voice/recorded")[0].params
    assert params["Digits"] == "#"
    assert int(params["RecordingDuration"]) >= 1
    audio = requests.get(params["RecordingUrl"], timeout=5)
    assert audio.status_code == 200
    assert audio.content.startswith(b"RIFF")


def test_reject_ends_the_call_busy(sim: Harness) -> None:
    sim.app.route("/voice/incoming", response('<Reject reason="busy"/>'))

    assert sim.network.call(SERVICE, HANDSET).status == "busy"


@pytest.mark.parametrize(
    ("outcome", "status", "duration"),
    [("completed", "completed", "20"), ("busy", "busy", "0"), ("no-answer", "no-answer", "0")],
)
def test_dial_number_reports_how_the_dialled_party_answered(
    sim: Harness, outcome: str, status: str, duration: str
) -> None:
    sim.network.set_outcome("+861012345", outcome)
    sim.network.set_script("+861012345", [Wait(20), Hangup()])
    sim.app.route("/voice/incoming", response('<Dial action="/voice/dialed">+861012345</Dial>'))
    sim.app.route("/voice/dialed", lambda p: response(say(p["DialCallStatus"])))

    result = sim.network.call(SERVICE, HANDSET, [Wait(60), Hangup()])

    dialed = sim.app.requests_to("/voice/dialed")[0].params
    assert (dialed["DialCallStatus"], dialed["DialCallDuration"]) == (status, duration)
    assert result.transcript[-1].text == status
