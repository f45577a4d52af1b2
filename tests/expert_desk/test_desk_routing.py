"""Routing at the expert desk, after the scenarios a mature PBX queue test suite covers:
baseline, position and priority, no answer, all agents on break, wrap-up time, redirect,
caller hangup while offered; plus routing order and fairness, skills and strategies."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from expert_desk import agents, queue
from expert_desk.desk import Desk
from expert_desk.errors import CallerGone, OfferGone, TelephonyFailed
from expert_desk.models import DeskCall
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
    pending_offers,
    tick,
    waiting_caller,
)

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY | {"desk_reservation_s": 20, "desk_wrap_up_s": 60, "desk_max_lapses": 3}


@pytest.fixture
def telephony(doubles: tuple[Desk, TestClock, FakeTelephony]) -> FakeTelephony:
    return doubles[2]


@pytest.mark.postgres
def test_baseline_a_waiting_caller_is_offered_to_the_free_agent_and_accepting_redirects_the_call(
    desk: Desk, telephony: FakeTelephony
) -> None:
    expert = add_agent(desk, "li", {"ios": 3})
    caller = waiting_caller(desk, "ios")

    tick(desk)
    assert pending_offers(desk) == [(caller, expert)]
    assert (agent(desk, expert).state, desk_call(desk, caller).status) == ("offered", "offered")

    desk.accept(expert, offer_of(desk, expert))

    assert telephony.redirects == [(desk_call(desk, caller).call_sid, caller)]
    assert agent(desk, expert).state == "on_call"
    assert desk_call(desk, caller).status == "connecting"
    kinds = [e.kind for e in events(desk) if e.desk_call_id == caller]
    assert kinds == ["entered", "offered", "answered"]


def test_no_agent_free_means_no_offer(desk: Desk) -> None:
    add_agent(desk, "li", {"ios": 3}, available=False)
    waiting_caller(desk, "ios")

    assert tick(desk).offers == []


def test_position_counts_callers_ahead_in_the_same_skill_only(desk: Desk, clock: TestClock) -> None:
    first = waiting_caller(desk, "ios", at=T0)
    waiting_caller(desk, "android", at=clock.advance(1))
    second = waiting_caller(desk, "ios", at=clock.advance(1))
    third = waiting_caller(desk, "ios", at=clock.advance(1))

    with db(desk) as session:
        places = [queue.position(session, _row(session, i)) for i in (first, second, third)]
    assert places == [1, 2, 3]


def test_priority_goes_before_waiting_time(desk: Desk, clock: TestClock) -> None:
    early = waiting_caller(desk, "ios", at=T0)
    urgent = waiting_caller(desk, "ios", at=clock.advance(30), priority=1)
    expert = add_agent(desk, "li", {"ios": 3}, at=clock.now())

    with db(desk) as session:
        assert queue.position(session, _row(session, urgent)) == 1
        assert queue.position(session, _row(session, early)) == 2
    tick(desk)
    assert pending_offers(desk) == [(urgent, expert)]


def test_longest_waiting_caller_goes_to_the_longest_idle_agent(
    desk: Desk, clock: TestClock
) -> None:
    long_idle = add_agent(desk, "li", {"ios": 1}, at=T0)
    short_idle = add_agent(desk, "wang", {"ios": 1}, at=clock.advance(60))
    first = waiting_caller(desk, "ios", at=clock.advance(1))
    second = waiting_caller(desk, "ios", at=clock.advance(1))

    tick(desk)

    assert pending_offers(desk) == [(first, long_idle), (second, short_idle)]


def test_fairness_the_agent_who_just_finished_goes_to_the_back(
    desk: Desk, clock: TestClock
) -> None:
    a = add_agent(desk, "amy", {"apps": 1}, at=T0)
    b = add_agent(desk, "bob", {"apps": 1}, at=clock.advance(10))
    one = waiting_caller(desk, "apps", at=clock.advance(1))
    tick(desk)
    desk.accept(a, offer_of(desk, a))
    _talk_and_wrap(desk, clock, one)
    waiting_caller(desk, "apps", at=clock.advance(1))

    tick(desk)

    assert [agent_id for _, agent_id in pending_offers(desk)] == [b]


def test_only_agents_with_the_callers_skill_are_offered(desk: Desk) -> None:
    add_agent(desk, "android.only", {"android": 3})
    ios = add_agent(desk, "ios.too", {"ios": 1, "android": 1})
    caller = waiting_caller(desk, "ios")

    tick(desk)

    assert pending_offers(desk) == [(caller, ios)]


@pytest.mark.postgres
def test_best_skill_strategy_prefers_the_highest_level(app: Flask, desk: Desk) -> None:
    desk.settings = desk.settings.with_overrides({"desk_strategy": "best-skill"})
    add_agent(desk, "novice", {"ios": 1})
    master = add_agent(desk, "master", {"ios": 5})
    caller = waiting_caller(desk, "ios")

    tick(desk)

    assert pending_offers(desk) == [(caller, master)]


@pytest.mark.postgres
def test_fewest_calls_strategy_prefers_the_agent_with_fewer_calls_today(
    desk: Desk, clock: TestClock
) -> None:
    desk.settings = desk.settings.with_overrides({"desk_strategy": "fewest-calls"})
    busy = add_agent(desk, "busy", {"apps": 1}, at=T0)
    first = waiting_caller(desk, "apps", at=clock.advance(1))
    tick(desk)
    desk.accept(busy, offer_of(desk, busy))
    _talk_and_wrap(desk, clock, first)
    fresh = add_agent(desk, "fresh", {"apps": 1}, at=clock.advance(1))  # idle for less time
    caller = waiting_caller(desk, "apps", at=clock.advance(1))

    tick(desk)

    assert pending_offers(desk) == [(caller, fresh)]


def test_an_offer_not_accepted_in_time_lapses_and_goes_to_the_next_agent_keeping_the_place(
    desk: Desk, clock: TestClock
) -> None:
    slow = add_agent(desk, "slow", {"ios": 1}, at=T0)
    caller = waiting_caller(desk, "ios", at=clock.advance(1))
    tick(desk)
    quick = add_agent(desk, "quick", {"ios": 1}, at=clock.advance(1))
    entered = desk_call(desk, caller).entered_at

    clock.advance(20)
    result = tick(desk)

    assert len(result.lapsed) == 1
    assert pending_offers(desk) == [(caller, quick)]
    assert desk_call(desk, caller).entered_at == entered
    assert agent(desk, slow).lapses_in_row == 1
    [no_answer] = events(desk, "no_answer")
    assert (no_answer.desk_call_id, no_answer.agent_id) == (caller, slow)


def test_a_lapsed_agent_is_asked_again_only_when_nobody_else_can(
    desk: Desk, clock: TestClock
) -> None:
    only = add_agent(desk, "only", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    tick(desk)
    clock.advance(20)

    tick(desk)

    assert pending_offers(desk) == [(caller, only)]


@pytest.mark.postgres
def test_k_lapses_in_a_row_put_the_agent_on_a_break(desk: Desk, clock: TestClock) -> None:
    absent = add_agent(desk, "absent", {"ios": 1})
    for _ in range(3):
        waiting_caller(desk, "ios", at=clock.now())
        tick(desk)
        clock.advance(21)
        tick(desk)

    gone = agent(desk, absent)
    assert (gone.status, gone.break_reason, gone.state) == ("break", "missed_offers", "idle")
    assert pending_offers(desk) == []
    [auto] = [e for e in events(desk, "agent_status") if e.detail.get("by") == "system"]
    assert auto.detail["lapses"] == 3


def test_accepting_resets_the_lapse_count(desk: Desk, clock: TestClock) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    waiting_caller(desk, "ios")
    tick(desk)
    clock.advance(21)
    tick(desk)
    assert agent(desk, expert).lapses_in_row == 1

    desk.accept(expert, offer_of(desk, expert))

    assert agent(desk, expert).lapses_in_row == 0


def test_all_agents_on_break_callers_wait_and_nobody_is_offered(desk: Desk) -> None:
    first = add_agent(desk, "li", {"ios": 1})
    second = add_agent(desk, "wang", {"ios": 1})
    with db(desk) as session:
        for agent_id in (first, second):
            agents.set_status(session, agent_id, "break", "lunch", T0)
    caller = waiting_caller(desk, "ios")

    assert tick(desk).offers == []
    assert desk_call(desk, caller).status == "waiting"
    with db(desk) as session:
        row = _row(session, caller)
        assert queue.why_not_join(session, desk.settings, row, T0) is None
        assert queue.estimate(session, desk.settings, row, 1, T0) is None


def test_going_on_a_break_withdraws_a_pending_offer_without_a_lapse(
    desk: Desk, clock: TestClock
) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    tick(desk)

    with db(desk) as session:
        agents.set_status(session, expert, "break", "meeting", clock.now())

    assert pending_offers(desk) == []
    assert desk_call(desk, caller).status == "waiting"
    assert agent(desk, expert).lapses_in_row == 0


@pytest.mark.postgres
def test_wrap_up_time_keeps_the_agent_from_calls_until_it_is_over(
    desk: Desk, clock: TestClock
) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    first = waiting_caller(desk, "ios")
    tick(desk)
    desk.accept(expert, offer_of(desk, expert))
    _connect_and_talk(desk, clock, first, talk_s=200)
    second = waiting_caller(desk, "ios", at=clock.now())

    clock.advance(59)
    assert tick(desk).offers == []
    assert agent(desk, expert).state == "wrap_up"

    clock.advance(1)
    result = tick(desk)

    assert result.wrapped_up == [expert]
    assert pending_offers(desk) == [(second, expert)]
    wrap = events(desk, "wrapup_ended")[-1]
    assert (wrap.detail["wrap_s"], wrap.detail["by"]) == (60, "timer")


def test_saving_notes_ends_the_wrap_up_early(desk: Desk, clock: TestClock) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    tick(desk)
    desk.accept(expert, offer_of(desk, expert))
    _connect_and_talk(desk, clock, caller, talk_s=90)

    clock.advance(15)
    with db(desk) as session:
        agents.save_wrapup(
            session,
            desk.settings,
            expert,
            caller,
            notes="Reset network settings",
            disposition="solved",
            sms_body=None,
            now=clock.now(),
        )

    assert agent(desk, expert).state == "idle"
    wrap = events(desk, "wrapup_ended")[-1]
    assert (wrap.detail["wrap_s"], wrap.detail["by"]) == (15, "agent")


def test_caller_hangup_while_offered_cancels_the_offer_and_counts_an_abandon(
    desk: Desk, clock: TestClock
) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    tick(desk)
    clock.advance(7)

    with db(desk) as session:
        assert queue.abandon(session, queue.locked(session, caller), clock.now(), reason="hangup")

    assert pending_offers(desk) == []
    assert agent(desk, expert).state == "idle"
    assert agent(desk, expert).lapses_in_row == 0
    [abandoned] = events(desk, "abandoned")
    assert abandoned.detail == {"position": 1, "wait_s": 7, "reason": "hangup"}
    with pytest.raises(OfferGone):
        desk.accept(expert, 1)


def test_an_offer_cannot_be_accepted_after_it_lapsed(desk: Desk, clock: TestClock) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    waiting_caller(desk, "ios")
    tick(desk)
    offer = offer_of(desk, expert)
    clock.advance(20)

    with pytest.raises(OfferGone):
        desk.accept(expert, offer)


def test_redirect_refused_because_the_caller_is_gone_counts_an_abandon(
    desk: Desk, telephony: FakeTelephony
) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    tick(desk)
    telephony.fail = CallerGone

    with pytest.raises(CallerGone):
        desk.accept(expert, offer_of(desk, expert))

    assert desk_call(desk, caller).status == "abandoned"
    assert agent(desk, expert).state == "idle"


def test_redirect_failing_in_the_network_puts_the_caller_back_in_place(
    desk: Desk, telephony: FakeTelephony
) -> None:
    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    entered = desk_call(desk, caller).entered_at
    tick(desk)
    telephony.fail = TelephonyFailed

    with pytest.raises(TelephonyFailed):
        desk.accept(expert, offer_of(desk, expert))

    back = desk_call(desk, caller)
    assert (back.status, back.entered_at, back.agent_id) == ("waiting", entered, None)
    assert agent(desk, expert).state == "idle"


def test_agent_phone_not_answering_returns_the_caller_first_in_line(
    desk: Desk, clock: TestClock
) -> None:
    from expert_desk import progress

    expert = add_agent(desk, "li", {"ios": 1})
    caller = waiting_caller(desk, "ios")
    later = waiting_caller(desk, "ios", at=clock.advance(5))
    tick(desk)
    desk.accept(expert, offer_of(desk, expert))
    sid = desk_call(desk, caller).call_sid
    with db(desk) as session:
        assert progress.connected(session, caller, sid, clock.now())
        outcome = progress.dial_ended(session, desk.settings, caller, "no-answer", 0, clock.now())

    assert outcome == "returned"
    back = desk_call(desk, caller)
    assert (back.status, back.priority) == ("waiting", 1)
    assert agent(desk, expert).lapses_in_row == 1
    with db(desk) as session:
        assert queue.position(session, _row(session, caller)) == 1
        assert queue.position(session, _row(session, later)) == 2


# -- helpers -------------------------------------------------------------------------------


def _row(session: Session, desk_call_id: int) -> DeskCall:
    found = session.get(DeskCall, desk_call_id)
    assert found is not None
    return found


def _connect_and_talk(desk: Desk, clock: TestClock, caller: int, talk_s: int) -> None:
    from expert_desk import progress

    sid = desk_call(desk, caller).call_sid
    with db(desk) as session:
        assert progress.connected(session, caller, sid, clock.now())
    clock.advance(talk_s)
    with db(desk) as session:
        progress.dial_ended(session, desk.settings, caller, "completed", talk_s, clock.now())


def _talk_and_wrap(desk: Desk, clock: TestClock, caller: int) -> None:
    _connect_and_talk(desk, clock, caller, talk_s=120)
    clock.advance(60)
    tick(desk)


@pytest.mark.parametrize(
    ("said", "model", "topic"),
    [
        ("我的安卓手机连不上WiFi", None, "android"),
        ("华为手机蓝牙怎么设置", None, "harmonyos"),
        ("my iPhone wifi settings", None, "ios"),
        ("手机连不上WiFi", None, "settings"),
        ("系统怎么升级", "iPhone 15", "ios"),
    ],
)
def test_a_brand_or_system_named_wins_over_generic_words(
    said: str, model: str | None, topic: str
) -> None:
    from expert_desk import topics

    inferred = topics.infer(said, model)
    assert inferred is not None and inferred.name == topic
