"""The caller's side of the desk: the question, joining the line, the place in it, the honest
wait estimate, callbacks, and leaving (hung up, max wait, turned away).

Every function runs inside the caller's transaction and takes ``now``; check first
(:func:`why_not_join`), then act (:func:`join`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from expert_desk import events, policy, topics
from expert_desk.models import (
    ABANDONED,
    ASKING,
    AVAILABLE,
    CALLBACK,
    CANCELED,
    IN_LINE,
    LEFT,
    LINE,
    OFFERED,
    OFFLINE,
    ON_CALL,
    PENDING,
    WAITING,
    WITHDRAWN,
    WRAP_UP,
    DeskAgent,
    DeskAgentSkill,
    DeskCall,
    DeskCallback,
    DeskEvent,
    DeskOffer,
)
from expert_desk.settings import DeskSettings
from expert_desk.staff import lock_agent, release_agent
from expert_desk.topics import Topic
from ivr.flow import CallContext
from ivr.models import Call
from ivr.numbers import InvalidNumber, normalize
from ivr.reply import Line
from prompts import spoken

MAX_TRANSCRIPT = 500
HANDLE_TIME_SAMPLE = 20  # recent calls of a skill that make its average handle time
BUSY_FLOOR_S = 30.0  # an expert on a long call is still expected to finish some time


def current(session: Session, call: Call) -> DeskCall | None:
    """The caller's latest visit to the desk in this call."""
    return session.scalar(
        sa.select(DeskCall).where(DeskCall.call_id == call.id).order_by(DeskCall.id.desc()).limit(1)
    )


def locked(session: Session, desk_call_id: int, *, skip: bool = False) -> DeskCall | None:
    """The desk call, locked for this transaction (None if another holds it and *skip*)."""
    return session.scalar(
        sa.select(DeskCall)
        .where(DeskCall.id == desk_call_id)
        .with_for_update(skip_locked=skip)
        .execution_options(populate_existing=True)
    )


def start(ctx: CallContext, topic: Topic, source: str, transcript: str | None = None) -> DeskCall:
    """The caller picked (or said) a topic: a new visit to the desk begins."""
    session = ctx.session
    session.execute(
        sa.update(DeskCall)
        .where(DeskCall.call_id == ctx.call.id, DeskCall.status == ASKING)
        .values(status=CANCELED)
    )
    subscriber = ctx.subscriber
    desk_call = DeskCall(
        call_id=ctx.call.id,
        call_sid=ctx.call.call_sid,
        caller_number=ctx.call.from_number,
        language=ctx.language,
        phone_model=subscriber.phone_model if subscriber else None,
        topic=topic.name,
        skill=topic.skill,
        topic_source=source,
        transcript=transcript[:MAX_TRANSCRIPT] if transcript else None,
        transcript_source="speech" if transcript else None,
        status=ASKING,
        created_at=ctx.now,
    )
    session.add(desk_call)
    session.flush()
    ctx.event("desk.topic", topic=topic.name, source=source, transcript=transcript is not None)
    return desk_call


def start_from_speech(ctx: CallContext, said: str) -> DeskCall:
    """The caller answered the topic question in words: they are the question, and the topic
    is inferred from them ("other" when they name none)."""
    subscriber = ctx.subscriber
    topic = topics.infer(said, subscriber.phone_model if subscriber else None)
    return start(ctx, topic or topics.OTHER, "speech" if topic else "none", transcript=said)


def take_question(
    ctx: CallContext,
    desk_call: DeskCall,
    transcript: str | None,
    recording_url: str | None,
    recording_s: int | None,
) -> None:
    """The recorded question (and its transcript, when one could be made)."""
    desk_call.recording_url = recording_url
    desk_call.recording_s = recording_s
    if transcript:
        desk_call.transcript = transcript[:MAX_TRANSCRIPT]
        desk_call.transcript_source = "recording"
        if desk_call.topic == topics.OTHER.name:
            inferred = topics.infer(transcript, desk_call.phone_model)
            if inferred is not None:
                desk_call.topic, desk_call.skill = inferred.name, inferred.skill
                desk_call.topic_source = "transcript"
    ctx.event(
        "desk.question",
        recorded=recording_url is not None,
        transcribed=bool(transcript),
        topic=desk_call.topic,
    )


