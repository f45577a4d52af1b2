"""Helpers for the expert desk's tests: a clock the test moves, agents and waiting callers
made in one line, a stand-in for Twilio's REST API that records what the desk asked."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from expert_desk import agents, phone, queue, routing, topics
from expert_desk.desk import Desk
from expert_desk.errors import CallerGone, TelephonyFailed
from expert_desk.models import DeskAgent, DeskCall, DeskEvent, DeskOffer
from ivr.config import Settings
from ivr.db import transaction
from ivr.flow import CallContext
from ivr.models import Call
from simulator.clients import AnsweringClient
from simulator.inputs import Action, Hangup, Hold, InputRequest, Moment, Wait
from simulator.network import Network
from tests.support.clocks import TestClock

T0 = dt.datetime(2026, 11, 26, 3, 0, 0)  # 11:00 in Shanghai: the desk is open
OPEN_ALL_DAY = {"desk_hours": "00:00-24:00"}
CHEAP_HASH = "pbkdf2:sha256:1$x$0"  # tests that never log in skip the real hashing


@dataclass
class FakeTelephony:
    """Records the desk's REST requests; set *fail* to a DeskError class to refuse them."""

    redirects: list[tuple[str, int]] = field(default_factory=list)
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    fail: type[CallerGone] | type[TelephonyFailed] | None = None

    def redirect_to_agent(self, call_sid: str, desk_call_id: int) -> None:
        if self.fail:
            raise self.fail()
        self.redirects.append((call_sid, desk_call_id))

    def call_back(self, number: str, desk_call_id: int) -> str:
        if self.fail:
            raise self.fail()
        self.callbacks.append((number, desk_call_id))
        return "CA" + secrets.token_hex(16)

    def call_status(self, call_sid: str) -> str | None:
        return self.statuses.get(call_sid)


def desk_of(app: Flask) -> Desk:
    desk: Desk = app.extensions["hotline"].desk
    return desk


STILL_AT_T0 = pytest.mark.clock(T0, running=False)
"""Mark of the desk's tests: the clock stands at *T0* and moves only when the test says."""


def use_test_doubles(app: Flask) -> tuple[Desk, TestClock, FakeTelephony]:
    """The app's desk with a Twilio stand-in that records requests, and the app's clock."""
    desk = desk_of(app)
    telephony = FakeTelephony()
    desk.telephony = telephony  # type: ignore[assignment]
    clock: TestClock = app.extensions["hotline"].clock
    return desk, clock, telephony


@contextmanager
def db(desk: Desk) -> Iterator[Session]:
    with transaction(desk.sessions) as session:
        yield session


def available(desk: Desk, username: str) -> int:
    """Demo agent *username* signed in and available now: their id."""
    with db(desk) as session:
        found = session.scalar(agents.DeskAgent.by_username(username))
        assert found is not None
        agents.set_status(session, found.id, "available", None, desk.now())
        return found.id


def answering_in_browser(
    network: Network, desk: Desk, *usernames: str, talk_s: float = math.inf
) -> None:
    """The agents' browser phones registered with the simulated network, each picking up at
    once and talking *talk_s* (until the caller hangs up), as ``ivr call --client`` does."""
    with desk.sessions() as session:
        for username in usernames:
            found = session.scalar(agents.DeskAgent.by_username(username))
            assert found is not None, username
            network.clients.register(phone.identity(found.id), AnsweringClient(talk_s))


def add_agent(
    desk: Desk,
    username: str,
    skills: dict[str, int],
    *,
    available: bool = True,
    at: dt.datetime = T0,
    **options: Any,
) -> int:
    with db(desk) as session:
        agent = agents.create_agent(
            session,
            username,
            "",
            skills=skills,
            now=at,
            password_hash=CHEAP_HASH,
            **options,
        )
        if available:
            agents.set_status(session, agent.id, "available", None, at)
        return agent.id


def waiting_caller(
    desk: Desk,
    topic: str = "ios",
    *,
    at: dt.datetime = T0,
    priority: int = 0,
    number: str = "+8613800138000",
    transcript: str | None = None,
) -> int:
    """A caller who picked *topic* and joined the line at *at*; the desk call's id."""
    with db(desk) as session:
        call = Call(
            call_sid="CA" + secrets.token_hex(16),
            from_number=number,
            to_number="10010",
            entry="hotline",
            language="zh-CN",
            state="expert_desk.joining",
            started_at=at,
            last_activity_at=at,
        )
        session.add(call)
        session.flush()
        ctx = CallContext(session, call, desk.settings, at)
        desk_call = queue.start(ctx, topics.BY_NAME[topic], "keys", transcript=transcript)
        desk_call.priority = priority
        queue.join(session, desk_call, at)
        return desk_call.id


def tick(desk: Desk) -> routing.Tick:
    return desk.tick()


def agent(desk: Desk, agent_id: int) -> DeskAgent:
    with desk.sessions() as session:
        found = session.get(DeskAgent, agent_id)
        assert found is not None
        session.expunge(found)
        return found


def desk_call(desk: Desk, desk_call_id: int) -> DeskCall:
    with desk.sessions() as session:
        found = session.get(DeskCall, desk_call_id)
        assert found is not None
        session.expunge(found)
        return found


def pending_offers(desk: Desk) -> list[tuple[int, int]]:
    """(desk call, agent) of every pending offer."""
    with desk.sessions() as session:
        rows = session.execute(
            sa.select(DeskOffer.desk_call_id, DeskOffer.agent_id)
            .where(DeskOffer.status == "pending")
            .order_by(DeskOffer.id)
        ).all()
        return [(int(a), int(b)) for a, b in rows]


def offer_of(desk: Desk, agent_id: int) -> int:
    with desk.sessions() as session:
        offer_id = session.scalar(
            sa.select(DeskOffer.id).where(
                DeskOffer.agent_id == agent_id, DeskOffer.status == "pending"
            )
        )
        assert offer_id is not None, "no pending offer"
        return int(offer_id)


def events(desk: Desk, kind: str | None = None) -> list[DeskEvent]:
    with desk.sessions() as session:
        query = sa.select(DeskEvent).order_by(DeskEvent.id)
        if kind:
            query = query.where(DeskEvent.kind == kind)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def settings_with(settings: Settings, **changes: Any) -> Settings:
    return settings.with_overrides(changes)


@dataclass
class HoldingCaller:
    """A simulated caller who answers the menus with *answers*, holds in the queue until an
    expert takes the call (however soon that is), then talks *talk_s* seconds and hangs up.

    Deciding by the moment, not by the order of a script, keeps the test free of the race
    between the caller's first hold and an agent's quick accept."""

    answers: list[Action]
    talk_s: float = 30.0
    talked: bool = False

    def next_action(self, request: InputRequest) -> Action | None:
        if request.moment is Moment.GATHER:
            return self.answers.pop(0) if self.answers else Hangup()
        if request.moment is Moment.QUEUE:
            return Hold()
        if request.moment is Moment.BRIDGE:
            if self.talked:
                return Hangup()
            self.talked = True
            return Wait(self.talk_s)
        return None
