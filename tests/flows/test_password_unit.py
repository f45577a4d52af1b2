"""The service password (flows.password) and whole entries of keys (flows.digit_entry), on the
bench: which digits are asked for, wrong and weak passwords, the change confirmed, a temporary
password to the caller's own phone only."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from accounts.passwords import DEMO_PASSWORD
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_ZH, STRANGER
from tests.support.clocks import TEST_START
from tests.support.flow_context import FlowBench, FlowCall

NEW_PASSWORD = "246813"


@pytest.fixture
def own_phone(bench: FlowBench) -> FlowCall:
    """A subscriber calling from their own phone, with the demo service password."""
    bench.subscriber(DEMO_ZH)
    return bench.call(DEMO_ZH, "1001015")


def test_the_services_menu_leads_to_the_password_another_number_and_roaming(
    bench: FlowBench, own_phone: FlowCall
) -> None:
    for key, state in [("1", "password"), ("2", "verify.number"), ("3", "roaming")]:
        own_phone.at("services").press(key)
        assert own_phone.state == state


def test_changing_asks_for_the_six_digit_current_password(own_phone: FlowCall) -> None:
    heard = own_phone.at("password").press("1")

    assert own_phone.state == "password.current"
    assert heard.keys == ["password.enter_current"]
    assert heard.digits == 6
    assert heard.text == "请输入您的六位服务密码，以井号键结束。"


def test_a_caller_not_on_a_subscribers_phone_proves_a_number_first(bench: FlowBench) -> None:
    call = bench.call(STRANGER).at("password")

    heard = call.press("1")

    assert call.state == "verify.number"
    assert (heard.keys, heard.digits) == (["verify.enter_number"], 11)


def test_a_wrong_password_says_how_many_tries_are_left_and_asks_again(
    own_phone: FlowCall,
) -> None:
    heard = own_phone.at("password.current").press("000000")

    assert own_phone.state == "password.current"
    assert heard.said == ["密码错误，您还可以输入两次。", "请输入您的六位服务密码，以井号键结束。"]
    assert own_phone.events("password.refused") == [
        {"kind": "password.refused", "error": "password.wrong"}
    ]


def test_the_last_try_is_announced_and_the_third_wrong_one_locks(own_phone: FlowCall) -> None:
    own_phone.at("password.current").press("000000")

    assert own_phone.press("000001").keys[0] == "password.wrong_last"
    heard = own_phone.press("000002")

    assert own_phone.state == "service.done"
    assert heard.keys == ["password.locked_now", "menu.service_done"]


@pytest.mark.clock(TEST_START + dt.timedelta(seconds=30), running=False)
def test_the_unlock_time_is_the_same_minute_by_voice_and_by_sms(
    bench: FlowBench, own_phone: FlowCall
) -> None:
    """Locked at 10:00:30, the password unlocks at 10:00:30 the next day: both say 10:01,
    the first minute at which it works again."""
    own_phone.at("password.current").press("000000")
    own_phone.press("000001")

    heard = own_phone.press("000002")

    assert heard.said[0].endswith("将于3月12日上午十点零一分解锁。我们已发送短信提醒机主。")
    with bench.session() as session:
        notice = session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "password_locked")
        )
        assert notice is not None
        assert "已锁定至3月12日10:01。" in notice.body


def test_the_digits_entered_are_never_recorded_only_their_length(own_phone: FlowCall) -> None:
    own_phone.at("password.current").press(DEMO_PASSWORD)

    assert own_phone.events("input.digits") == [{"kind": "input.digits", "length": 6}]
    assert DEMO_PASSWORD not in repr(own_phone.events())


@pytest.mark.parametrize("entry", ["12345", "1234567", "12*456"])
def test_an_entry_of_the_wrong_shape_is_a_wrong_choice(own_phone: FlowCall, entry: str) -> None:
    heard = own_phone.at("password.current").press(entry)

    assert heard.keys == ["error.invalid", "password.enter_current"]
    assert own_phone.strikes == 1


def test_a_lone_star_goes_back_and_a_lone_zero_reaches_an_agent(own_phone: FlowCall) -> None:
    own_phone.at("password.current").press("*")
    assert own_phone.state == "password"

    own_phone.at("password.current").press("0")
    assert own_phone.state.startswith("expert_desk.")


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("123456", "sequence"),
        ("111111", "same_digit"),
        ("138000", "phone_number"),
        (DEMO_PASSWORD, "same_as_current"),
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(
    own_phone: FlowCall, weak: str, reason: str
) -> None:
    own_phone.at("password.current").press(DEMO_PASSWORD)

    heard = own_phone.press(weak)

    assert own_phone.state == "password.new"
    assert heard.keys == [f"password.weak.{reason}", "password.enter_new"]


def test_the_new_password_entered_twice_replaces_the_old_one(
    bench: FlowBench, own_phone: FlowCall
) -> None:
    assert own_phone.at("password.current").press(DEMO_PASSWORD).keys == ["password.enter_new"]
    assert own_phone.press(NEW_PASSWORD).keys == ["password.enter_new_again"]

    heard = own_phone.press(NEW_PASSWORD)

    assert heard.keys == ["password.changed", "menu.service_done"]
    assert own_phone.state == "service.done"
    later = bench.call(DEMO_ZH).at("password.current")
    assert later.press(NEW_PASSWORD).keys == ["password.enter_new"]  # the new one is accepted


def test_a_confirmation_that_differs_starts_the_new_password_again(own_phone: FlowCall) -> None:
    own_phone.at("password.current").press(DEMO_PASSWORD)
    own_phone.press(NEW_PASSWORD)

    heard = own_phone.press("582947")

    assert own_phone.state == "password.new"
    assert heard.keys == ["password.mismatch", "password.enter_new"]


def test_the_new_password_is_not_asked_before_the_current_one_is_proved(
    own_phone: FlowCall,
) -> None:
    heard = own_phone.at("password.new").enter()
    assert own_phone.state == "password.current"
    assert heard.keys == ["password.enter_current"]


def test_a_forgotten_password_is_sent_by_sms_to_the_callers_own_phone(
    own_phone: FlowCall,
) -> None:
    heard = own_phone.at("password").press("2")

    assert own_phone.state == "service.done"
    assert heard.keys == ["password.temporary_sent", "menu.service_done"]


def test_a_forgotten_password_is_never_sent_to_another_phone(bench: FlowBench) -> None:
    call = bench.call(STRANGER).at("password")
    heard = call.press("2")
    assert heard.keys == ["password.own_phone_only", "menu.service_done"]


def test_after_a_service_9_is_the_main_menu(own_phone: FlowCall) -> None:
    own_phone.at("service.done").press("9")
    assert own_phone.state == "main"
