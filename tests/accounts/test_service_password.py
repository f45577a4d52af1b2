"""1001015: change the service password, get a temporary one, lockout and rate limits.

Passwords never appear in call events, logs or SMS, except the one SMS that carries a
temporary password to the owner's own phone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa

from accounts import passwords
from accounts.passwords import PasswordEvent, PasswordPolicy, ServicePassword
from accounts.verification import CallAuth
from hotline.container import Hotline
from hotline.settings import HotlineSettings
from ivr.clock import local_datetime
from ivr.logs import JsonFormatter
from ivr.models import CallEvent, Subscriber
from prompts import spoken
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_ARREARS, DEMO_EN, DEMO_ZH, STRANGER, Caller

DEMO = passwords.DEMO_PASSWORD  # 135790, every demo subscriber's
NEW = "246813"
WRONG = "864209"
# After the demo seed (its passwords count as changed then): 14:00 in Shanghai.
T0 = dt.datetime(2036, 11, 26, 6, 0)
SETTINGS = HotlineSettings()


# -- helpers ---------------------------------------------------------------------------


def _record(hotline: Hotline, msisdn: str) -> ServicePassword:
    with hotline.sessions() as session:
        subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
        record = session.scalar(ServicePassword.of(subscriber))
        session.expunge(record)
        return record


def _outbox(hotline: Hotline, kind: str | None = None) -> list[OutboxMessage]:
    with hotline.sessions() as session:
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def _update_password(hotline: Hotline, msisdn: str, **values: Any) -> None:
    with hotline.sessions() as session, session.begin():
        subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
        session.execute(
            sa.update(ServicePassword)
            .where(ServicePassword.subscriber_id == subscriber.id)
            .values(**values)
        )


def _at_current_password(caller: Caller, msisdn: str = DEMO_ZH) -> Caller:
    return caller.dial("1001015", msisdn).press("1")


def _unlock_moment(until: dt.datetime, language: str) -> str:
    rounded = until.replace(second=0, microsecond=0)
    if rounded < until:
        rounded += dt.timedelta(minutes=1)
    return spoken.date_time(local_datetime(rounded), language)


def _subscriber(session: Any, msisdn: str) -> Subscriber:
    subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
    assert subscriber is not None
    return subscriber


# -- entering digits -------------------------------------------------------------------


def test_password_entry_collects_six_keys_only_ended_by_pound(caller: Caller) -> None:
    _at_current_password(caller)
    assert caller.last_heard == "请输入您的六位服务密码，以井号键结束。"
    gather = caller.gather
    assert gather.get("input") == "dtmf"
    assert gather.get("numDigits") == "6"
    assert gather.get("finishOnKey") == "#"
    assert gather.get("action") == "/voice/step"
    assert caller.twiml.find("Redirect").text == "/voice/no-input"


def test_an_entry_of_the_wrong_length_is_a_wrong_choice_not_a_wrong_password(
    caller: Caller, hotline: Hotline
) -> None:
    _at_current_password(caller).press("1357")
    assert caller.last_heard.startswith("对不起，您的输入有误。 请输入您的六位服务密码")
    assert _record(hotline, DEMO_ZH).failures == 0


def test_star_goes_back_and_zero_reaches_an_agent_during_entry(caller: Caller) -> None:
    _at_current_password(caller).press("*")
    assert caller.last_heard.startswith("修改服务密码请按1")
    caller.press("1").press("0")
    assert caller.said == ["抱歉，目前没有人工客服在线。", "如需回电，并为您保留排队位置，请按1。"]


# -- change ----------------------------------------------------------------------------


def test_change_asks_current_then_new_twice_and_tells_the_owner(
    caller: Caller, hotline: Hotline
) -> None:
    _at_current_password(caller).press(DEMO)
    assert caller.last_heard == "请输入新的六位服务密码，以井号键结束。"
    caller.press(NEW)
    assert caller.last_heard == "请再次输入新密码，以井号键结束。"
    caller.press(NEW)
    assert caller.last_heard.startswith("您的服务密码已修改成功")
    assert "返回主菜单请按9" in caller.last_heard
    record = _record(hotline, DEMO_ZH)
    assert passwords.matches(record.password_hash, NEW)
    assert not passwords.matches(record.password_hash, DEMO)
    assert record.password_hash.startswith("scrypt$16384$8$1$")
    [notice] = _outbox(hotline, "password_changed")
    assert (notice.to_number, notice.status) == (DEMO_ZH, "pending")
    assert notice.body.startswith("【中国联通】您的服务密码已于")
    caller.press("9")
    assert caller.last_heard.startswith("查询业务请按1")


def test_the_new_password_works_on_the_next_call_and_the_old_one_does_not(
    caller: Caller, twilio: Any
) -> None:
    _at_current_password(caller).press(DEMO).press(NEW).press(NEW)
    again = _at_current_password(Caller(twilio)).press(DEMO)
    assert again.last_heard.startswith("密码错误，您还可以输入两次。")
    again.press(NEW)
    assert again.last_heard.startswith("请输入新的六位服务密码")


def test_english_change(caller: Caller, hotline: Hotline) -> None:
    _at_current_password(caller, DEMO_EN).press(DEMO).press(NEW).press(NEW)
    assert caller.last_heard.startswith("Your service password has been changed.")
    [notice] = _outbox(hotline, "password_changed")
    assert notice.body.startswith("China Unicom: your service password was changed at ")


@pytest.mark.parametrize(
    ("new", "reason", "heard"),
    [
        ("111111", "same_digit", "新密码不能是同一个数字。"),
        ("123456", "sequence", "新密码不能是连续的数字"),
        ("987654", "sequence", "新密码不能是连续的数字"),
        ("138000", "phone_number", "新密码不能是手机号码的后六位。"),
        ("121212", "repeated", "新密码不能是重复的数字组合"),
        ("370370", "repeated", "新密码不能是重复的数字组合"),
        ("900512", "birthday", "新密码不能是生日等日期。"),  # YYMMDD
        ("051290", "birthday", "新密码不能是生日等日期。"),  # MMDDYY
        ("199005", "birthday", "新密码不能是生日等日期。"),  # YYYYMM
        (DEMO, "same_as_current", "新密码不能与原密码相同。"),
    ],
)
def test_a_weak_new_password_is_refused_with_the_reason(
    caller: Caller, hotline: Hotline, new: str, reason: str, heard: str
) -> None:
    _at_current_password(caller).press(DEMO).press(new)
    assert caller.last_heard.startswith(heard)
    assert "请输入新的六位服务密码" in caller.last_heard
    assert caller.gather.get("numDigits") == "6"
    assert passwords.matches(_record(hotline, DEMO_ZH).password_hash, DEMO)
    with hotline.sessions() as session:
        details = session.scalars(
            sa.select(CallEvent.detail).where(CallEvent.kind == "password.refused")
        ).all()
    assert details == [{"error": "password.weak", "reason": reason}]


@pytest.mark.parametrize("password", ["135790", "246813", "802417", "573920"])
def test_ordinary_passwords_are_not_weak(password: str) -> None:
    assert passwords.weakness(password, "13800138000") is None


def test_mismatched_confirmation_starts_the_new_password_again(
    caller: Caller, hotline: Hotline
) -> None:
    _at_current_password(caller).press(DEMO).press(NEW).press("246814")
    assert caller.last_heard.startswith(
        "两次输入的新密码不一致，请重新设置。 请输入新的六位服务密码"
    )
    assert passwords.matches(_record(hotline, DEMO_ZH).password_hash, DEMO)
    caller.press(NEW)  # the first entry was spent: this is a first entry again
    assert caller.last_heard.startswith("请再次输入新密码")
    caller.press(NEW)
    assert caller.last_heard.startswith("您的服务密码已修改成功")


def test_the_first_entry_waits_in_the_database_as_a_hash_and_expires(
    caller: Caller, hotline: Hotline
) -> None:
    _at_current_password(caller).press(DEMO).press(NEW)
    with hotline.sessions() as session, session.begin():
        auth = session.scalar(sa.select(CallAuth))
        assert auth.new_password_hash.startswith("scrypt$")
        assert NEW not in auth.new_password_hash
        auth.new_password_expires_at = dt.datetime(2000, 1, 1)
    caller.press(NEW)
    assert caller.last_heard.startswith("操作超时，请重新输入新密码。")
    assert passwords.matches(_record(hotline, DEMO_ZH).password_hash, DEMO)


def test_the_new_password_cannot_be_reached_without_the_current_one(
    caller: Caller, hotline: Hotline
) -> None:
    """A call whose stored state says "new password" but never proved the current one."""
    _at_current_password(caller)
    with hotline.sessions() as session, session.begin():
        session.execute(sa.text("UPDATE calls SET state = 'password.new'"))
    caller.press(NEW)
    assert caller.last_heard == "请输入您的六位服务密码，以井号键结束。"
    assert passwords.matches(_record(hotline, DEMO_ZH).password_hash, DEMO)


# -- wrong entries and lockout ---------------------------------------------------------


@pytest.mark.postgres
def test_three_wrong_entries_lock_the_password_and_tell_the_owner(
    caller: Caller, hotline: Hotline
) -> None:
    _at_current_password(caller).press(WRONG)
    assert caller.last_heard.startswith("密码错误，您还可以输入两次。 请输入您的六位服务密码")
    caller.press(WRONG)
    assert caller.last_heard.startswith("密码错误，您还可以输入一次，再次输错密码将被锁定。")
    caller.press(WRONG)
    record = _record(hotline, DEMO_ZH)
    assert record.locked_until is not None
    unlock = _unlock_moment(record.locked_until, "zh-CN")
    assert caller.last_heard.startswith(
        f"密码错误次数过多，该号码的服务密码已被锁定，将于{unlock}解锁。"
    )
    assert "返回主菜单请按9" in caller.last_heard
    [notice] = _outbox(hotline, "password_locked")
    assert notice.to_number == DEMO_ZH
    assert "连续3次输入错误，已锁定至" in notice.body


@pytest.mark.postgres
def test_the_lockout_holds_across_calls_and_even_for_the_right_password(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    _at_current_password(caller).press(WRONG).press(WRONG)
    second = _at_current_password(Caller(twilio)).press(WRONG)
    assert "已被锁定" in second.last_heard
    third = _at_current_password(Caller(twilio)).press(DEMO)
    unlock = _unlock_moment(_record(hotline, DEMO_ZH).locked_until, "zh-CN")
    assert third.last_heard.startswith(
        f"该号码的服务密码因多次输入错误已被锁定，将于{unlock}解锁。"
    )
    assert third.gather.get("numDigits") == "1"  # back to a menu, not asked for the password


def test_the_lockout_lasts_24_hours_and_unlocks_after(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        owner = _subscriber(session, DEMO_ZH)
        for _ in range(2):
            with pytest.raises(passwords.WrongPassword):
                passwords.check(
                    session, owner, WRONG, from_number=DEMO_ZH, call_id=None,
                    settings=SETTINGS, now=T0,
                )  # fmt: skip
        with pytest.raises(passwords.PasswordLocked) as locked:
            passwords.check(
                session, owner, WRONG, from_number=DEMO_ZH, call_id=None,
                settings=SETTINGS, now=T0 + dt.timedelta(minutes=1),
            )  # fmt: skip
        assert locked.value.just_locked
        until = T0 + dt.timedelta(minutes=1, hours=24)
        assert locked.value.until == until
        with pytest.raises(passwords.PasswordLocked):
            passwords.check(
                session, owner, DEMO, from_number=DEMO_ZH, call_id=None,
                settings=SETTINGS, now=until - dt.timedelta(seconds=1),
            )  # fmt: skip
        record = passwords.check(
            session, owner, DEMO, from_number=DEMO_ZH, call_id=None, settings=SETTINGS, now=until
        ).record
        assert (record.locked_until, record.failures) == (None, 0)


def test_the_unlock_time_is_spoken_in_shanghai_time() -> None:
    until = dt.datetime(2026, 11, 26, 17, 30, 20)  # UTC: 01:30:20 the next day in Shanghai
    assert _unlock_moment(until, "zh-CN") == "11月27日凌晨一点三十一分"
    assert _unlock_moment(until, "en-US") == "1:31 AM on November 27th"


@pytest.mark.parametrize("settings_overrides", [{"password_lockout_s": 3600}])
def test_the_lockout_period_is_configurable(caller: Caller, hotline: Hotline) -> None:
    _at_current_password(caller).press(WRONG).press(WRONG).press(WRONG)
    with hotline.sessions() as session:
        locked = session.scalar(sa.select(PasswordEvent.at).where(PasswordEvent.kind == "locked"))
    assert _record(hotline, DEMO_ZH).locked_until == locked + dt.timedelta(hours=1)


def test_a_right_entry_resets_the_count_of_wrong_ones(caller: Caller, hotline: Hotline) -> None:
    _at_current_password(caller).press(WRONG).press(WRONG).press(DEMO)
    assert _record(hotline, DEMO_ZH).failures == 0
    assert caller.last_heard.startswith("请输入新的六位服务密码")


# -- rate limits -----------------------------------------------------------------------


@pytest.mark.postgres
def test_one_number_guessing_across_accounts_is_stopped(hotline: Hotline) -> None:
    policy = PasswordPolicy()
    with hotline.sessions() as session, session.begin():
        targets = [_subscriber(session, n) for n in (DEMO_ZH, DEMO_EN, DEMO_ARREARS)]
        guesses = [targets[0], targets[0], targets[1], targets[1], targets[2]]
        for minute, target in enumerate(guesses):
            # The fifth wrong entry reaches the number's limit.
            expected = passwords.TooManyAttempts if minute == 4 else passwords.WrongPassword
            with pytest.raises(expected):
                passwords.check(
                    session, target, WRONG, from_number="+86" + STRANGER, call_id=None,
                    settings=SETTINGS, now=T0 + dt.timedelta(minutes=minute),
                )  # fmt: skip
        with pytest.raises(passwords.TooManyAttempts) as limited:
            passwords.check(
                session, targets[2], DEMO, from_number=STRANGER, call_id=None,
                settings=SETTINGS, now=T0 + dt.timedelta(minutes=10),
            )  # fmt: skip
        assert limited.value.scope == "number"
        assert limited.value.until == T0 + policy.per_number_window
        # Another phone is not held back, and this one again after the window.
        passwords.check(
            session, targets[2], DEMO, from_number=DEMO_ARREARS, call_id=None,
            settings=SETTINGS, now=T0 + dt.timedelta(minutes=11),
        )  # fmt: skip
        passwords.check(
            session, targets[2], DEMO, from_number=STRANGER, call_id=None,
            settings=SETTINGS, now=T0 + policy.per_number_window + dt.timedelta(minutes=4),
        )  # fmt: skip


@pytest.mark.postgres
def test_many_numbers_waiting_out_lockouts_on_one_account_are_stopped(hotline: Hotline) -> None:
    policy = PasswordPolicy()
    with hotline.sessions() as session, session.begin():
        owner = _subscriber(session, DEMO_ZH)

        def guess(password: str, number: int, at: dt.datetime) -> None:
            passwords.check(
                session, owner, password, from_number=f"1331234{number:04d}", call_id=None,
                settings=SETTINGS, now=at,
            )  # fmt: skip

        for n in range(3):  # other numbers never lock the owner's password
            with pytest.raises(passwords.WrongPassword):
                guess(WRONG, n, T0 + dt.timedelta(minutes=n))
        day_later = T0 + dt.timedelta(hours=25)
        with pytest.raises(passwords.WrongPassword):
            guess(WRONG, 3, day_later + dt.timedelta(minutes=3))
        with pytest.raises(passwords.TooManyAttempts):  # the fifth reaches the limit
            guess(WRONG, 4, day_later + dt.timedelta(minutes=4))
        with pytest.raises(passwords.TooManyAttempts) as limited:
            guess(DEMO, 9, day_later + dt.timedelta(minutes=30))
        assert limited.value.scope == "account"
        assert limited.value.until == T0 + policy.per_account_window
        guess(DEMO, 9, T0 + policy.per_account_window + dt.timedelta(minutes=5))


def test_a_rate_limited_phone_is_told_when_to_try_again(caller: Caller, twilio: Any) -> None:
    for target in (DEMO_ZH, DEMO_ZH, DEMO_EN, DEMO_EN, DEMO_ARREARS):
        guesser = Caller(twilio).dial("1001011", STRANGER).press("1")
        guesser.press(target).press(WRONG)
    caller.dial("1001011", STRANGER).press("1").press(DEMO_ARREARS).press(DEMO)
    assert caller.last_heard.startswith("您使用的电话尝试密码次数过多，请于")


# -- forgotten password ----------------------------------------------------------------


def _temporary_password(hotline: Hotline) -> str:
    [message] = _outbox(hotline, "password_temporary")
    found = re.search(r"临时服务密码为(\d{6})", message.body) or re.search(
        r"password is (\d{6})", message.body
    )
    assert found, message.body
    return found.group(1)


@pytest.mark.postgres
def test_a_forgotten_password_gets_a_temporary_one_sent_to_the_own_phone(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("1001015", DEMO_ZH).press("2")
    assert caller.last_heard.startswith(
        "临时服务密码已通过短信发送到您的手机，十五分钟内有效，只能使用一次"
    )
    [message] = _outbox(hotline, "password_temporary")
    assert (message.to_number, message.status) == (DEMO_ZH, "pending")
    assert "15分钟内有效" in message.body
    temporary = _temporary_password(hotline)
    record = _record(hotline, DEMO_ZH)
    assert record.temporary_hash is not None
    assert passwords.matches(record.temporary_hash, temporary)
    assert passwords.weakness(temporary, DEMO_ZH) is None


def _issue_temporary(session: Any, at: dt.datetime) -> None:
    passwords.issue_temporary(
        session, _subscriber(session, DEMO_ZH), from_number=DEMO_ZH, language="zh-CN",
        call_id=None, settings=SETTINGS, now=at,
    )  # fmt: skip


def _enter(session: Any, entered: str, at: dt.datetime) -> passwords.Accepted:
    return passwords.check(
        session, _subscriber(session, DEMO_ZH), entered, from_number=DEMO_ZH, call_id=None,
        settings=SETTINGS, now=at,
    )  # fmt: skip


def test_asking_for_a_temporary_password_leaves_the_current_one_working(
    hotline: Hotline,
) -> None:
    """Anyone holding the owner's phone may ask: that must not lock the owner out."""
    with hotline.sessions() as session, session.begin():
        _issue_temporary(session, T0)
        accepted = _enter(session, DEMO, T0 + dt.timedelta(minutes=1))
    assert not accepted.temporary


