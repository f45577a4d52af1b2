"""The balance (flows.balance) and what every report shares (flows.report), on the bench: the
figures as said in words, arrears as arrears, what is recorded for the SMS, what next."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ivr.models import Subscriber
from sms_followup import reminders
from sms_followup.models import OutboxMessage
from sms_followup.settings import SmsSettings
from tests.support.caller import DEMO_ZH, STRANGER
from tests.support.clocks import TEST_START
from tests.support.flow_context import FlowBench


def reminders_run(bench: FlowBench) -> list[str]:
    """The reminders job runs now (it warns, suspends, reopens): the SMS it wrote."""
    reminders.run(bench.sessions, SmsSettings.of(bench.settings), bench.clock.now())
    with bench.session() as session:
        return list(session.scalars(sa.select(OutboxMessage.body).order_by(OutboxMessage.id)))


def pays(bench: FlowBench, balance_fen: int) -> None:
    """A payment reaches billing: the balance is this now."""
    with bench.session() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        subscriber.account.balance_fen = balance_fen


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
        "balance": {
            "balance_fen": -2350,
            "month_charges_fen": 8120,
            "as_of": "2031-03-11",
            "line_status": "active",
            "suspended_on": None,
            "low": {"kind": "warning.balance_low", "days": None},
            "warning_fen": 1000,
        }
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


def test_after_the_report_pound_repeats_it(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345)
    call = bench.call(DEMO_ZH).at("balance")
    assert call.press("#").said[0] == "您的账户余额为一百二十三元四角五分。"
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


# -- the line's state, as its SMS tells it (issue 24) ------------------------------------


@pytest.mark.clock(TEST_START, running=False)
def test_a_line_suspended_for_arrears_hears_since_when_and_how_to_reopen_it(
    bench: FlowBench,
) -> None:
    """After the SMS "号码已于3月11日停机", 1001011 must not say how to avoid suspension."""
    bench.subscriber(DEMO_ZH, balance_fen=-2350, month_charges_fen=8120)
    [notice] = reminders_run(bench)
    assert "号码已于3月11日停机" in notice

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.said[:4] == [
        "您的号码已于3月11日因欠费停机。",
        "目前欠费二十三元五角。",
        "缴费后账户余额大于零，号码即自动恢复开机。",
        "您可以通过中国联通手机营业厅、网上营业厅，或到联通营业厅缴纳话费。",
    ]
    assert "避免停机" not in heard.text


@pytest.mark.clock(TEST_START, running=False)
def test_a_suspended_line_is_told_so_in_english_too(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, language="en-US", balance_fen=-2350)
    reminders_run(bench)

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.said[:2] == [
        "Your line has been suspended since March 11th for non-payment.",
        "You owe 23 yuan and 50 fen.",
    ]
    assert "avoid suspension" not in heard.text


@pytest.mark.clock(TEST_START, running=False)
def test_a_suspended_line_that_has_paid_hears_it_reopens_and_how_to_reopen_it_now(
    bench: FlowBench,
) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=-2350)
    reminders_run(bench)
    pays(bench, 5000)

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.keys[:3] == ["report.suspended", "report.balance", "report.reopening"]
    assert heard.said[1] == "您的账户余额为五十元。"


@pytest.mark.clock(TEST_START, running=False)
def test_a_low_balance_hears_the_warning_its_sms_gives(bench: FlowBench) -> None:
    """The demo's heavy user: 1 yuan left after 199 yuan of charges this month."""
    bench.subscriber(DEMO_ZH, balance_fen=100, month_charges_fen=19900)
    [warning] = reminders_run(bench)
    assert "已低于10.00元" in warning

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.said[:2] == [
        "您的账户余额为一元。",
        "您的余额已不足十元，请及时缴费，以免欠费停机。",
    ]


@pytest.mark.clock(TEST_START, running=False)
def test_a_balance_spent_within_three_days_hears_by_when(bench: FlowBench) -> None:
    """50 yuan left, 199 spent in the first 11 days of March: gone in 3 days, by the 14th."""
    bench.subscriber(DEMO_ZH, balance_fen=5000, month_charges_fen=19900)
    [warning] = reminders_run(bench)
    assert "预计3天内用完" in warning

    heard = bench.call(DEMO_ZH).at("balance").enter()

    assert heard.said[1] == "按本月的消费，余额预计在3月14日前用完，请及时缴费，以免欠费停机。"


def test_a_healthy_balance_hears_no_warning(bench: FlowBench) -> None:
    bench.subscriber(DEMO_ZH, balance_fen=12345, month_charges_fen=5670)
    heard = bench.call(DEMO_ZH).at("balance").enter()
    assert heard.keys[:2] == ["report.balance", "report.month_charges"]