# -- joining the line ----------------------------------------------------------------------


def is_general(desk_call: DeskCall) -> bool:
    """A caller for the general agents (key 0), not for an expert's topic."""
    return desk_call.topic == topics.GENERAL.name


def hours_of(settings: DeskSettings, desk_call: DeskCall) -> policy.Hours:
    """The opening hours of the caller's line: the general agents' or the desk's."""
    return policy.hours(settings.agent_hours if is_general(desk_call) else settings.desk_hours)


def max_wait_of(settings: DeskSettings, desk_call: DeskCall) -> int:
    """The longest wait on the caller's line before they are offered the alternatives."""
    return settings.agent_max_wait_s if is_general(desk_call) else settings.desk_max_wait_s


def why_not_join(
    session: Session, settings: DeskSettings, desk_call: DeskCall, now: dt.datetime
) -> str | None:
    """Why the caller cannot wait in line now: ``closed``, ``no_expert`` (none with the skill
    is logged in), ``full`` (the line is at its maximum length); None when they can.
    The general agents' line and the experts' each have their own hours and length."""
    if not hours_of(settings, desk_call).is_open(now):
        return "closed"
    if not logged_in(session, desk_call.skill):
        return "no_expert"
    same_line = (
        DeskCall.topic == topics.GENERAL.name
        if is_general(desk_call)
        else DeskCall.topic != topics.GENERAL.name
    )
    on_the_line = session.scalar(
        sa.select(sa.func.count())
        .select_from(DeskCall)
        .where(DeskCall.status.in_(IN_LINE), DeskCall.mode == LINE, same_line)
    )
    limit = settings.agent_max_queue if is_general(desk_call) else settings.desk_max_queue
    if (on_the_line or 0) >= limit:
        return "full"
    return None


def may_keep_waiting(
    session: Session, settings: DeskSettings, desk_call: DeskCall, now: dt.datetime
) -> bool:
    """Whether a caller offered the alternatives may choose to go on holding: the line is
    open, someone with the skill is signed in, and it has room (or they never left it)."""
    if desk_call.status != LEFT or desk_call.mode != LINE or desk_call.left_reason == "full":
        return False
    return hours_of(settings, desk_call).is_open(now) and bool(logged_in(session, desk_call.skill))


def keep_waiting(session: Session, desk_call: DeskCall, now: dt.datetime) -> int:
    """The caller chose to go on holding: back in line at their old place (or a new one if
    they never had one), with a new longest wait. Their position."""
    if desk_call.entered_at is None:
        desk_call.left_reason = None
        desk_call.status = ASKING
        return join(session, desk_call, now)
    desk_call.status, desk_call.left_reason = WAITING, None
    desk_call.patience_from = now
    desk_call.last_seen_at = now
    session.flush()
    place = position(session, desk_call)
    desk_call.announced_at, desk_call.announced_position = now, place
    events.record(session, "kept_waiting", now, desk_call=desk_call, position=place)
    return place


def join(session: Session, desk_call: DeskCall, now: dt.datetime) -> int:
    """Put the caller in line; their position."""
    desk_call.status = WAITING
    desk_call.entered_at = now
    desk_call.last_seen_at = now
    session.flush()
    place = position(session, desk_call)
    desk_call.announced_at, desk_call.announced_position = now, place
    events.record(
        session,
        "entered",
        now,
        desk_call=desk_call,
        position=place,
        priority=desk_call.priority,
        mode=LINE,
        topic=desk_call.topic,
    )
    return place


def turn_away(session: Session, desk_call: DeskCall, now: dt.datetime, reason: str) -> None:
    """The caller cannot wait (closed, no expert, full, max wait): they will be offered a
    callback or a general agent."""
    was_in_line = desk_call.in_line
    detail: dict[str, Any] = {"reason": reason}
    if was_in_line:
        detail |= {"position": position(session, desk_call), "wait_s": desk_call.waited_s(now)}
    desk_call.status, desk_call.left_reason = LEFT, reason
    events.record(session, "left", now, desk_call=desk_call, **detail)