def test_a_temporary_password_works_once(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        _issue_temporary(session, T0)
    temporary = _temporary_password(hotline)
    with hotline.sessions() as session, session.begin():
        assert _enter(session, temporary, T0 + dt.timedelta(minutes=14)).temporary
        with pytest.raises(passwords.WrongPassword):
            _enter(session, temporary, T0 + dt.timedelta(minutes=14, seconds=30))
        assert not _enter(session, DEMO, T0 + dt.timedelta(minutes=15)).temporary


def test_a_temporary_password_expires_after_15_minutes(hotline: Hotline) -> None:
    with hotline.sessions() as session, session.begin():
        _issue_temporary(session, T0)
    temporary = _temporary_password(hotline)
    with hotline.sessions() as session, session.begin(), pytest.raises(passwords.WrongPassword):
        _enter(session, temporary, T0 + dt.timedelta(minutes=15))


def test_the_temporary_password_must_be_changed_at_its_first_use(
    caller: Caller, twilio: Any, hotline: Hotline
) -> None:
    caller.dial("1001015", DEMO_ZH).press("2")
    temporary = _temporary_password(hotline)
    stranger = Caller(twilio).dial("1001011", STRANGER).press("1")
    stranger.press(DEMO_ZH).press(temporary)
    assert stranger.last_heard.startswith("验证成功。 您正在使用临时密码，请先设置新的服务密码。")
    stranger.press(NEW).press(NEW)
    assert stranger.last_heard.startswith("您的服务密码已修改成功，")
    assert "您的账户余额为" in stranger.last_heard  # then on to the service dialed
    record = _record(hotline, DEMO_ZH)
    assert record.temporary_hash is None
    assert passwords.matches(record.password_hash, NEW)


def test_a_forgotten_password_is_not_sent_for_a_call_from_another_number(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("1001015", STRANGER).press("2")
    assert caller.last_heard.startswith("为保护您的账户安全，找回服务密码请使用本机拨打")
    assert _outbox(hotline, "password_temporary") == []


def test_a_verified_caller_on_another_phone_cannot_get_a_temporary_password_either(
    caller: Caller, hotline: Hotline
) -> None:
    caller.dial("10010", DEMO_EN).press("2").press("2").press("2")  # services, other number
    caller.press(DEMO_ZH).press(DEMO)
    caller.press("*").press("2").press("1").press("2")  # back, services, password, forgot
    assert caller.last_heard.startswith("To protect your account, please call from your own phone")
    assert _outbox(hotline, "password_temporary") == []


def test_temporary_passwords_are_limited_to_three_a_day(twilio: Any, hotline: Hotline) -> None:
    for _ in range(3):
        Caller(twilio).dial("1001015", DEMO_ZH).press("2")
    fourth = Caller(twilio).dial("1001015", DEMO_ZH).press("2")
    assert fourth.last_heard.startswith("今天已多次发送临时密码，请于")
    assert len(_outbox(hotline, "password_temporary")) == 3


def test_a_temporary_password_ends_a_lockout(caller: Caller, twilio: Any, hotline: Hotline) -> None:
    _at_current_password(caller).press(WRONG).press(WRONG).press(WRONG)
    Caller(twilio).dial("1001015", DEMO_ZH).press("2")
    assert _record(hotline, DEMO_ZH).locked_until is None
    again = _at_current_password(Caller(twilio)).press(_temporary_password(hotline))
    assert again.last_heard.startswith("请输入新的六位服务密码")


def test_a_subscriber_without_a_password_is_told_how_to_get_one(
    caller: Caller, hotline: Hotline
) -> None:
    with hotline.sessions() as session, session.begin():
        session.execute(sa.delete(ServicePassword))
    _at_current_password(caller).press(DEMO)
    assert caller.last_heard.startswith("该号码尚未设置服务密码。")


# -- no password digits anywhere -------------------------------------------------------


def test_no_password_digits_reach_events_logs_or_sms_but_the_temporary_one(
    caller: Caller, twilio: Any, hotline: Hotline, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Typed ahead at a menu straight into a password entry: dropped, not recorded.
    Caller(twilio).dial("1001015", DEMO_ZH).press("1" + DEMO)
    _at_current_password(caller).press(WRONG).press(DEMO).press("111111").press(NEW).press(NEW)
    caller.hang_up()
    verifier = Caller(twilio).dial("1001011", STRANGER).press("1").press(DEMO_ZH)
    verifier.press(WRONG).press(NEW)
    forgot = Caller(twilio).dial("1001015", DEMO_ZH).press("2")
    forgot.hang_up()
    temporary = _temporary_password(hotline)
    secrets = {DEMO, NEW, WRONG, "111111", temporary}

    formatter = JsonFormatter()
    logged = [formatter.format(record) for record in caplog.records]
    with hotline.sessions() as session:
        events = [json.dumps(e.detail) for e in session.scalars(sa.select(CallEvent))]
        kinds = set(session.scalars(sa.select(CallEvent.kind)))
        auth = [str(a.__dict__) for a in session.scalars(sa.select(CallAuth))]
    messages = _outbox(hotline)
    carrying = [m for m in messages if temporary in m.body]
    assert [m.kind for m in carrying] == ["password_temporary"]
    others = [m.body for m in messages if m is not carrying[0]]
    assert {"input.digits", "input.dropped", "password.changed"} <= kinds
    assert len(others) >= 2 and len(events) > 30 and logged
    for text in [*logged, *events, *others, *auth]:
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{leaked} in {text}"
