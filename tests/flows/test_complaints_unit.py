"""Faults and complaints (flows.complaints), on the bench: an open ticket told first, the
category by key or by voice, the description recorded, the ticket number and the deadline,
the line reopened at once when paid up, an addition rather than a second ticket."""

from __future__ import annotations

import pytest

from complaints import tickets
from ivr.models import Call, Subscriber
from prompts import spoken
from sms_followup.reminders import SUSPENDED_ARREARS
from tests.support.caller import DEMO_ZH, STRANGER
from tests.support.clocks import TEST_START
from tests.support.flow_context import FlowBench, FlowCall

pytestmark = pytest.mark.clock(TEST_START, running=False)  # deadlines said to the minute


@pytest.fixture
def caller(bench: FlowBench) -> FlowCall:
    bench.subscriber(DEMO_ZH, balance_fen=5000)
    return bench.call(DEMO_ZH)


def file_earlier(bench: FlowBench, category: str) -> str:
    """A ticket DEMO_ZH filed before this call (not from a call): its number."""
    with bench.session() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        filed = tickets.file_complaint(
            session,
            subscriber,
            category,
            call=None,
            language="zh-CN",
            settings=bench.settings,
            now=bench.clock.now(),
        )
        return filed.ticket.number


def describe(bench: FlowBench, call: FlowCall) -> None:
    """What the recording webhook does once the caller has spoken after the beep."""
    with bench.session() as session:
        row = session.scalar(Call.by_sid(call.call_sid))
        assert row is not None
        tickets.describe(session, row, "https://api.twilio.test/RE1", 7, bench.clock.now())


def test_main_menu_3_asks_for_the_kind_of_problem(caller: FlowCall) -> None:
    heard = caller.at("main").press("3")

    assert caller.state == "complaint.category"
    assert heard.keys == ["menu.complaint"]


def test_a_caller_not_on_a_subscribers_phone_proves_a_number_first(bench: FlowBench) -> None:
    call = bench.call(STRANGER).at("main")
    call.press("3")
    assert call.state == "verify.number"


def test_a_category_opens_a_ticket_and_asks_for_a_description_after_the_beep(
    caller: FlowCall,
) -> None:
    heard = caller.at("complaint.category").press("3")

    assert caller.state == "complaint.recording"
    assert heard.keys == ["complaint.record"]
    assert heard.recording
    [opened] = caller.events("ticket.opened")
    assert (opened["category"], opened["queue"]) == ("network", "standard")


@pytest.mark.parametrize(
    ("words", "category"),
    [("网速慢", "network"), ("乱扣费", "billing"), ("无故停机", "abnormal_suspension")],
)
def test_the_category_may_be_said(caller: FlowCall, words: str, category: str) -> None:
    caller.at("complaint.category").say(words)
    assert caller.state == "complaint.recording"
    assert caller.events("ticket.opened")[0]["category"] == category


def test_once_described_the_caller_hears_the_ticket_number_and_the_deadline(
    bench: FlowBench, caller: FlowCall
) -> None:
    caller.at("complaint.category").press("3")
    number = caller.events("ticket.opened")[0]["ticket"]
    describe(bench, caller)

    heard = caller.enter()  # the recording webhook brings the call back

    assert caller.state == "complaint.filed"
    assert heard.keys[:3] == ["complaint.filed", "complaint.sms_after", "complaint.supervision"]
    assert number.startswith("310311")  # opened on 11 March 2031, Shanghai time
    assert heard.said[0] == (
        f"您的投诉已受理，工单号{spoken.phone_number(number, 'zh-CN')}。"
        "我们将在四十八小时内处理完毕，最迟于3月13日上午十点前答复您。"
    )


def test_paid_but_not_reopened_is_put_right_at_once_when_the_balance_allows(
    bench: FlowBench, caller: FlowCall
) -> None:
    with bench.session() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        subscriber.line_status = SUSPENDED_ARREARS

    heard = caller.at("complaint.category").press("1")

    assert caller.state == "complaint.filed"
    assert heard.keys[0] == "complaint.line_reopened"
    assert not heard.recording
    assert caller.events("line.reopened")


def line(bench: FlowBench, status: str, balance_fen: int) -> None:
    """DEMO_ZH's line has this status and this balance now."""
    with bench.session() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(DEMO_ZH))
        assert subscriber is not None
        subscriber.line_status = status
        subscriber.account.balance_fen = balance_fen


@pytest.mark.parametrize("status", ["active", SUSPENDED_ARREARS])
def test_paid_but_not_reopened_while_still_in_arrears_hears_the_amount_due_not_a_ticket(
    bench: FlowBench, caller: FlowCall, status: str
) -> None:
    line(bench, status, -2350)

    heard = caller.at("complaint.category").press("1")

    assert caller.state == "complaint.category"
    assert heard.keys == ["complaint.still_in_arrears", "payment.how", "menu.complaint"]
    assert heard.said[0].startswith("经查询，您的账户目前仍欠费二十三元五角，无需投诉")
    assert caller.events("ticket.opened") == []
    assert caller.events("complaint.not_needed")[0]["reason"] == "in_arrears"


def test_paid_but_not_reopened_on_an_open_line_in_credit_hears_it_is_open_not_a_ticket(
    caller: FlowCall,
) -> None:
    heard = caller.at("complaint.category").say("我交了钱还停机")

    assert caller.state == "complaint.category"
    assert heard.keys == ["complaint.line_open", "menu.complaint"]
    assert heard.said[0].startswith("经查询，您的号码状态正常，没有停机")
    assert caller.events("ticket.opened") == []


@pytest.mark.parametrize(
    ("status", "balance_fen"), [(SUSPENDED_ARREARS, 0), ("suspended_abnormal", 5000)]
)
def test_a_suspended_line_in_credit_the_service_cannot_reopen_files_an_urgent_ticket(
    bench: FlowBench, caller: FlowCall, status: str, balance_fen: int
) -> None:
    line(bench, status, balance_fen)

    heard = caller.at("complaint.category").press("1")

    assert caller.state == "complaint.recording"
    assert heard.recording
    [opened] = caller.events("ticket.opened")
    assert (opened["category"], opened["queue"]) == ("payment_not_reopened", "urgent")


def test_an_open_ticket_is_told_before_the_menu(bench: FlowBench, caller: FlowCall) -> None:
    file_earlier(bench, "billing")

    heard = caller.at("main").press("3")

    assert heard.keys == ["complaint.existing.open", "menu.complaint"]
    assert "我们将在3月13日上午十点前处理完毕" in heard.said[0]


def test_the_same_complaint_again_is_offered_as_an_addition_not_a_second_ticket(
    bench: FlowBench, caller: FlowCall
) -> None:
    file_earlier(bench, "network")

    heard = caller.at("complaint.category").press("3")

    assert caller.state == "complaint.add_offer"
    assert heard.keys == ["complaint.existing.open", "complaint.add_offer"]
    assert caller.events("ticket.opened") == []
    assert caller.press("1").recording


def test_after_the_ticket_9_is_the_main_menu(bench: FlowBench, caller: FlowCall) -> None:
    caller.at("complaint.category").press("3")
    describe(bench, caller)
    caller.enter()

    assert caller.press("9").keys == ["menu.main"]
