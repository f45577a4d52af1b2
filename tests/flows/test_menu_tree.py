"""10010: language, main menu, queries, service. Type-ahead, back, repeat, agent, speech."""

from __future__ import annotations

import re

import pytest

from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER, Caller


def in_general_line(caller: Caller) -> bool:
    """Through to the general agents' line (served as the expert desk's lines are): with
    nobody signed in, as in these tests, told so and offered a callback."""
    return caller.said[:1] == ["抱歉，目前没有人工客服在线。"] and caller.gather is not None


def test_10010_greets_in_mandarin_then_english_and_asks_for_a_language(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    says = list(caller.gather.iter("Say"))
    assert [s.get("language") for s in says] == ["cmn-CN", "cmn-CN", "cmn-CN", "en-US", "en-US"]
    assert says[1].text == "普通话请按1。"
    assert says[4].text == "For English, press 2."


HEARD_BY = {"cmn-CN": "cmn-Hans-CN", "en-US": "en-US"}
"""The <Gather language> that understands speech in each <Say language>."""


def _invites_speech(text: str) -> bool:
    """The prompt asks the caller to say something, not only to press a key."""
    return "说" in text or re.search(r"\bsay\b", text, re.IGNORECASE) is not None


@pytest.mark.parametrize(
    ("number", "listening"),
    [(DEMO_ZH, "cmn-Hans-CN"), (STRANGER, "cmn-Hans-CN"), (DEMO_EN, "en-US")],
)
def test_the_language_menu_invites_speech_only_in_the_language_it_listens_in(
    caller: Caller, number: str, listening: str
) -> None:
    """One recogniser listens at a time: a caller asked to speak in the other language
    would not be understood, so that language offers its key alone."""
    caller.dial("10010", number)
    for _ in range(2):  # as the call comes in, and again after words it did not understand
        gather = caller.gather
        assert gather is not None and gather.get("language") == listening
        invited = {
            HEARD_BY[say.get("language", "")]
            for say in gather.iter("Say")
            if _invites_speech(say.text or "")
        }
        assert invited == {listening}, caller.said
        caller.say("天气怎么样" if listening == "cmn-Hans-CN" else "the weather")


@pytest.mark.parametrize(
    ("number", "words", "menu"),
    [
        (DEMO_ZH, "普通话", "查询业务请按1"),
        (DEMO_ZH, "英语", "For account queries, press 1."),
        (DEMO_EN, "English", "For account queries, press 1."),
        (DEMO_EN, "Mandarin", "查询业务请按1"),
    ],
)
def test_the_languages_the_menu_invites_to_say_are_understood(
    caller: Caller, number: str, words: str, menu: str
) -> None:
    caller.dial("10010", number).say(words)
    assert caller.last_heard.startswith(menu)


def test_balance_is_four_levels_deep_by_single_keys(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH)
    caller.press("1")
    assert caller.last_heard.startswith("查询业务请按1")
    caller.press("1")
    assert caller.last_heard.startswith("查询余额和本月话费请按1")
    caller.press("1")
    assert "您的账户余额为一百二十三元四角五分" in caller.last_heard


def test_english_path_to_usage(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("2").press("1").press("2")
    assert "You have used 2.2 gigabytes of domestic data" in caller.last_heard


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("111", "您的账户余额为"),
        ("112", "本月国内流量已使用"),
        ("113", "账单合计"),
        ("213", "Your bill for"),
    ],
)
def test_type_ahead_from_the_language_menu(caller: Caller, keys: str, expected: str) -> None:
    caller.dial("10010", DEMO_ZH).press(keys)
    assert expected in caller.last_heard


def test_type_ahead_11_at_the_main_menu_reaches_the_balance(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("11")
    assert "您的账户余额为" in caller.last_heard


def test_star_goes_back_one_level(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("11")
    assert caller.last_heard.startswith("查询余额")
    caller.press("*")
    assert caller.last_heard.startswith("查询业务请按1")
    caller.press("*")
    assert "普通话请按1" in caller.last_heard


def test_pound_repeats_the_menu(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("#")
    assert caller.last_heard.startswith("查询业务请按1")


@pytest.mark.parametrize("keys", ["0", "10", "110"])
def test_zero_reaches_an_agent_from_anywhere(caller: Caller, keys: str) -> None:
    caller.dial("10010", DEMO_ZH)
    for key in keys:
        caller.press(key)
    assert in_general_line(caller)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("查余额", "您的账户余额为"),
        ("我想查一下话费", "您的账户余额为"),
        ("还剩多少流量", "本月国内流量已使用"),
        ("查账单", "账单合计"),
    ],
)
def test_mandarin_speech_at_the_main_menu(caller: Caller, words: str, expected: str) -> None:
    caller.dial("10010", DEMO_ZH).press("1").say(words)
    assert expected in caller.last_heard


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("check my balance", "Your account balance is"),
        ("how much data do I have left", "You have used"),
        ("my bill please", "Your bill for"),
    ],
)
def test_english_speech_at_the_main_menu(caller: Caller, words: str, expected: str) -> None:
    caller.dial("10010", DEMO_EN).press("2").say(words)
    assert expected in caller.last_heard


def test_saying_english_at_the_language_menu_chooses_english(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).say("English")
    assert caller.last_heard.startswith("For account queries, press 1.")
    assert caller.gather.get("language") == "en-US"


def test_asking_for_a_person_by_voice_reaches_an_agent(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").say("转人工")
    assert in_general_line(caller)


def test_main_menu_2_is_the_services_menu(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("2")
    assert caller.last_heard.startswith("服务密码修改和找回请按1")


def test_main_menu_3_is_faults_and_complaints(caller: Caller) -> None:
    caller.dial("10010", DEMO_ZH).press("1").press("3")
    assert caller.last_heard.startswith("缴费后仍未恢复开机请按1")
