"""Figures derived from the append-only event log (service level with and without abandoned
callers, abandonment, handle time), the log's immutability, and the reconciliation sweeper."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from expert_desk import agents, progress, queue, reports
from expert_desk.desk import Desk
from expert_desk.models import DeskEvent
from ivr.models import Call
from tests.support.clocks import TestClock
from tests.support.desk import (
    OPEN_ALL_DAY,
    STILL_AT_T0,
    T0,
    FakeTelephony,
    add_agent,
    agent,
    db,
    desk_call,
    events,
    offer_of,
    waiting_caller,
)

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY | {"desk_service_level_s": 20, "desk_wrap_up_s": 30}


def answer(desk: Desk, clock: TestClock, expert: int, caller: int, talk_s: int) -> None:
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    sid = desk_call(desk, caller).call_sid
    with db(desk) as session:
        progress.connected(session, caller, sid, clock.now())
    clock.advance(talk_s)
    with db(desk) as session:
        progress.dial_ended(session, desk.settings, caller, "completed", talk_s, clock.now())


@pytest.mark.postgres
def test_service_level_and_handle_time_come_from_the_event_log(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, _ = doubles
    expert = add_agent(desk, "li", {"ios": 1}, available=False)
    quick = waiting_caller(desk, "ios", at=clock.now())
    slow = waiting_caller(desk, "ios", at=clock.now())
    gone = waiting_caller(desk, "ios", at=clock.now())
    with db(desk) as session:
        agents.set_status(session, expert, "available", None, clock.advance(10))
    answer(desk, clock, expert, quick, talk_s=100)  # waited 10 s
    clock.advance(30)  # wrap-up 30 s
    desk.tick()
    clock.advance(20)
    with db(desk) as session:  # the third caller gives up after 160 s
        queue.abandon(session, queue.locked(session, gone), clock.now(), reason="hangup")
    answer(desk, clock, expert, slow, talk_s=200)  # waited 160 s
    clock.advance(30)
    desk.tick()

    with desk.sessions() as session:
        ios = reports.day_report(session, T0.date(), 20)[1]

    assert ios.skill == "ios"
    assert (ios.entered, ios.answered, ios.answered_in_target, ios.abandoned) == (3, 2, 1, 1)
    assert ios.service_level == pytest.approx(1 / 3)
    assert ios.service_level_answered == pytest.approx(1 / 2)
    assert ios.average_wait_s == pytest.approx((10 + 160) / 2)
    assert ios.max_wait_s == 160
    assert ios.average_handle_s == pytest.approx((100 + 30 + 200 + 30) / 2)


def test_callbacks_are_counted_apart_and_not_as_abandoned(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, _ = doubles
    caller = waiting_caller(desk, "apps")
    with db(desk) as session:
        assert queue.request_callback(session, queue.locked(session, caller), clock.advance(40))

    with desk.sessions() as session:
        apps = reports.stats(session, T0, clock.advance(1), 20)["apps"]

    assert (apps.callbacks_requested, apps.abandoned, apps.service_level) == (1, 0, None)


@pytest.mark.postgres
def test_the_event_log_is_append_only(doubles: tuple[Desk, TestClock, FakeTelephony]) -> None:
    desk, _, _ = doubles
    waiting_caller(desk, "ios")

    with pytest.raises(DatabaseError), db(desk) as session:
        session.execute(sa.update(DeskEvent).values(kind="forged"))
    with pytest.raises(DatabaseError), db(desk) as session:
        session.execute(sa.delete(DeskEvent))
    with pytest.raises(RuntimeError), db(desk) as session:
        first = session.scalars(sa.select(DeskEvent)).first()
        assert first is not None
        first.kind = "forged"
    assert [e.kind for e in events(desk)] == ["entered"]


# -- reconciliation --------------------------------------------------------------------------


def test_the_sweeper_drops_callers_who_went_silent_and_whose_call_is_over(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, telephony = doubles
    caller = waiting_caller(desk, "ios", at=clock.now())
    telephony.statuses[desk_call(desk, caller).call_sid] = "completed"
    clock.advance(200)  # three missed wait-music requests and a minute

    result = desk.sweep()

    assert result.abandoned == [caller]
    assert events(desk, "abandoned")[0].detail["reason"] == "swept"


def test_the_sweeper_leaves_a_silent_caller_whose_call_is_live(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, telephony = doubles
    caller = waiting_caller(desk, "ios", at=clock.now())
    telephony.statuses[desk_call(desk, caller).call_sid] = "in-progress"
    clock.advance(200)

    assert desk.sweep().abandoned == []
    assert desk_call(desk, caller).status == "waiting"


def test_a_lost_redirect_puts_the_caller_back_and_frees_the_agent(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, telephony = doubles
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    telephony.statuses[desk_call(desk, caller).call_sid] = "in-progress"
    clock.advance(121)

    result = desk.sweep()

    assert result.returned == [caller]
    assert agent(desk, expert).state in ("idle", "offered")  # free, perhaps offered again
    assert desk_call(desk, caller).status in ("waiting", "offered")


@pytest.mark.postgres
def test_no_agent_stays_on_a_call_that_ended_without_its_dial_outcome(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, _ = doubles
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    desk.tick()
    desk.accept(expert, offer_of(desk, expert))
    row_before = desk_call(desk, caller)
    with db(desk) as session:
        progress.connected(session, caller, row_before.call_sid, clock.now())
        row = session.get(Call, row_before.call_id)
        assert row is not None
        row.ended_at = clock.advance(300)
    clock.advance(61)

    result = desk.sweep()

    assert result.finished == [caller]
    assert desk_call(desk, caller).talk_s == 300
    assert agent(desk, expert).state == "wrap_up"


@pytest.mark.postgres
def test_an_agent_left_offered_without_an_offer_is_freed(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk = doubles[0]
    expert = add_agent(desk, "li", {"ios": 1})
    with db(desk) as session:
        found = session.get(agents.DeskAgent, expert)
        assert found is not None
        found.state = "offered"  # as a crash between two writes could leave it

    assert desk.sweep().freed == [expert]
    assert agent(desk, expert).state == "idle"


def test_a_callback_is_placed_through_the_rest_api_and_retried_when_unanswered(
    doubles: tuple[Desk, TestClock, FakeTelephony],
) -> None:
    desk, clock, telephony = doubles
    caller = waiting_caller(desk, "ios", number="+8613900139000")
    with db(desk) as session:
        queue.request_callback(session, queue.locked(session, caller), clock.now())
    expert = add_agent(desk, "li", {"ios": 1})
    desk.tick()

    desk.accept(expert, offer_of(desk, expert))

    assert telephony.callbacks == [("13900139000", caller)]
    with db(desk) as session:
        progress.callback_leg_ended(session, caller, "no-answer", clock.now())
    back = desk_call(desk, caller)
    assert (back.status, back.mode) == ("waiting", "callback")
    assert agent(desk, expert).state == "idle"
    assert events(desk, "callback_failed")[0].detail["final"] is False
