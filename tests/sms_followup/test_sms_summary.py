"""After hangup, what was queried arrives by SMS: one message per call, never lost, never twice."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hotline.container import Hotline
from ivr.models import Call, CallQuery
from sms_followup.call_summary import compose
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER, Caller
from tests.support.sms import deliver, handset

pytestmark = pytest.mark.postgres


def outbox(hotline: Hotline) -> list[OutboxMessage]:
    with hotline.sessions() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_query_writes_a_held_summary_in_the_same_step(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", DEMO_ZH)
    [message] = outbox(hotline)
    assert message.status == "held"
    assert message.to_number == DEMO_ZH
    assert message.from_number == "10010"
    assert "账户余额123.45元，本月话费56.70元" in message.body
    with hotline.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CallQuery)) == 1


def test_held_summary_is_not_sent_while_the_call_goes_on(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", DEMO_ZH)
    assert deliver(hotline).sent == 0
    assert handset(hotline, DEMO_ZH) == []


def test_hangup_releases_one_sms_summarising_everything_queried(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("10010", DEMO_ZH).press("111").press("9").press("12").press("9").press("13")
    caller.press("1")  # hearing the bill again is not a new query
    caller.hang_up()
    assert deliver(hotline).sent == 1
    [sms] = handset(hotline, DEMO_ZH)
    assert sms.startswith("【中国联通】您")
    assert "账户余额123.45元" in sms
    assert "流量已用2.2GB，剩余2.8GB。" in sms  # 2.2 + 2.8 = the 5 GB plan
    assert "通话已用122分钟" in sms
    assert "账单93.00元" in sms
    assert sms.endswith("详询10010")
    [message] = outbox(hotline)
    assert message.status == "sent" and message.provider_sid.startswith("SM")


def test_summary_is_in_the_language_the_caller_ended_in(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", DEMO_ZH).press("2")
    caller.hang_up()
    deliver(hotline)
    [sms] = handset(hotline, DEMO_ZH)
    assert sms.startswith("China Unicom: results of your call on")
    assert "Balance CNY 123.45" in sms


def test_repeated_status_callbacks_send_it_once(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", DEMO_EN)
    caller.hang_up()
    caller.hang_up()
    deliver(hotline)
    caller.hang_up()
    deliver(hotline)
    assert len(handset(hotline, DEMO_EN)) == 1


def test_a_call_without_queries_sends_nothing(caller: Caller, hotline: Hotline) -> None:
    caller.dial("10010", DEMO_ZH).press("1")
    caller.hang_up()
    deliver(hotline)
    assert outbox(hotline) == []


def test_unknown_caller_gets_no_sms(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001011", STRANGER)
    caller.hang_up()
    assert outbox(hotline) == []


def test_sweeper_releases_the_summary_when_the_status_callback_never_comes(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("1001011", DEMO_ZH)
    assert hotline.engine.sweep_stale_calls() == 0
    with hotline.sessions.begin() as session:
        call = session.scalar(Call.by_sid(caller.call_sid))
        call.last_activity_at -= dt.timedelta(seconds=hotline.settings.call_stale_after_s + 1)
    result = deliver(hotline)
    assert (result.swept_calls, result.sent) == (1, 1)
    assert len(handset(hotline, DEMO_ZH)) == 1
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(caller.call_sid))
        assert call.end_reason == "swept"
    caller.hang_up()  # the late callback changes nothing
    assert deliver(hotline).sent == 0


def test_status_callback_records_duration_and_outcome(caller: Caller, hotline: Hotline) -> None:
    caller.dial("1001012", DEMO_ZH)
    caller.hang_up(duration=37)
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(caller.call_sid))
        assert (call.status, call.duration_s, call.end_reason) == ("completed", 37, "status")


@pytest.mark.parametrize(
    ("services", "queried_from", "header"),
    [
        (["balance"], None, "【中国联通】您3月11日来电查询结果："),
        (["roaming"], None, "【中国联通】您3月11日来电办理结果："),
        (["balance", "roaming"], None, "【中国联通】您3月11日来电查询及办理结果："),
        (
            ["roaming"],
            "13912345678",
            "【中国联通】尾号5678的电话于3月11日验证了您的服务密码并为您的号码办理了业务，结果：",
        ),
    ],
)
def test_the_header_says_what_the_call_did(
    services: list[str], queried_from: str | None, header: str
) -> None:
    """Issue 24: switching roaming on was reported as 来电查询结果 (results of a query)."""
    facts = {
        "balance": {"balance_fen": 12345, "month_charges_fen": 5670},
        "roaming": {"on": False},
    }
    at = dt.datetime(2031, 3, 11, 2, 0)
    queries = [CallQuery(service=s, facts=facts[s], at=at) for s in services]
    assert compose(queries, "zh-CN", queried_from).startswith(header)
