"""Building blocks: the TwiML parser, typed input, bridges and simulated time."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import twiml
from simulator.bridge import Bridge, BridgeFailed
from simulator.inputs import Hangup, Press, Silence, Speak, Wait, parse_typed
from simulator.timing import ScaledClock
from tests.support.polling import PATIENCE_S


def test_gather_defaults_follow_twilio() -> None:
    (gather,) = twiml.parse_document("<Response><Gather/></Response>")

    assert gather == twiml.Gather(
        input_modes=frozenset({"dtmf"}),
        num_digits=None,
        finish_on_key="#",
        timeout=5,
        speech_timeout="5",
        language="en-US",
        action=None,
        method="POST",
        action_on_empty_result=False,
    )


def test_nested_prompts_ssml_and_dial_nouns_parse() -> None:
    verbs = twiml.parse_document(
        "<Response>"
        '<Gather input="speech dtmf" finishOnKey="" numDigits="4">'
        '<Say voice="Polly.Zhiyu" language="cmn-CN">请<break time="1s"/>输入</Say>'
        '<Play loop="2">/a.wav</Play><Pause length="2"/>'
        "</Gather>"
        '<Dial timeout="20">+8610<Client>desk-3</Client></Dial>'
        "</Response>"
    )

    gather, dial = verbs
    assert isinstance(gather, twiml.Gather) and isinstance(dial, twiml.Dial)
    assert gather.input_modes == {"dtmf", "speech"}
    assert gather.finish_on_key == ""
    assert gather.prompts[0] == twiml.Say("请输入", "Polly.Zhiyu", "cmn-CN", 1)
    assert [(t.kind, t.value) for t in dial.targets] == [("number", "+8610"), ("client", "desk-3")]
    assert dial.timeout == 20


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('<Response><Gather numDigits="two"/></Response>', "not a whole number"),
        ('<Response><Gather input="keys"/></Response>', "input"),
        ("<Response><Connect/></Response>", "simulator cannot run it"),
        ("<Response><Say><Play>x</Play></Say></Response>", "cannot be nested in <Say>"),
        ("<Response><Redirect/></Response>", "must not be empty"),
        ('<Response><Reject reason="rude"/></Response>', "rejected or busy"),
        ("<Say>hi</Say>", "expected <Response>"),
    ],
)
def test_invalid_documents_explain_themselves(document: str, message: str) -> None:
    with pytest.raises(twiml.TwimlError, match=message):
        twiml.parse_document(document)


def _gather(attributes: str, said: str = "") -> str:
    return f"<Response><Gather {attributes}>{said}</Gather></Response>"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        pytest.param(
            '<Response><Say voice="Polly.Zhiyuu">你好</Say></Response>', "13511", id="no-such-voice"
        ),
        pytest.param(
            '<Response><Say voice="robot">hello</Say></Response>', "13511", id="no-such-basic-voice"
        ),
        pytest.param(
            '<Response><Say voice="Polly.Joanna" language="cmn-CN">你好</Say></Response>',
            "13511",
            id="polly-voice-in-another-language",
        ),
        pytest.param(
            '<Response><Say voice="Google.cmn-CN-Wavenet-A" language="en-US">hi</Say></Response>',
            "13511",
            id="google-voice-in-another-language",
        ),
        pytest.param(
            '<Response><Say voice="Polly.Zhiyu" language="zh-CN">你好</Say></Response>',
            "13511",
            id="say-language-no-voice-speaks",
        ),
        pytest.param(
            _gather('input="speech"', '<Say voice="Polly.Joanna" language="cmn-CN">你好</Say>'),
            "13321",
            id="voice-nested-in-gather",
        ),
        pytest.param(_gather('input="speech" language="en"'), "13331", id="gather-language-en"),
        pytest.param(
            _gather('input="dtmf speech" language="cmn-CN"'), "13331", id="gather-language-of-say"
        ),
        pytest.param(
            _gather('input="speech" hints="' + ",".join(["balance"] * 501) + '"'),
            "13330",
            id="501-hints",
        ),
        pytest.param(
            _gather('input="speech" hints="balance,' + "x" * 101 + '"'), "13330", id="long-hint"
        ),
    ],
)
def test_voices_languages_and_hints_twilio_refuses_are_refused_with_its_code(
    document: str, code: str
) -> None:
    with pytest.raises(twiml.TwimlError) as refused:
        twiml.parse_document(document)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "document",
    [
        '<Response><Say voice="Polly.Zhiyu" language="cmn-CN">你好</Say></Response>',
        '<Response><Say voice="Polly.Zhiyu-Neural">你好</Say></Response>',
        '<Response><Say voice="Polly.Joanna-Generative" language="en-US">hi</Say></Response>',
        '<Response><Say voice="Google.cmn-CN-Wavenet-A" language="cmn-CN">你好</Say></Response>',
        '<Response><Say voice="Google.en-US-Chirp3-HD-Aoede">hi</Say></Response>',
        '<Response><Say voice="alice" language="zh-CN">你好</Say></Response>',
        _gather('input="dtmf speech" language="cmn-Hans-CN" hints="查话费,转人工"'),
        _gather('input="speech" hints="' + ",".join(["balance"] * 500) + '"'),
    ],
)
def test_voices_languages_and_hints_twilio_accepts_pass(document: str) -> None:
    twiml.parse_document(document)


def test_wait_url_documents_may_not_dial() -> None:
    verbs = twiml.parse_document("<Response><Dial>123</Dial></Response>")

    with pytest.raises(twiml.TwimlError, match="not allowed in a waitUrl"):
        twiml.require_only(verbs, frozenset({"Say"}), "a waitUrl")


@pytest.mark.parametrize(
    ("line", "action"),
    [
        ("1 2 3", Press("123")),
        ("", Silence()),
        ('"查余额', Speak("查余额")),
        ("say 人工服务", Speak("人工服务")),
        ("h", Hangup()),
        ("wait 30", Wait(30.0)),
    ],
)
def test_typed_lines_become_actions(line: str, action: object) -> None:
    assert parse_typed(line) == action


@given(st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_the_shorter_talker_ends_the_bridge(caller_talk: float, callee_talk: float) -> None:
    bridge = Bridge.with_phone("caller", "phone", callee_talk)

    outcome = bridge.agree("caller", caller_talk, timeout=1)

    assert outcome.seconds == min(caller_talk, callee_talk)
    assert outcome.ended_by == ("caller" if caller_talk <= callee_talk else "phone")


def test_a_cancelled_bridge_fails_the_waiting_party() -> None:
    bridge = Bridge("caller", "agent")
    threading.Timer(0.01, bridge.cancel).start()

    with pytest.raises(BridgeFailed):
        bridge.agree("agent", math.inf, timeout=PATIENCE_S)


def test_time_scale_zero_never_sleeps_and_counts_simulated_time() -> None:
    interrupt = threading.Event()

    assert ScaledClock(0).sleep(3600, interrupt) == 3600
    with pytest.raises(ValueError):
        ScaledClock(-1)
