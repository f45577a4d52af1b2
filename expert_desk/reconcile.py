"""Reconciliation: the desk's state agrees with the phone network again after lost webhooks
or a crash. Twilio's status callbacks already end calls (:func:`routing.drop_hung_up`); the
sweeper (``ivr desk sweep``) also asks the REST API about calls it stopped hearing from, and
frees agents left offered or on a call that no longer exists. No agent stays "on call".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from expert_desk import agents, events, progress, queue, routing
from expert_desk.models import (
    CALLBACK,
    CONNECTING,
    IN_LINE,
    LINE,
    OFFERED,
    ON_CALL,
    PENDING,
    TALKING,
    DeskAgent,
    DeskCall,
    DeskOffer,
)
from expert_desk.settings import DeskSettings
from expert_desk.staff import release_agent
from ivr.db import transaction
from ivr.engine import TERMINAL_STATUSES
from ivr.models import Call

CONNECT_TIMEOUT = dt.timedelta(seconds=120)
TALK_GRACE = dt.timedelta(seconds=60)

CallStatus = Callable[[str], str | None]
"""A call's status from the REST API (None when it cannot be asked)."""


@dataclass
class Sweep:
    tick: routing.Tick
    abandoned: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    freed: list[int] = field(default_factory=list)


def stale_after(settings: DeskSettings) -> dt.timedelta:
    """A waiting caller's wait music asks for more every ``desk_hold_s``; three missed
    requests and a minute mean the call may be gone."""
    return dt.timedelta(seconds=3 * settings.desk_hold_s + 60)


def sweep(
    sessions: sessionmaker[Session],
    settings: DeskSettings,
    call_status: CallStatus,
    now: dt.datetime,
) -> Sweep:
    with transaction(sessions) as session:
        result = Sweep(routing.tick(session, settings, now))
    _silent_callers(sessions, settings, call_status, now, result)
    _stuck_connecting(sessions, call_status, now, result)
    _ended_conversations(sessions, settings, call_status, now, result)
    with transaction(sessions) as session:
        result.freed = free_stuck_agents(session, now)
        result.tick.offers += routing.route(session, settings, now)
    return result


def _silent_callers(
    sessions: sessionmaker[Session],
    settings: DeskSettings,
    call_status: CallStatus,
    now: dt.datetime,
    result: Sweep,
) -> None:
    with sessions() as session:
        silent = session.execute(
            sa.select(DeskCall.id, DeskCall.call_sid).where(
                DeskCall.status.in_(IN_LINE),
                DeskCall.mode == LINE,
                DeskCall.last_seen_at < now - stale_after(settings),
            )
        ).all()
    for desk_call_id, call_sid in silent:
        if call_status(call_sid) not in TERMINAL_STATUSES:
            continue
        with transaction(sessions) as session:
            desk_call = queue.locked(session, desk_call_id)
            if desk_call is not None and queue.abandon(session, desk_call, now, reason="swept"):
                result.abandoned.append(desk_call_id)


def _stuck_connecting(
    sessions: sessionmaker[Session], call_status: CallStatus, now: dt.datetime, result: Sweep
) -> None:
    """Accepted, but the caller's leg never asked whom to dial: the redirect (or the
    callback) was lost. A caller still on the line goes back in line, keeping the place."""
    with sessions() as session:
        stuck = session.scalars(
            sa.select(DeskCall).where(
                DeskCall.status == CONNECTING, DeskCall.accepted_at < now - CONNECT_TIMEOUT
            )
        ).all()
        legs = [(d.id, d.mode, _leg_sid(d)) for d in stuck]
    for desk_call_id, mode, sid in legs:
        status = call_status(sid) if sid else "failed"
        if status is None:
            continue
        with transaction(sessions) as session:
            if mode == CALLBACK:
                progress.callback_leg_ended(
                    session, desk_call_id, status if status in TERMINAL_STATUSES else "failed", now
                )
            else:
                agents.connect_failed(
                    session,
                    desk_call_id,
                    now,
                    caller_gone=status in TERMINAL_STATUSES,
                    reason="connect_timeout",
                )
        result.returned.append(desk_call_id)


def _ended_conversations(
    sessions: sessionmaker[Session],
    settings: DeskSettings,
    call_status: CallStatus,
    now: dt.datetime,
    result: Sweep,
) -> None:
    """Connected calls that are over although the ``<Dial>`` outcome never arrived."""
    with sessions() as session:
        talking = session.execute(
            sa.select(DeskCall, Call.ended_at)
            .join(Call, Call.id == DeskCall.call_id)
            .where(DeskCall.status == TALKING, DeskCall.connected_at < now - TALK_GRACE)
        ).all()
        legs = [(d.id, d.mode, _leg_sid(d), d.connected_at, ended) for d, ended in talking]
    for desk_call_id, mode, sid, connected_at, ended_at in legs:
        if mode == LINE and ended_at is None:
            continue  # the caller is still on the line: still talking
        if mode == CALLBACK and (not sid or call_status(sid) not in TERMINAL_STATUSES):
            continue
        talk_s = (
            max(0, int((ended_at - connected_at).total_seconds()))
            if ended_at and connected_at
            else None
        )
        with transaction(sessions) as session:
            progress.finish(session, settings, desk_call_id, talk_s, now)
        result.finished.append(desk_call_id)


def free_stuck_agents(session: Session, now: dt.datetime) -> list[int]:
    """Agents offered a call with no pending offer, or on a call that is not going on."""
    pending = sa.select(DeskOffer.agent_id).where(DeskOffer.status == PENDING)
    live = sa.select(DeskCall.id).where(DeskCall.status.in_((CONNECTING, TALKING)))
    stuck = session.scalars(
        sa.select(DeskAgent)
        .where(
            sa.or_(
                sa.and_(DeskAgent.state == OFFERED, DeskAgent.id.not_in(pending)),
                sa.and_(
                    DeskAgent.state == ON_CALL,
                    sa.or_(
                        DeskAgent.current_call_id.is_(None),
                        DeskAgent.current_call_id.not_in(live),
                    ),
                ),
            )
        )
        .with_for_update(skip_locked=True)
    ).all()
    for agent in stuck:
        events.record(session, "agent_freed", now, agent=agent, was=agent.state)
        release_agent(agent, now, keep_place=True)
    return [agent.id for agent in stuck]


def _leg_sid(desk_call: DeskCall) -> str | None:
    if desk_call.mode == CALLBACK:
        return desk_call.callback.outbound_sid if desk_call.callback else None
    return desk_call.call_sid
