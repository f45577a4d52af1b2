"""An agent's state as the system moves it: locking the row, freeing the agent, counting a
lapse (K in a row: an automatic break), ending the wrap-up."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from expert_desk import events
from expert_desk.models import AVAILABLE, BREAK, IDLE, MISSED_OFFERS, DeskAgent, DeskCall
from expert_desk.settings import DeskSettings


def lock_agent(session: Session, agent_id: int, *, skip: bool = False) -> DeskAgent | None:
    """The agent row, locked for this transaction (None if another holds it and *skip*)."""
    return session.scalar(
        sa.select(DeskAgent)
        .where(DeskAgent.id == agent_id)
        .with_for_update(skip_locked=skip)
        .execution_options(populate_existing=True)
    )


def release_agent(agent: DeskAgent, now: dt.datetime, *, keep_place: bool = False) -> None:
    """The agent has no call any more. Idle from now on (the back of the longest-idle
    order), unless *keep_place*: a call withdrawn through no fault of theirs."""
    agent.state, agent.state_since = IDLE, now
    if not keep_place:
        agent.idle_since = now
    agent.current_call_id, agent.wrap_up_until = None, None


def count_lapse(
    session: Session, settings: DeskSettings, agent: DeskAgent, now: dt.datetime
) -> None:
    """One more call the agent did not take; ``desk_max_lapses`` in a row put them on a break."""
    agent.lapses_in_row += 1
    if agent.lapses_in_row >= settings.desk_max_lapses and agent.status == AVAILABLE:
        agent.status, agent.break_reason = BREAK, MISSED_OFFERS
        events.record(
            session,
            "agent_status",
            now,
            agent=agent,
            status=BREAK,
            reason=MISSED_OFFERS,
            by="system",
            lapses=agent.lapses_in_row,
        )


def end_wrap_up(session: Session, agent: DeskAgent, now: dt.datetime, by: str) -> None:
    """The agent's wrap-up is over (notes saved, or its time ran out)."""
    desk_call = session.get(DeskCall, agent.current_call_id) if agent.current_call_id else None
    wrap_s = max(0, int((now - agent.state_since).total_seconds()))
    events.record(
        session, "wrapup_ended", now, desk_call=desk_call, agent=agent, wrap_s=wrap_s, by=by
    )
    release_agent(agent, now)
