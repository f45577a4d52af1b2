"""The balance (flows.balance) and what every report shares (flows.report), on the bench: the
figures as said in words, arrears as arrears, what is recorded for the SMS, what next."""

from __future__ import annotations

import pytest

from tests.support.caller import DEMO_ZH, STRANGER
from tests.support.flow_context import FlowBench


@pytest.mark.parametrize(
    ("balance_fen", "said"),
    [
        (12345, "您的账户余额为一百二十三元四角五分。"),
        (100, "您的账户余额为一元。"),
        (1005, "您的账户余额为十元零五分。"),
        (5, "您的账户余额为五分。"),
        (0, "您的账户余额为零元。"),
    ],
)
def test_the_balance_is_said_in_yuan_jiao_and_fen(
    bench: FlowBench, balance_fen: int, said: str
) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=balance_fen)
    heard = bench.call(DEMO_ZH).at("balance").enter()
    assert heard.said[0] == said


def test_a_negative_balance_is_said_as_arrears_never_as_a_balance(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=-2350)

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.keys[0] == "report.arrears"
    assert heard.said[0] == "您已欠费二十三元五角，为避免停机，请及时缴费。"
    assert "余额为" not in heard.text


def test_this_months_charges_follow_with_todays_date(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345, month_charges_fen=5670)
    heard = bench.call(DEMO_ZH).at("balance").enter()
    assert heard.said[1] == "截至3月11日，本月已产生话费五十六元七角。"  # the clock: 2031-03-11


def test_an_english_subscriber_hears_it_in_english(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, language="en-US", balance_fen=8706)
    heard = bench.call(DEMO_ZH).at("balance").enter()
    assert heard.language == "en-US"
    assert heard.said[0] == "Your account balance is 87 yuan and 6 fen."


def test_the_figures_told_are_recorded_for_the_sms_after_the_call(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=-2350, month_charges_fen=8120)
    call = bench.call(DEMO_ZH).at("balance")

    heard = call.enter()

    assert call.queries == {
        "balance": {"balance_fen": -2350, "month_charges_fen": 8120, "as_of": "2031-03-11"}
    }
    assert heard.keys[-3:] == ["report.sms_after_call", "menu.after_report", "menu.switch_language"]


def test_after_the_report_the_next_choice_is_offered_in_the_other_language_too(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH)
    heard = bench.call(DEMO_ZH).at("balance").enter()
    assert heard.reply.lines[-1].language == "en-US"
    assert heard.said[-1] == "For English, press 2."
    assert heard.listening


def test_after_the_report_1_repeats_it(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345)
    call = bench.call(DEMO_ZH).at("balance")
    assert call.press("1").said[0] == "您的账户余额为一百二十三元四角五分。"
    assert call.state == "balance"


def test_after_the_report_2_repeats_it_in_the_other_language_and_back(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345)
    call = bench.call(DEMO_ZH).at("balance")

    assert call.press("2").said[0] == "Your account balance is 123 yuan and 45 fen."
    assert call.language == "en-US"
    assert call.press("2").said[0] == "您的账户余额为一百二十三元四角五分。"


def test_after_the_report_9_is_the_main_menu(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH)
    call = bench.call(DEMO_ZH).at("balance")
    assert call.press("9").keys == ["menu.main"]


def test_a_caller_who_is_no_subscriber_is_told_so_and_nothing_is_recorded(
    bench: FlowBench,
) -> None:
    call = bench.call(STRANGER).at("balance")

    heard = call.enter()

    assert call.state == "unknown_caller"
    assert heard.keys[0] == "caller.unknown"
    assert call.queries == {}
