"""A caller not on the subscriber's phone proves the number and its service password."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from accounts import passwords
from accounts.passwords import DEMO_PASSWORD, ServicePassword
from accounts.verification import CallAuth
from hotline.container import Hotline
from ivr.models import Call, CallQuery, Subscriber
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_EN, DEMO_ZH, STRANGER, Caller

WRONG = "864209"


def _call(hotline: Hotline, call_sid: str) -> Call:
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(call_sid))
        session.expunge(call)
        return call


def _subscriber_id(hotline: Hotline, msisdn: str) -> int:
    with hotline.sessions() as session:
        return int(session.scalar(sa.select(Subscriber.id).where(Subscriber.msisdn == msisdn)))


def test_an_unknown_caller_is_offered_verification(caller: Caller) -> None:
    caller.dial("1001011", STRANGER)
    assert caller.last_heard == (
        "中国联通自助查询。 对不起，您使用的号码不是联通用户，无法查询账户信息。 "
        "如需查询联通号码，请按1，输入号码和服务密码。 人工服务请按0，或直接挂机。"
    )
    caller.press("1")
    assert caller.last_heard == "请输入要办理的十一位联通手机号码，以井号键结束。"
    assert caller.gather.get("numDigits") == "11"
    assert caller.gather.get("input") == "dtmf"


@pytest.mark.postgres
def test_a_verified_foreign_caller_hears_the_service_they_dialed(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("1001011", STRANGER).press("1").press(DEMO_ZH)
    assert caller.last_heard == "请输入该号码的六位服务密码，以井号键结束。"
    caller.press(DEMO_PASSWORD)
    assert caller.last_heard.startswith("验证成功。 您的账户余额为一百二十三元四角五分。")
    caller.hang_up()
    with hotline.sessions() as session:
        summary = session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "call_summary")
        )
        auth = session.scalar(sa.select(CallAuth))
    assert (summary.to_number, summary.status) == (DEMO_ZH, "pending")  # the owner's phone
    assert summary.body.startswith(  # worded for an owner who did not call
        f"【中国联通】尾号{STRANGER[-4:]}的电话于"
    )
    assert "验证了您的服务密码并查询了您的号码，结果：" in summary.body
    assert auth.verified_subscriber_id == _subscriber_id(hotline, DEMO_ZH)


def test_after_the_report_a_verified_caller_is_told_the_results_go_to_that_number(
    caller: Caller,
) -> None:
    caller.dial("1001011", STRANGER).press("1").press(DEMO_ZH).press(DEMO_PASSWORD)
    assert (
        "挂机后，查询结果将以短信发送到您验证的号码幺三八零零幺三八零零零，"
        "而不是您正在使用的这部电话。"
    ) in caller.said
    assert "挂机后，查询结果将以短信发送到您的手机。" not in caller.said


def test_verification_is_per_call_and_kept_in_the_database(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    caller.dial("10010", STRANGER).press("1").press("2").press("2")  # services, other number
    caller.press(DEMO_ZH).press(DEMO_PASSWORD)
    queries_menu = "查询余额和本月话费请按1"
    assert caller.last_heard.startswith("验证成功。 " + queries_menu)
    assert _call(hotline, caller.call_sid).subscriber_id == _subscriber_id(hotline, DEMO_ZH)
    caller.press("2")  # a later webhook: still verified
    assert "本月国内流量已使用二点二G" in caller.last_heard
    other = Caller(twilio).dial("1001011", STRANGER)
    assert "不是联通用户" in other.last_heard
    assert _call(hotline, other.call_sid).subscriber_id is None


def test_a_number_that_is_not_a_subscriber_is_asked_again(caller: Caller) -> None:
    caller.dial("1001011", STRANGER).press("1").press("13312340000")
    assert caller.last_heard == (
        "您输入的号码不是联通用户，请重新输入。 请输入要办理的十一位联通手机号码，以井号键结束。"
    )


def test_a_short_number_is_a_wrong_choice(caller: Caller) -> None:
    caller.dial("1001011", STRANGER).press("1").press("1380013")
    assert caller.last_heard.startswith("对不起，您的输入有误。 请输入要办理的十一位联通手机号码")


@pytest.mark.postgres
def test_a_strangers_wrong_passwords_count_against_the_stranger_not_the_owner(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    caller.dial("1001011", STRANGER).press("1").press(DEMO_ZH).press(WRONG)
    assert caller.last_heard.startswith("密码错误，您还可以输入四次。 请输入该号码的六位服务密码")
    caller.press(WRONG).press(WRONG)
    assert caller.last_heard.startswith("密码错误，您还可以输入两次。 请输入该号码的六位服务密码")
    assert _call(hotline, caller.call_sid).subscriber_id is None
    owner = Caller(twilio).dial("1001015", DEMO_ZH).press("1").press(DEMO_PASSWORD)
    assert owner.last_heard.startswith("请输入新的六位服务密码")
    with hotline.sessions() as session:
        notices = session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.to_number == DEMO_ZH)
        ).all()
    assert "password_locked" not in notices


def test_a_foreign_caller_can_change_the_password_after_proving_it(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("1001015", STRANGER).press("1")
    assert caller.last_heard.startswith("请输入要办理的十一位联通手机号码")
    caller.press(DEMO_EN).press(DEMO_PASSWORD)
    assert caller.last_heard.startswith("验证成功。 请输入新的六位服务密码")
    caller.press("246813").press("246813")
    assert caller.last_heard.startswith("您的服务密码已修改成功")
    owner_id = _subscriber_id(hotline, DEMO_EN)
    with hotline.sessions() as session:
        notice = session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "password_changed")
        )
        record = session.scalar(
            sa.select(ServicePassword).where(ServicePassword.subscriber_id == owner_id)
        )
    assert notice.to_number == DEMO_EN and notice.language == "en-US"
    assert passwords.matches(record.password_hash, "246813")


def test_a_foreign_caller_complaining_is_verified_first(caller: Caller) -> None:
    caller.dial("10010", STRANGER).press("13")
    assert caller.last_heard.startswith("请输入要办理的十一位联通手机号码")
    caller.press(DEMO_ZH).press(DEMO_PASSWORD)
    assert caller.last_heard.startswith("验证成功。 缴费后仍未恢复开机请按1")


def test_asking_for_another_number_keeps_each_summary_with_its_owner(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("10010", DEMO_ZH).press("111")  # own balance first
    assert "一百二十三元四角五分" in caller.last_heard
    caller.press("9").press("22")  # main menu, services, another number
    caller.press(DEMO_EN).press(DEMO_PASSWORD).press("1")
    assert "八十七元零六分" in caller.last_heard
    caller.hang_up()
    with hotline.sessions() as session:
        summaries = session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "call_summary")
            .order_by(OutboxMessage.id)
        ).all()
        queries = session.scalars(sa.select(CallQuery)).all()
    assert [(m.to_number, m.status) for m in summaries] == [
        (DEMO_ZH, "pending"),
        (DEMO_EN, "pending"),
    ]
    assert "123.45" in summaries[0].body and "87.06" not in summaries[0].body
    assert "87.06" in summaries[1].body and "123.45" not in summaries[1].body
    assert [q.facts["balance_fen"] for q in queries] == [8706]