def callback_number(desk_call: DeskCall) -> str | None:
    """The number a callback can reach: the caller's, unless it is hidden or not a phone."""
    try:
        national = normalize(desk_call.caller_number)
    except InvalidNumber:
        return None
    return national if national.isdigit() and len(national) >= 5 else None


def request_callback(session: Session, desk_call: DeskCall, now: dt.datetime) -> bool:
    """Swap holding for a callback. A caller in line keeps their place; one turned away
    joins the line now. False when the caller's number cannot be called back."""
    number = callback_number(desk_call)
    if number is None or desk_call.mode == CALLBACK:
        return False
    if desk_call.status not in (*IN_LINE, LEFT, ASKING):
        return False
    in_line = desk_call.in_line
    was_waiting = desk_call.status == LEFT and desk_call.entered_at is not None
    desk_call.mode = CALLBACK
    session.add(DeskCallback(desk_call_id=desk_call.id, number=number, requested_at=now))
    if not in_line:
        desk_call.status = WAITING
        desk_call.left_reason = None
        if not was_waiting:  # never in line before: the callback joins it now
            desk_call.entered_at = now
            events.record(session, "entered", now, desk_call=desk_call, position=0, mode=CALLBACK)
    session.flush()
    events.record(
        session,
        "callback_requested",
        now,
        desk_call=desk_call,
        position=position(session, desk_call),
        wait_s=desk_call.waited_s(now),
    )
    return True


def abandon(session: Session, desk_call: DeskCall, now: dt.datetime, reason: str) -> bool:
    """The caller hung up while waiting on the line: withdraw any offer, count the abandon."""
    if not (desk_call.in_line and desk_call.mode == LINE):
        return False
    place = position(session, desk_call)
    withdraw_offer(session, desk_call, now, reason="caller_hung_up")
    desk_call.status, desk_call.ended_at = ABANDONED, now
    events.record(
        session,
        "abandoned",
        now,
        desk_call=desk_call,
        position=place,
        wait_s=desk_call.waited_s(now),
        reason=reason,
    )
    return True


def withdraw_offer(session: Session, desk_call: DeskCall, now: dt.datetime, reason: str) -> None:
    """Take back a pending offer of this desk call; the agent is free again (no lapse)."""
    offer = session.scalar(
        sa.select(DeskOffer)
        .where(DeskOffer.desk_call_id == desk_call.id, DeskOffer.status == PENDING)
        .with_for_update()
    )
    if offer is None:
        return
    agent = lock_agent(session, offer.agent_id)
    offer.status, offer.resolved_at = WITHDRAWN, now
    if desk_call.status == OFFERED:
        desk_call.status = WAITING
    if agent is not None and agent.current_call_id == desk_call.id:
        release_agent(agent, now, keep_place=True)
    events.record(session, "offer_withdrawn", now, desk_call=desk_call, agent=agent, reason=reason)


# -- where the caller stands -------------------------------------------------------------


def position(session: Session, desk_call: DeskCall) -> int:
    """1 + the callers ahead in the same skill's line: higher priority, or the same priority
    and earlier in line. Callbacks keep their place and count."""
    if desk_call.entered_at is None:
        return 0
    earlier = sa.or_(
        DeskCall.priority > desk_call.priority,
        sa.and_(
            DeskCall.priority == desk_call.priority,
            sa.or_(
                DeskCall.entered_at < desk_call.entered_at,
                sa.and_(DeskCall.entered_at == desk_call.entered_at, DeskCall.id < desk_call.id),
            ),
        ),
    )
    ahead = session.scalar(
        sa.select(sa.func.count())
        .select_from(DeskCall)
        .where(
            DeskCall.status.in_(IN_LINE),
            DeskCall.skill == desk_call.skill,
            DeskCall.id != desk_call.id,
            earlier,
        )
    )
    return (ahead or 0) + 1


