"""Wrong keys, silence and speech not understood at a menu, on the bench: the menu asked again
after saying what went wrong, a strike counted, and after the last strike an agent (or, after
silence, a polite goodbye)."""

from __future__ import annotations

import pytest

from tests.support.caller import DEMO_EN, DEMO_ZH
from tests.support.flow_context import FlowBench


@pytest.fixture(autouse=True)
def subscribers(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, language="zh-CN")
    bench.subscriber(DEMO_EN, language="en-US")


def test_a_wrong_key_is_told_the_menu_asked_again_and_a_strike_counted(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("queries")

    heard = call.press("7")

    assert heard.keys == ["error.invalid", "menu.queries"]
    assert heard.text.startswith("对不起，您的输入有误。 查询余额和本月话费请按1")
    assert heard.listening
    assert (call.state, call.strikes) == ("queries", 1)
    assert call.events("reprompt") == [{"kind": "reprompt", "reason": "invalid", "strikes": 1}]


def test_silence_is_told_as_silence(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main")
    assert call.silence().keys == ["error.no_input", "menu.main"]
    assert call.strikes == 1


def test_silence_at_an_entry_is_told_as_nothing_entered_not_as_no_choice(
    bench: FlowBench,
) -> None:
    """A password or a number is keyed in, not chosen: "did not hear your choice" is wrong."""
    call = bench.call(DEMO_ZH).at("password.current")

    heard = call.silence()

    assert heard.keys == ["error.no_entry", "password.enter_current"]
    assert heard.text.startswith("对不起，没有收到您的按键输入。 请输入您的六位服务密码")
    assert heard.digits == 6


def test_the_last_silence_at_an_entry_ends_the_call_saying_nothing_was_entered(
    bench: FlowBench,
) -> None:
    call = bench.call(DEMO_EN).at("verify.number", strikes=2)

    heard = call.silence()

    assert heard.keys == ["goodbye.no_entry"]
    assert heard.hung_up


def test_speech_not_understood_says_what_can_be_said_in_the_callers_language(
    bench: FlowBench,
) -> None:
    call = bench.call(DEMO_EN).at("main")

    heard = call.say("the weather is nice")

    assert heard.keys == ["error.not_understood", "menu.main"]
    assert heard.text.startswith("Sorry, I did not understand what you said.")
    assert call.strikes == 1


def test_keys_that_are_not_dtmf_are_a_wrong_choice(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main")
    assert call.press("abc").keys[0] == "error.invalid"


def test_the_third_silence_ends_the_call_politely(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main", strikes=2)

    heard = call.silence()

    assert heard.keys == ["goodbye.no_input"]
    assert heard.hung_up
    assert [e["kind"] for e in call.events()][-1] == "call.gave_up"


def test_the_third_wrong_key_puts_the_caller_through_to_an_agent(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main", strikes=2)

    heard = call.press("7")

    assert not heard.hung_up
    assert call.state.startswith("expert_desk.")  # the general agents' line
    assert call.events("desk.topic")[0]["topic"] == "general"


@pytest.mark.parametrize("settings_overrides", [{"max_strikes": 2}])
def test_the_number_of_strikes_is_a_setting(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main")
    assert call.silence().keys == ["error.no_input", "menu.main"]
    assert call.silence().hung_up


def test_a_good_choice_starts_the_count_again(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("main", strikes=2)

    call.press("1")
    heard = call.press("7")

    assert (call.state, call.strikes) == ("queries", 1)
    assert heard.keys == ["error.invalid", "menu.queries"]
