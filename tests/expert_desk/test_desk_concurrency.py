"""No caller is ever offered to two agents, nor an agent two callers, even with several app
processes routing at the same moment (each thread has its own engine, as a process would)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expert_desk import routing
from expert_desk.models import DeskOffer
from ivr.db import make_engine, make_session_factory, transaction
from tests.support.clocks import TestClock
from tests.support.desk import (
    OPEN_ALL_DAY,
    STILL_AT_T0,
    T0,
    add_agent,
    desk_call,
    desk_of,
    pending_offers,
    use_test_doubles,
    waiting_caller,
)
from tests.support.polling import PATIENCE_S

PROCESSES = 4

pytestmark = STILL_AT_T0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return OPEN_ALL_DAY


def run_at_once(
    database_url: str, work: Callable[[Session], object], rounds: int = 5
) -> list[BaseException]:
    """Run *work* from PROCESSES threads, each with its own engine, all starting together."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(PROCESSES)

    def process() -> None:
        engine = make_engine(database_url, TestClock(T0, running=False))
        sessions = make_session_factory(engine)
        try:
            barrier.wait(timeout=PATIENCE_S)
            for _ in range(rounds):
                with transaction(sessions) as session:
                    work(session)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=process) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a routing process hung"
    return errors


@pytest.mark.postgres
def test_routing_from_several_processes_at_once_never_offers_a_caller_twice(
    app: Flask, database_url: str
) -> None:
    desk, _, _ = use_test_doubles(app)
    experts = [add_agent(desk, f"expert{i}", {"ios": 1, "apps": 1}) for i in range(6)]
    callers = [waiting_caller(desk, "ios" if i % 2 else "apps") for i in range(10)]

    errors = run_at_once(database_url, lambda s: routing.route(s, desk.settings, T0))

    assert errors == []
    offers = pending_offers(desk)
    assert len(offers) == len(experts)
    assert len({caller for caller, _ in offers}) == len(offers)
    assert len({expert for _, expert in offers}) == len(offers)
    assert {caller for caller, _ in offers} == set(callers[:6])  # the six longest waiting
    for caller in callers[:6]:
        assert desk_call(desk, caller).status == "offered"


@pytest.mark.postgres
def test_the_database_refuses_a_second_pending_offer_for_a_caller_or_an_agent(
    app: Flask, database_url: str
) -> None:
    desk = desk_of(app)
    first, second = add_agent(desk, "first", {"ios": 1}), add_agent(desk, "second", {"ios": 1})
    caller, other = waiting_caller(desk, "ios"), waiting_caller(desk, "ios")

    def offer(session: Session, desk_call_id: int, agent_id: int) -> None:
        session.add(
            DeskOffer(
                desk_call_id=desk_call_id,
                agent_id=agent_id,
                status="pending",
                offered_at=T0,
                expires_at=T0,
            )
        )
        session.flush()

    with transaction(desk.sessions) as session:
        offer(session, caller, first)
    for desk_call_id, agent_id in ((caller, second), (other, first)):
        with pytest.raises(IntegrityError), transaction(desk.sessions) as session:
            offer(session, desk_call_id, agent_id)
    with transaction(desk.sessions) as session:  # settled offers do not count
        session.execute(sa.update(DeskOffer).values(status="lapsed"))
        offer(session, caller, second)


@pytest.mark.postgres
def test_two_processes_offering_the_same_caller_at_once_make_one_offer(
    app: Flask, database_url: str
) -> None:
    """Even if locking were skipped, the unique index lets only one offer through."""
    desk, _, _ = use_test_doubles(app)
    agents = [add_agent(desk, f"agent{i}", {"ios": 1}) for i in range(PROCESSES)]
    caller = waiting_caller(desk, "ios")
    made: list[int] = []
    lock = threading.Lock()
    each_their_own = iter(agents)  # a different agent per process: only the caller clashes

    def offer_without_locks(session: Session) -> None:
        from expert_desk.models import DeskAgent, DeskCall

        with lock:
            agent_id = next(each_their_own)
        desk_call_row = session.get(DeskCall, caller)
        agent = session.get(DeskAgent, agent_id)
        assert desk_call_row is not None and agent is not None
        result = routing._offer(session, desk.settings, desk_call_row, agent, T0)
        if result is not None:
            with lock:
                made.append(result.id)

    errors = run_at_once(database_url, offer_without_locks, rounds=1)

    assert errors == []
    assert len(made) == 1
    assert [c for c, _ in pending_offers(desk)] == [caller]
