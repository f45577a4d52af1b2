"""A call after an agent accepted it: the caller's leg is connected to the agent (``<Dial>``),
the conversation ends (wrap-up begins), or the agent's phone does not answer (the caller
goes back in line, first among equals). Callback legs are followed the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from expert_desk import events, phone, queue
from expert_desk.models import (
    CALLBACK,
    COMPLETED,
    CONNECTING,
    LEFT,
    ON_CALL,
    TALKING,
    WAITING,
    WRAP_UP,
    DeskAgent,
)
from expert_desk.settings import DeskSettings
from expert_desk.staff import count_lapse, end_wrap_up, lock_agent, release_agent
from ivr.engine import TERMINAL_STATUSES

MAX_CALLBACK_ATTEMPTS = 3


@dataclass(frozen=True)
class Leg:
    """Dial *to* (the agent's phone) for desk call *desk_call_id*, speaking *language*."""

    desk_call_id: int
    to: str
    language: str


def connected(session: Session, desk_call_id: int, call_sid: str, now: dt.datetime) -> Leg | None:
    """The caller's leg (redirected from the queue, or the callback answered) asks whom to
    dial. None when the request does not belong to an accepted desk call."""
    desk_call = queue.locked(session, desk_call_id)
    if desk_call is None or desk_call.status != CONNECTING or desk_call.agent_id is None:
        return None
    if desk_call.mode == CALLBACK and desk_call.callback is not None:
        # The callback may be answered before the REST answer with its sid is recorded.
        callback = desk_call.callback
        if callback.outbound_sid not in (None, call_sid):
            return None
        callback.outbound_sid = call_sid
    elif call_sid != desk_call.call_sid:
        return None
    agent = session.get(DeskAgent, desk_call.agent_id)
    assert agent is not None
    desk_call.status, desk_call.connected_at = TALKING, now
    events.record(session, "connected", now, desk_call=desk_call, agent=agent)
    return Leg(desk_call.id, phone.ring_target(agent), desk_call.language)


def dial_ended(
    session: Session,
    settings: DeskSettings,
    desk_call_id: int,
    dial_status: str,
    talk_s: int | None,
    now: dt.datetime,
) -> str | None:
    """``<Dial>`` to the agent ended: ``completed`` (they talked; wrap-up begins) or
    ``returned`` (the agent's phone did not answer: a lapse for the agent, and the caller
    back in line with their place and a higher priority). None if nothing was connecting."""
    desk_call = queue.locked(session, desk_call_id)
    if desk_call is None or desk_call.status not in (CONNECTING, TALKING):
        return None
    agent = lock_agent(session, desk_call.agent_id) if desk_call.agent_id else None
    owns = agent is not None and agent.current_call_id == desk_call.id
    if dial_status == "completed":
        finish(session, settings, desk_call_id, talk_s, now)
        return "completed"
    events.record(
        session, "agent_unreachable", now, desk_call=desk_call, agent=agent, status=dial_status
    )
    if agent is not None and owns:
        release_agent(agent, now)
        count_lapse(session, settings, agent, now)
    desk_call.status, desk_call.agent_id, desk_call.connected_at = WAITING, None, None
    desk_call.priority += 1
    desk_call.last_seen_at = now
    return "returned"


def finish(
    session: Session,
    settings: DeskSettings,
    desk_call_id: int,
    talk_s: int | None,
    now: dt.datetime,
) -> None:
    """The conversation is over: the call is completed and its agent wraps up."""
    desk_call = queue.locked(session, desk_call_id)
    if desk_call is None or desk_call.status not in (CONNECTING, TALKING):
        return
    agent = lock_agent(session, desk_call.agent_id) if desk_call.agent_id else None
    desk_call.status, desk_call.ended_at, desk_call.talk_s = COMPLETED, now, talk_s
    events.record(session, "completed", now, desk_call=desk_call, agent=agent, talk_s=talk_s)
    if agent is None or agent.current_call_id != desk_call.id or agent.state != ON_CALL:
        return
    agent.state, agent.state_since = WRAP_UP, now
    agent.wrap_up_until = now + dt.timedelta(seconds=settings.desk_wrap_up_s)
    if settings.desk_wrap_up_s == 0:
        end_wrap_up(session, agent, now, by="timer")


def callback_dialed(session: Session, desk_call_id: int, sid: str, now: dt.datetime) -> None:
    """The callback call was placed through the REST API."""
    desk_call = queue.locked(session, desk_call_id)
    if desk_call is None or desk_call.callback is None:
        return
    callback = desk_call.callback
    callback.outbound_sid = callback.outbound_sid or sid
    events.record(session, "callback_dialed", now, desk_call=desk_call, attempt=callback.attempts)


def callback_leg_ended(
    session: Session, desk_call_id: int, call_status: str, now: dt.datetime
) -> None:
    """The status callback of a callback call. One that never connected (busy, no answer)
    puts the caller back in line, keeping the place, until the last attempt."""
    desk_call = queue.locked(session, desk_call_id)
    if (
        desk_call is None
        or desk_call.mode != CALLBACK
        or desk_call.status != CONNECTING
        or call_status not in TERMINAL_STATUSES
    ):
        return
    agent = lock_agent(session, desk_call.agent_id) if desk_call.agent_id else None
    if agent is not None and agent.current_call_id == desk_call.id:
        release_agent(agent, now, keep_place=True)
    attempts = desk_call.callback.attempts if desk_call.callback else MAX_CALLBACK_ATTEMPTS
    final = attempts >= MAX_CALLBACK_ATTEMPTS
    events.record(
        session,
        "callback_failed",
        now,
        desk_call=desk_call,
        agent=agent,
        status=call_status,
        attempt=attempts,
        final=final,
    )
    desk_call.agent_id = None
    if final:
        desk_call.status, desk_call.left_reason, desk_call.ended_at = LEFT, "unreachable", now
    else:
        desk_call.status = WAITING