def logged_in(session: Session, skill: str) -> list[DeskAgent]:
    """Agents with *skill* who are logged in (available or on a break)."""
    return list(
        session.scalars(
            sa.select(DeskAgent)
            .join(DeskAgentSkill)
            .where(DeskAgentSkill.skill == skill, DeskAgent.active, DeskAgent.status != OFFLINE)
        )
    )


def handle_time(session: Session, settings: DeskSettings, skill: str) -> float:
    """Average handle time (talk + wrap-up) of the skill's recent calls, from the event log;
    the configured default before there is any."""
    completed = session.execute(
        sa.select(DeskEvent.desk_call_id, DeskEvent.detail)
        .where(DeskEvent.kind == "completed", DeskEvent.skill == skill)
        .order_by(DeskEvent.id.desc())
        .limit(HANDLE_TIME_SAMPLE)
    ).all()
    if not completed:
        return float(settings.desk_default_handle_s)
    ids = [row.desk_call_id for row in completed]
    wraps = dict(
        session.execute(
            sa.select(DeskEvent.desk_call_id, DeskEvent.detail).where(
                DeskEvent.kind == "wrapup_ended", DeskEvent.desk_call_id.in_(ids)
            )
        )
        .tuples()
        .all()
    )
    total = sum(
        (row.detail.get("talk_s") or 0) + (wraps.get(row.desk_call_id, {}).get("wrap_s") or 0)
        for row in completed
    )
    return max(total / len(completed), 1.0)


def estimate(
    session: Session, settings: DeskSettings, desk_call: DeskCall, place: int, now: dt.datetime
) -> float | None:
    """Seconds the caller at *place* can expect to wait; None when nobody can say."""
    handle = handle_time(session, settings, desk_call.skill)
    free_in: list[float] = []
    for agent in logged_in(session, desk_call.skill):
        if agent.status != AVAILABLE:
            continue
        busy_for = (now - agent.state_since).total_seconds()
        if agent.state == ON_CALL:
            free_in.append(max(handle - busy_for, BUSY_FLOOR_S))
        elif agent.state == WRAP_UP and agent.wrap_up_until is not None:
            free_in.append((agent.wrap_up_until - now).total_seconds())
        else:
            free_in.append(0.0)
    return policy.estimate_wait(place - 1, free_in, handle)


@dataclass(frozen=True)
class Standing:
    position: int
    wait_s: float | None


def announcement(
    session: Session,
    settings: DeskSettings,
    desk_call: DeskCall,
    now: dt.datetime,
    *,
    force: bool = False,
) -> tuple[Line, ...]:
    """What the caller hears about their place: due every ``desk_announce_every_s``, never
    repeated to a caller already told they are next. Empty when nothing is due."""
    place = position(session, desk_call)
    if not force and not _due(settings, desk_call, place, now):
        return ()
    desk_call.announced_at, desk_call.announced_position = now, place
    return standing_lines(
        desk_call.language,
        Standing(place, estimate(session, settings, desk_call, place, now)),
        who="agent" if is_general(desk_call) else "desk",
    )


def _due(settings: DeskSettings, desk_call: DeskCall, place: int, now: dt.datetime) -> bool:
    if desk_call.announced_at is None:
        return True
    if place == 1 and desk_call.announced_position == 1:
        return False
    return (now - desk_call.announced_at).total_seconds() >= settings.desk_announce_every_s


def standing_lines(language: str, standing: Standing, who: str = "desk") -> tuple[Line, ...]:
    """The place and the estimate; *who* is ``agent`` on the general line (its words speak
    of agents, the desk's of experts)."""
    if standing.position <= 1:
        place = Line("desk.position_next")
    else:
        place = Line("desk.position", {"position": spoken.integer(standing.position, language)})
    if standing.wait_s is None:
        wait = Line(f"{who}.wait_unknown")
    elif standing.wait_s < 45:
        wait = Line(f"{who}.wait_shortly")
    else:
        minutes = max(1, math.ceil(standing.wait_s / 60))
        wait = Line("desk.wait_minutes", {"minutes": spoken.integer(minutes, language)})
    return place, wait, Line(f"{who}.star_for_callback")
