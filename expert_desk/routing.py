"""Routing: which waiting caller is offered to which agent, and the clock that moves offers
and wrap-ups along.

Strategy (``DESK_STRATEGY``, after Asterisk ``app_queue``'s): callers are taken by priority,
then longest waiting first; each goes to an available, idle agent with the caller's skill:

* ``longest-idle`` (default, app_queue ``leastrecent``): the agent idle the longest;
* ``fewest-calls`` (``fewestcalls``): the agent who answered the fewest desk calls today;
* ``best-skill``: the agent with the highest level in the skill, then the longest idle.

An agent who let this caller's offer lapse is asked last. No caller is ever offered to two
agents at once, nor an agent two callers: rows are taken with ``SELECT ... FOR UPDATE SKIP
LOCKED`` (PostgreSQL; SQLite serialises writers), and two partial unique indexes on pending
offers make a second one impossible even if the locking were wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from expert_desk import events
from expert_desk.models import (
    AVAILABLE,
    CALLBACK,
    IDLE,
    IN_LINE,
    LAPSED,
    LINE,
    OFFERED,
    PENDING,
    WAITING,
    WRAP_UP,
    DeskAgent,
    DeskAgentSkill,
    DeskCall,
    DeskEvent,
    DeskOffer,
)
from expert_desk.queue import abandon, hours_of, locked
from expert_desk.settings import DeskSettings
from expert_desk.staff import count_lapse, end_wrap_up, lock_agent, release_agent
from ivr.clock import SERVICE_TZ, local_date
from ivr.models import Call


@dataclass
class Tick:
    """What one turn of the desk's clock did."""

    abandoned: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    wrapped_up: list[int] = field(default_factory=list)
    offers: list[int] = field(default_factory=list)


def tick(session: Session, settings: DeskSettings, now: dt.datetime) -> Tick:
    """Drop callers whose call has ended, lapse expired offers, end wrap-ups that are due,
    then offer waiting callers to free agents. Safe to run from any number of processes."""
    result = Tick()
    result.abandoned = drop_hung_up(session, now)
    result.lapsed = expire_offers(session, settings, now)
    result.wrapped_up = end_wrap_ups(session, now)
    result.offers = route(session, settings, now)
    return result


def drop_hung_up(session: Session, now: dt.datetime) -> list[int]:
    """Callers in line whose call Twilio reported ended (status callback) have abandoned."""
    ids = session.scalars(
        sa.select(DeskCall.id)
        .join(Call, Call.id == DeskCall.call_id)
        .where(DeskCall.status.in_(IN_LINE), DeskCall.mode == LINE, Call.ended_at.is_not(None))
    ).all()
    dropped = []
    for desk_call_id in ids:
        desk_call = locked(session, desk_call_id, skip=True)
        if desk_call is not None and abandon(session, desk_call, now, reason="status_callback"):
            dropped.append(desk_call_id)
    return dropped


