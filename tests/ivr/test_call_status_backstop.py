"""The engine's backstop for a lost call status callback: a call silent for a while is asked
about, and ended only if the provider says it has ended, exactly as its status callback
would have ended it (its summary released). Time is the test's clock."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hotline.container import Hotline
from ivr.engine import LookupFailed, ReportedCall
from ivr.models import Call
from sms_followup.models import OutboxMessage
from tests.support.caller import DEMO_ZH, Caller
from tests.support.clocks import TestClock

AFTER = dt.timedelta(minutes=10)


def the_call(hotline: Hotline, caller: Caller) -> Call:
    with hotline.sessions() as session:
        call = session.scalar(Call.by_sid(caller.call_sid))
        assert call is not None
        return call


def summary_status(hotline: Hotline) -> str:
    with hotline.sessions() as session:
        return str(session.scalars(sa.select(OutboxMessage.status)).one())


def test_a_call_the_provider_reports_ended_is_ended_as_its_callback_would(
    caller: Caller, hotline: Hotline, clock: TestClock
) -> None:
    caller.dial("1001011", DEMO_ZH)
    asked: list[str] = []

    def completed(sid: str) -> ReportedCall:
        asked.append(sid)
        return ReportedCall("completed", 42)

    assert hotline.engine.backstop_statuses(completed, AFTER) == 0
    assert asked == []  # not silent for long enough
    clock.advance(AFTER.total_seconds() + 1)
    assert hotline.engine.backstop_statuses(completed, AFTER) == 1
    assert asked == [caller.call_sid]
    call = the_call(hotline, caller)
    assert (call.status, call.ended_at is not None) == ("completed", True)
    assert summary_status(hotline) == "pending"  # released: the worker sends it now
    caller.hang_up()  # the lost callback turns up after all: nothing changes
    assert summary_status(hotline) == "pending"


def test_a_call_the_provider_reports_going_on_is_left_alone(
    caller: Caller, hotline: Hotline, clock: TestClock
) -> None:
    """A caller talking to an agent sends no webhook for a while."""
    caller.dial("1001011", DEMO_ZH)
    clock.advance(AFTER.total_seconds() + 1)
    assert (
        hotline.engine.backstop_statuses(lambda sid: ReportedCall("in-progress", None), AFTER) == 0
    )
    assert hotline.engine.backstop_statuses(lambda sid: None, AFTER) == 0  # unknown there
    assert the_call(hotline, caller).ended_at is None
    assert summary_status(hotline) == "held"


def test_a_provider_that_cannot_be_asked_ends_nothing_until_the_next_run(
    caller: Caller, hotline: Hotline, clock: TestClock
) -> None:
    caller.dial("1001011", DEMO_ZH)
    clock.advance(AFTER.total_seconds() + 1)

    def unreachable(sid: str) -> ReportedCall:
        raise LookupFailed("ConnectionError: refused")

    assert hotline.engine.backstop_statuses(unreachable, AFTER) == 0
    assert the_call(hotline, caller).ended_at is None
    assert hotline.engine.backstop_statuses(lambda sid: ReportedCall("busy", 0), AFTER) == 1
    assert the_call(hotline, caller).status == "busy"
