"""Caller-facing abuse of the service password (issue 13): wrong entries from another
number count toward that number's limits, never toward the subscriber's own lock; the
owner's own phone still locks the password after three."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from accounts import passwords
from accounts.passwords import PasswordPolicy, ServicePassword
from hotline.container import Hotline
from hotline.settings import HotlineSettings
from ivr.models import Subscriber
from tests.support.caller import DEMO_ZH, STRANGER, Caller

DEMO = passwords.DEMO_PASSWORD
WRONG = "864209"
T0 = dt.datetime(2036, 11, 26, 6, 0)
SETTINGS = HotlineSettings()


def _owner(session: Any, msisdn: str = DEMO_ZH) -> Subscriber:
    subscriber = session.scalar(Subscriber.by_msisdn(msisdn))
    assert subscriber is not None
    return subscriber


def _check(session: Any, entered: str, from_number: str, minute: int) -> passwords.Accepted:
    return passwords.check(
        session,
        _owner(session),
        entered,
        from_number=from_number,
        call_id=None,
        settings=SETTINGS,
        now=T0 + dt.timedelta(minutes=minute),
    )


def _record(session: Any) -> ServicePassword:
    record = session.scalar(ServicePassword.of(_owner(session)))
    assert record is not None
    return record


@pytest.mark.postgres
def test_three_wrong_entries_from_another_number_do_not_lock_the_owner_out(
    hotline: Hotline,
) -> None:
    with hotline.sessions() as session, session.begin():
        for minute in range(3):
            with pytest.raises(passwords.WrongPassword):
                _check(session, WRONG, STRANGER, minute)

        assert (_record(session).locked_until, _record(session).failures) == (None, 0)
        _check(session, DEMO, DEMO_ZH, 5)  # the owner's phone is not held back


def test_another_number_is_held_back_by_its_own_limit(hotline: Hotline) -> None:
    policy = PasswordPolicy()
    with hotline.sessions() as session, session.begin():
        remaining = []
        for minute in range(policy.per_number_failures - 1):
            with pytest.raises(passwords.WrongPassword) as wrong:
                _check(session, WRONG, STRANGER, minute)
            remaining.append(wrong.value.remaining)
        assert remaining == [4, 3, 2, 1]
        with pytest.raises(passwords.TooManyAttempts) as limited:
            _check(session, WRONG, STRANGER, 10)
        assert limited.value.scope == "number"
        with pytest.raises(passwords.TooManyAttempts):
            _check(session, DEMO, STRANGER, 11)  # the right one too, from that number

        assert _record(session).locked_until is None
        _check(session, DEMO, DEMO_ZH, 12)


def test_other_numbers_together_are_held_back_but_not_the_owner(hotline: Hotline) -> None:
    policy = PasswordPolicy()
    with hotline.sessions() as session, session.begin():
        for n in range(policy.per_account_failures - 1):
            with pytest.raises(passwords.WrongPassword):
                _check(session, WRONG, f"1331234{n:04d}", n)
        with pytest.raises(passwords.TooManyAttempts) as limited:
            _check(session, WRONG, "13312349999", 10)
        assert limited.value.scope == "account"
        with pytest.raises(passwords.TooManyAttempts):
            _check(session, DEMO, "13312348888", 11)

        assert _check(session, DEMO, DEMO_ZH, 12).record.locked_until is None


@pytest.mark.parametrize("own_number", [DEMO_ZH, "+86" + DEMO_ZH])
def test_the_owners_own_phone_still_locks_after_three(hotline: Hotline, own_number: str) -> None:
    with hotline.sessions() as session, session.begin():
        for minute in range(2):
            with pytest.raises(passwords.WrongPassword):
                _check(session, WRONG, STRANGER, minute)  # not counted toward the lock
        for minute in range(2, 4):
            with pytest.raises(passwords.WrongPassword):
                _check(session, WRONG, own_number, minute)
        with pytest.raises(passwords.PasswordLocked) as locked:
            _check(session, WRONG, own_number, 4)
        assert locked.value.just_locked
        with pytest.raises(passwords.PasswordLocked):
            _check(session, DEMO, STRANGER, 5)


def test_a_stranger_calling_three_times_leaves_the_owner_able_to_change_it(
    twilio: Any, hotline: Hotline
) -> None:
    for _ in range(3):
        Caller(twilio).dial("1001011", STRANGER).press("1").press(DEMO_ZH).press(WRONG)
    with hotline.sessions() as session:
        assert _record(session).locked_until is None
        events = session.scalars(
            sa.select(passwords.PasswordEvent.kind).where(passwords.PasswordEvent.kind == "locked")
        ).all()
    assert events == []

    owner = Caller(twilio).dial("1001015", DEMO_ZH).press("1").press(DEMO)
    assert owner.last_heard.startswith("请输入新的六位服务密码")