def expire_offers(session: Session, settings: DeskSettings, now: dt.datetime) -> list[int]:
    """Offers not accepted in time lapse: the caller is offered again (keeping the place),
    the agent counts a lapse, and after ``desk_max_lapses`` in a row goes on a break."""
    due = session.scalars(
        sa.select(DeskOffer.id).where(DeskOffer.status == PENDING, DeskOffer.expires_at <= now)
    ).all()
    lapsed = []
    for offer_id in due:
        offer = session.get(DeskOffer, offer_id)
        assert offer is not None
        desk_call = locked(session, offer.desk_call_id, skip=True)
        if desk_call is None:
            continue
        agent = lock_agent(session, offer.agent_id)
        offer = session.scalar(
            sa.select(DeskOffer)
            .where(DeskOffer.id == offer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if offer is None or offer.status != PENDING:
            continue
        offer.status, offer.resolved_at = LAPSED, now
        if desk_call.status == OFFERED:
            desk_call.status = WAITING
        events.record(session, "no_answer", now, desk_call=desk_call, agent=agent, offer=offer.id)
        if agent is not None:
            release_agent(agent, now)
            count_lapse(session, settings, agent, now)
        lapsed.append(offer_id)
    return lapsed


def end_wrap_ups(session: Session, now: dt.datetime) -> list[int]:
    """Agents whose wrap-up time is over are idle again (their notes can still be saved)."""
    due = session.scalars(
        sa.select(DeskAgent.id).where(DeskAgent.state == WRAP_UP, DeskAgent.wrap_up_until <= now)
    ).all()
    ended = []
    for agent_id in due:
        agent = lock_agent(session, agent_id, skip=True)
        if agent is None or agent.state != WRAP_UP:
            continue
        end_wrap_up(session, agent, now, by="timer")
        ended.append(agent_id)
    return ended


def route(session: Session, settings: DeskSettings, now: dt.datetime) -> list[int]:
    """Offer each waiting caller, in order, to the best free agent; the new offers' ids."""
    waiting = session.scalars(
        sa.select(DeskCall)
        .where(DeskCall.status == WAITING)
        .order_by(DeskCall.priority.desc(), DeskCall.entered_at, DeskCall.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    made = []
    for desk_call in waiting:
        if desk_call.status != WAITING:
            continue
        if desk_call.mode == CALLBACK and not hours_of(settings, desk_call).is_open(now):
            continue  # promised within the line's hours: never a call back in the night
        agent = session.scalar(
            candidates(settings, desk_call, now)
            .limit(1)
            .with_for_update(skip_locked=True, of=DeskAgent)
            .execution_options(populate_existing=True)
        )
        if agent is None or not agent.routable:
            continue
        offer = _offer(session, settings, desk_call, agent, now)
        if offer is not None:
            made.append(offer.id)
    return made


def candidates(
    settings: DeskSettings, desk_call: DeskCall, now: dt.datetime
) -> sa.Select[tuple[DeskAgent]]:
    """Agents who may take *desk_call* now, best first, as the strategy orders them."""
    skill = sa.select(DeskAgentSkill.level).where(
        DeskAgentSkill.agent_id == DeskAgent.id, DeskAgentSkill.skill == desk_call.skill
    )
    lapsed_here = sa.exists().where(
        DeskOffer.desk_call_id == desk_call.id,
        DeskOffer.agent_id == DeskAgent.id,
        DeskOffer.status == LAPSED,
    )
    order: list[sa.ColumnElement[Any]] = [sa.case((lapsed_here, 1), else_=0)]
    if settings.desk_strategy == "fewest-calls":
        order.append(answered_since(day_start(now)).scalar_subquery().asc())
    elif settings.desk_strategy == "best-skill":
        order.append(skill.scalar_subquery().desc())
    order += [DeskAgent.idle_since.asc(), DeskAgent.id.asc()]
    return (
        sa.select(DeskAgent)
        .where(
            DeskAgent.active,
            DeskAgent.status == AVAILABLE,
            DeskAgent.state == IDLE,
            skill.exists(),
        )
        .order_by(*order)
    )


def answered_since(start: dt.datetime) -> sa.Select[tuple[int]]:
    return sa.select(sa.func.count(DeskEvent.id)).where(
        DeskEvent.kind == "answered", DeskEvent.agent_id == DeskAgent.id, DeskEvent.at >= start
    )


def day_start(now: dt.datetime) -> dt.datetime:
    """Midnight in Shanghai of *now*'s day, as naive UTC."""
    local = dt.datetime.combine(local_date(now), dt.time(), tzinfo=SERVICE_TZ)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _offer(
    session: Session,
    settings: DeskSettings,
    desk_call: DeskCall,
    agent: DeskAgent,
    now: dt.datetime,
) -> DeskOffer | None:
    offer = DeskOffer(
        desk_call_id=desk_call.id,
        agent_id=agent.id,
        status=PENDING,
        offered_at=now,
        expires_at=now + dt.timedelta(seconds=settings.desk_reservation_s),
    )
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError:  # another process offered this caller or this agent first
        return None
    desk_call.status = OFFERED
    agent.state, agent.state_since, agent.current_call_id = OFFERED, now, desk_call.id
    events.record(
        session,
        "offered",
        now,
        desk_call=desk_call,
        agent=agent,
        offer=offer.id,
        timeout_s=settings.desk_reservation_s,
    )
    return offer
