"""The menu tree (flows.menus) and where each number enters (flows.ENTRIES), on the bench:
which state a key, a word or silence leads to, and in which language."""

from __future__ import annotations

import pytest

from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER
from tests.support.flow_context import FlowBench


@pytest.fixture(autouse=True)
def subscribers(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, language="zh-CN", balance_fen=12345)
    bench.subscriber(DEMO_EN, language="en-US", balance_fen=8706)


def test_10010_greets_and_offers_each_language_in_its_own_language(bench: FlowBench) -> None:
    heard = bench.call(DEMO_ZH).dial()

    assert heard.keys == [
        "greeting.hotline", "menu.language", "menu.language_by_speech",
        "greeting.hotline", "menu.language",
    ]  # fmt: skip
    assert [line.language for line in heard.reply.lines] == ["zh-CN"] * 3 + ["en-US"] * 2
    assert heard.said[1] == "普通话请按1。"
    assert heard.said[4] == "For English, press 2."
    assert heard.listening


@pytest.mark.parametrize(
    ("dialed", "state"),
    [
        ("10010", "language"),
        ("1001011", "balance"),
        ("1001012", "usage"),
        ("1001013", "bill"),
        ("1001015", "password"),
    ],
)
def test_each_number_enters_its_own_state(bench: FlowBench, dialed: str, state: str) -> None:
    call = bench.call(DEMO_ZH, dialed)
    call.dial()
    assert call.state == state


def test_a_direct_code_greets_once_before_the_service(bench: FlowBench) -> None:
    heard = bench.call(DEMO_ZH, "1001015").dial()
    assert heard.keys == ["greeting.direct", "menu.password"]


def test_an_unregistered_line_is_told_to_register_before_the_menu(bench: FlowBench) -> None:
    bench.subscriber("13700137000", real_name_verified=False)
    heard = bench.call("13700137000", "1001015").dial()
    assert heard.keys == ["greeting.direct", "notice.real_name", "menu.password"]


@pytest.mark.parametrize(("key", "language"), [("1", "zh-CN"), ("2", "en-US")])
def test_a_key_at_the_language_menu_opens_the_main_menu_in_that_language(
    bench: FlowBench, key: str, language: str
) -> None:
    call = bench.call(DEMO_ZH)
    call.dial()

    heard = call.press(key)

    assert (call.state, call.language, heard.language) == ("main", language, language)
    assert heard.keys == ["menu.main"]


def test_key_1_speaks_the_main_menu_in_mandarin(bench: FlowBench) -> None:
    call = bench.call(DEMO_EN)
    call.dial()
    assert call.press("1").text.startswith("查询业务请按1")


def test_saying_english_at_the_language_menu_chooses_english(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH)
    call.dial()

    heard = call.say("English")

    assert (call.state, heard.language) == ("main", "en-US")
    assert heard.text.startswith("For account queries, press 1.")


@pytest.mark.parametrize(
    ("number", "language"), [(DEMO_EN, "en-US"), (DEMO_ZH, "zh-CN"), (STRANGER, "zh-CN")]
)
def test_silence_at_the_language_menu_goes_on_in_the_callers_language_without_a_strike(
    bench: FlowBench, number: str, language: str
) -> None:
    call = bench.call(number)
    call.dial()

    heard = call.silence()

    assert (call.state, heard.language, call.strikes) == ("main", language, 0)
    assert heard.keys == ["menu.main"]


@pytest.mark.parametrize(
    ("key", "state", "first"),
    [
        ("1", "queries", "menu.queries"),
        ("2", "services", "menu.services"),
        ("3", "complaint.category", "menu.complaint"),
        ("4", "expert_desk", "desk.welcome"),
    ],
)
def test_the_main_menu_keys(bench: FlowBench, key: str, state: str, first: str) -> None:
    call = bench.call(DEMO_ZH).at("main")
    heard = call.press(key)
    assert (call.state, heard.keys[0]) == (state, first)


def test_the_menus_say_it_as_native_speakers_do(bench: FlowBench) -> None:
    """Issue 24: 其他业务办理请按0; "the smart phone expert desk"."""
    services = bench.call(DEMO_ZH).at("main").press("2")
    assert "办理其他业务请按0转人工服务" in services.said[0]
    main = bench.call(DEMO_EN).at("main").enter()
    assert "For the smartphone expert desk, press 4." in main.said[0]


@pytest.mark.parametrize(("key", "state"), [("1", "balance"), ("2", "usage"), ("3", "bill")])
def test_the_queries_menu_keys(bench: FlowBench, key: str, state: str) -> None:
    call = bench.call(DEMO_ZH).at("queries")
    call.press(key)
    assert call.state == state


def test_keys_typed_ahead_pass_through_the_menus_to_the_balance(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH)
    call.dial()

    heard = call.press("111")

    assert call.state == "balance"
    assert heard.keys[0] == "report.balance"
    assert [e["keys"] for e in call.events("input.keys")] == ["1", "1", "1"]


def test_star_goes_back_one_level_and_pound_repeats(bench: FlowBench) -> None:
    call = bench.call(DEMO_ZH).at("queries")

    assert call.press("#").keys == ["menu.queries"]
    assert call.press("*").keys == ["menu.main"]
    assert call.press("*").keys == [
        "greeting.hotline", "menu.language", "menu.language_by_speech",
        "greeting.hotline", "menu.language",
    ]  # fmt: skip
    assert call.state == "language"


@pytest.mark.parametrize(
    ("words", "state"),
    [("查余额", "balance"), ("还剩多少流量", "usage"), ("查账单", "bill"), ("改密码", "password")],
)
def test_a_service_named_at_a_menu_is_reached_at_once(
    bench: FlowBench, words: str, state: str
) -> None:
    call = bench.call(DEMO_ZH).at("main")
    call.say(words)
    assert call.state == state
