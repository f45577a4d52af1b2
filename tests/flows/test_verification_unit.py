"""A caller who is no subscriber (flows.unknown_caller) proves a number with its password
(flows.verification), on the bench: told so, asked for the number and the password, then on
to the service they dialed, with the results texted to the number proved."""

from __future__ import annotations

import pytest

from accounts.passwords import DEMO_PASSWORD
from prompts import spoken
from tests.support.caller import DEMO_ZH, STRANGER
from tests.support.flow_context import FlowBench, FlowCall


@pytest.fixture
def stranger(bench: FlowBench) -> FlowCall:
    """A call from a phone that is no subscriber's, to the balance; DEMO_ZH exists."""
    bench.subscriber(DEMO_ZH, balance_fen=12345)
    return bench.call(STRANGER, "1001011")


def test_a_stranger_is_told_and_offered_to_verify_a_number_or_an_agent(
    stranger: FlowCall,
) -> None:
    heard = stranger.dial()

    assert stranger.state == "unknown_caller"
    assert heard.keys == [
        "greeting.direct",
        "caller.unknown",
        "verify.offer",
        "menu.unknown_caller",
    ]
    assert "不是联通用户" in heard.text


def test_key_1_asks_for_the_eleven_digit_number(stranger: FlowCall) -> None:
    heard = stranger.at("unknown_caller").press("1")

    assert stranger.state == "verify.number"
    assert (heard.keys, heard.digits) == (["verify.enter_number"], 11)


def test_key_0_reaches_an_agent(stranger: FlowCall) -> None:
    stranger.at("unknown_caller").press("0")
    assert stranger.state.startswith("expert_desk.")


def test_a_number_that_is_no_subscribers_is_said_so_and_asked_again(stranger: FlowCall) -> None:
    stranger.at("verify").enter()

    heard = stranger.press("13312345679")

    assert stranger.state == "verify.number"
    assert heard.keys == ["verify.not_subscriber", "verify.enter_number"]


def test_a_subscribers_number_asks_for_its_password(stranger: FlowCall) -> None:
    stranger.at("verify").enter()

    heard = stranger.press(DEMO_ZH)

    assert stranger.state == "verify.password"
    assert (heard.keys, heard.digits) == (["verify.enter_password"], 6)


def test_the_password_step_needs_a_number_first(stranger: FlowCall) -> None:
    stranger.at("verify.password").enter()
    assert stranger.state == "verify.number"


def test_a_wrong_password_from_another_phone_counts_toward_that_phones_limit(
    stranger: FlowCall,
) -> None:
    """Five tries a phone, not the owner's three: a stranger cannot lock the owner out."""
    stranger.at("verify").enter()
    stranger.press(DEMO_ZH)

    heard = stranger.press("000000")

    assert stranger.state == "verify.password"
    assert heard.keys == ["password.wrong", "verify.enter_password"]
    assert heard.said[0] == "密码错误，您还可以输入四次。"


def test_verified_the_caller_goes_on_to_the_service_dialed_with_the_sms_to_that_number(
    stranger: FlowCall,
) -> None:
    stranger.at("verify").enter()
    stranger.press(DEMO_ZH)

    heard = stranger.press(DEMO_PASSWORD)

    assert stranger.state == "balance"
    assert heard.keys[:2] == ["verify.succeeded", "report.balance"]
    assert heard.said[1] == "您的账户余额为一百二十三元四角五分。"
    assert "report.sms_to_number" in heard.keys  # not "to your phone"
    assert "balance" in stranger.queries


def test_the_verified_number_is_read_back_once_with_the_results_not_twice(
    stranger: FlowCall,
) -> None:
    """Verified, the caller hears the balance and where it goes, in one reply: the number
    they keyed in is read out once, not before the figures and again after them."""
    stranger.at("verify").enter()
    stranger.press(DEMO_ZH)

    heard = stranger.press(DEMO_PASSWORD)

    read_back = spoken.phone_number(DEMO_ZH, "zh-CN")
    assert heard.text.count(read_back) == 1
    assert heard.said[heard.keys.index("report.sms_to_number")] == (
        f"挂机后，查询结果将以短信发送到您验证的号码{read_back}，而不是您正在使用的这部电话。"
    )


def test_verified_from_the_hotline_the_caller_goes_to_the_queries_menu(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH)
    call = bench.call(STRANGER).at("unknown_caller")
    call.press("1")
    call.press(DEMO_ZH)

    call.press(DEMO_PASSWORD)

    assert call.state == "queries"
