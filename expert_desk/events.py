"""Appending to the queue event log (and the structured log) in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.orm import Session

from expert_desk.models import DeskAgent, DeskCall, DeskEvent
from ivr.logs import log_event

logger = logging.getLogger("expert_desk")


def record(
    session: Session,
    kind: str,
    at: dt.datetime,
    *,
    desk_call: DeskCall | None = None,
    agent: DeskAgent | None = None,
    **detail: Any,
) -> DeskEvent:
    """Append one event; its skill is the desk call's. Never pass caller text or secrets."""
    event = DeskEvent(
        at=at,
        kind=kind,
        desk_call_id=desk_call.id if desk_call else None,
        agent_id=agent.id if agent else None,
        skill=desk_call.skill if desk_call else None,
        detail=detail,
    )
    session.add(event)
    log_event(
        logger,
        f"desk.{kind}",
        desk_call=event.desk_call_id,
        agent=agent.username if agent else None,
        call_sid=desk_call.call_sid if desk_call else None,
        **detail,
    )
    return event
