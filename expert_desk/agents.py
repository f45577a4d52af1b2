"""The agents' side: accounts and passwords, status, accepting an offer, notes after the call.

Check, then act: each function loads and locks what it changes, checks the preconditions
(raising a :mod:`expert_desk.errors` error), then changes state and appends events.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from expert_desk import events, queue, topics
from expert_desk.errors import InvalidInput, NotYourCall, OfferGone, UnknownAgent
from expert_desk.models import (
    ACCEPTED,
    AVAILABLE,
    BREAK,
    BREAK_REASONS,
    CALLBACK,
    COMPLETED,
    CONNECTING,
    DISPOSITIONS,
    OFFERED,
    ON_CALL,
    PENDING,
    STATUSES,
    TALKING,
    WAITING,
    WRAP_UP,
    DeskAgent,
    DeskAgentSkill,
    DeskLoginFailure,
    DeskOffer,
    DeskWrapup,
)
from expert_desk.phone import NUMBER
from expert_desk.settings import DeskSettings
from expert_desk.staff import end_wrap_up, lock_agent, release_agent

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
MIN_PASSWORD = 8
#: Wrong passwords in a row an account takes without delay; each further one doubles the
#: wait before the next try (1 s, 2 s, 4 s ... at most ``MAX_LOGIN_DELAY``). A delay, not a
#: lock: a stranger who knows a name can slow its owner down by a minute at most.
FREE_FAILED_LOGINS = 4
MAX_LOGIN_DELAY = dt.timedelta(seconds=60)
#: Refused logins one client address may make within the window, and all addresses together.
PER_ADDRESS_FAILURES, PER_ADDRESS_WINDOW = 10, dt.timedelta(minutes=10)
GLOBAL_FAILURES, GLOBAL_WINDOW = 100, dt.timedelta(minutes=1)
MAX_NOTES = 4000
MAX_SMS = 500


# -- accounts ----------------------------------------------------------------------------


def parse_skill(spec: str) -> tuple[str, int]:
    """``ios:2`` → (``ios``, 2); the level defaults to 1."""
    name, _, level = spec.partition(":")
    name = name.strip().lower()
    if name not in topics.SKILLS:
        raise InvalidInput(f"unknown skill {name!r}; skills are {', '.join(topics.SKILLS)}")
    try:
        value = int(level) if level else 1
    except ValueError:
        raise InvalidInput(f"skill level must be a number 1-5, not {level!r}") from None
    if not 1 <= value <= 5:
        raise InvalidInput(f"skill level must be 1-5, not {value}")
    return name, value


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")


def create_agent(
    session: Session,
    username: str,
    password: str,
    *,
    display_name: str = "",
    phone: str = "",
    skills: Mapping[str, int] | None = None,
    supervisor: bool = False,
    now: dt.datetime,
    password_hash: str | None = None,
) -> DeskAgent:
    """A new agent, offline, with a hashed password (scrypt, werkzeug's default); or with
    *password_hash* already made (the demo agents share one). Their calls ring *phone*, a
    number, or without one the browser phone in the console (:mod:`expert_desk.phone`)."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput("a username is 2-64 lower-case letters, digits, '.', '_' or '-'")
    if session.scalar(DeskAgent.by_username(username)) is not None:
        raise InvalidInput(f"agent {username!r} already exists")
    if phone and not NUMBER.fullmatch(phone):
        raise InvalidInput(
            "the phone is a number (+8613...); without one, calls ring the browser phone "
            "in the console"
        )
    if password_hash is None:
        check_password(password)
        password_hash = generate_password_hash(password)
    agent = DeskAgent(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash,
        phone=phone,
        is_supervisor=supervisor,
        created_at=now,
        state_since=now,
        idle_since=now,
    )
    agent.skills = [DeskAgentSkill(skill=s, level=lvl) for s, lvl in (skills or {}).items()]
    session.add(agent)
    session.flush()
    return agent


def set_password(agent: DeskAgent, password: str) -> None:
    """A new password ends every session the agent has open."""
    check_password(password)
    agent.password_hash = generate_password_hash(password)
    end_sessions(agent)


@cache
def _decoy_hash() -> str:
    return generate_password_hash("not-a-password-of-anyone")


def login_delay(failures: int) -> dt.timedelta:
    """How long an account waits before its next try after *failures* wrong passwords."""
    if failures <= FREE_FAILED_LOGINS:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** (failures - FREE_FAILED_LOGINS - 1)), MAX_LOGIN_DELAY)


def _retry_after(
    session: Session,
    where: sa.ColumnElement[bool],
    limit: int,
    window: dt.timedelta,
    now: dt.datetime,
) -> dt.timedelta | None:
    """How long until fewer than *limit* failures matching *where* are within *window*."""
    times = session.scalars(
        sa.select(DeskLoginFailure.at)
        .where(where, DeskLoginFailure.at > now - window)
        .order_by(DeskLoginFailure.at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return max(times[limit - 1] + window - now, dt.timedelta(seconds=1))


def login_throttled(session: Session, address: str, now: dt.datetime) -> dt.timedelta | None:
    """How long this client address must wait before it may try to log in again (too many
    refused logins from it, or from everyone together), or None. The counts are rows in the
    database, so every app process agrees on them."""
    waits = [
        _retry_after(
            session,
            DeskLoginFailure.address == address[:64],
            PER_ADDRESS_FAILURES,
            PER_ADDRESS_WINDOW,
            now,
        ),
        _retry_after(session, sa.true(), GLOBAL_FAILURES, GLOBAL_WINDOW, now),
    ]
    found = [w for w in waits if w is not None]
    return max(found) if found else None


def login_failed(session: Session, address: str, username: str, now: dt.datetime) -> None:
    """Count a refused login toward the address's and the global throttle (and forget
    those older than any window)."""
    session.add(DeskLoginFailure(at=now, address=address[:64], username=username[:64]))
    oldest = now - max(PER_ADDRESS_WINDOW, GLOBAL_WINDOW)
    session.execute(sa.delete(DeskLoginFailure).where(DeskLoginFailure.at < oldest))


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime
) -> DeskAgent | None:
    """The agent, when the password is right. After ``FREE_FAILED_LOGINS`` wrong passwords
    in a row the account takes the next try only after a growing delay
    (:func:`login_delay`). Unknown names cost the same hashing time."""
    agent = session.scalar(DeskAgent.by_username(username.strip().lower()).with_for_update())
    if agent is None or not agent.active:
        check_password_hash(_decoy_hash(), password)
        return None
    if agent.locked_until is not None and agent.locked_until > now:
        check_password_hash(_decoy_hash(), password)
        return None
    if not check_password_hash(agent.password_hash, password):
        agent.failed_logins += 1
        delay = login_delay(agent.failed_logins)
        agent.locked_until = now + delay if delay else None
        return None
    agent.failed_logins, agent.locked_until = 0, None
    return agent


def end_sessions(agent: DeskAgent) -> None:
    """End every console session the agent has open: each request checks the version."""
    agent.session_version += 1


# -- status --------------------------------------------------------------------------------


def set_status(
    session: Session, agent_id: int, status: str, reason: str | None, now: dt.datetime
) -> DeskAgent:
    """The agent goes available, on a break (with a reason) or offline. A pending offer is
    withdrawn from an agent who stops being available; a call in progress goes on."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    if status == BREAK and reason not in BREAK_REASONS:
        raise InvalidInput(f"a break needs a reason: {', '.join(BREAK_REASONS)}")
    offer = _pending_offer_of(session, agent_id)
    desk_call = queue.locked(session, offer.desk_call_id) if offer else None
    agent = lock_agent(session, agent_id)
    if agent is None:
        raise UnknownAgent()
    if status != AVAILABLE and desk_call is not None:
        queue.withdraw_offer(session, desk_call, now, reason=f"agent_{status}")
    if status == AVAILABLE:
        agent.lapses_in_row = 0
        if agent.status != AVAILABLE:
            agent.idle_since = now
    previous = agent.status
    agent.status = status
    agent.break_reason = reason if status == BREAK else None
    events.record(
        session,
        "agent_status",
        now,
        agent=agent,
        status=status,
        reason=reason,
        by="agent",
        was=previous,
    )
    return agent


def _pending_offer_of(session: Session, agent_id: int) -> DeskOffer | None:
    return session.scalar(
        sa.select(DeskOffer).where(DeskOffer.agent_id == agent_id, DeskOffer.status == PENDING)
    )


# -- taking a call -------------------------------------------------------------------------


@dataclass(frozen=True)
class Connect:
    """What accepting set in motion: redirect the waiting call, or call the caller back."""

    desk_call_id: int
    mode: str
    call_sid: str
    number: str


def accept(session: Session, agent_id: int, offer_id: int, now: dt.datetime) -> Connect:
    """The agent takes the call offered to them, within the reservation time."""
    offer = session.get(DeskOffer, offer_id)
    if offer is None or offer.agent_id != agent_id:
        raise NotYourCall()
    desk_call = queue.locked(session, offer.desk_call_id)
    agent = lock_agent(session, agent_id)
    offer = session.scalar(
        sa.select(DeskOffer)
        .where(DeskOffer.id == offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if (
        offer is None
        or desk_call is None
        or agent is None
        or offer.status != PENDING
        or offer.expires_at <= now
        or desk_call.status != OFFERED
    ):
        raise OfferGone()
    offer.status, offer.resolved_at = ACCEPTED, now
    desk_call.status, desk_call.agent_id, desk_call.accepted_at = CONNECTING, agent.id, now
    agent.state, agent.state_since, agent.lapses_in_row = ON_CALL, now, 0
    events.record(
        session,
        "answered",
        now,
        desk_call=desk_call,
        agent=agent,
        wait_s=desk_call.waited_s(now),
        mode=desk_call.mode,
    )
    number = desk_call.caller_number
    if desk_call.mode == CALLBACK and desk_call.callback is not None:
        callback = desk_call.callback
        number, callback.outbound_sid = callback.number, None
        callback.attempts += 1
        callback.last_attempt_at = now
    return Connect(desk_call.id, desk_call.mode, desk_call.call_sid, number)


def connect_failed(
    session: Session, desk_call_id: int, now: dt.datetime, *, caller_gone: bool, reason: str
) -> None:
    """Twilio did not take the redirect or the callback: a caller who is gone has abandoned,
    any other goes back in line with their place; the agent is free (not their fault)."""
    desk_call = queue.locked(session, desk_call_id)
    if desk_call is None or desk_call.status != CONNECTING:
        return
    agent = lock_agent(session, desk_call.agent_id) if desk_call.agent_id else None
    # The "answered" of the accept did not happen: reports and the console count it back.
    events.record(
        session,
        "answer_failed",
        now,
        desk_call=desk_call,
        agent=agent,
        reason=reason,
        wait_s=desk_call.waited_s(desk_call.accepted_at or now),
        mode=desk_call.mode,
    )
    if agent is not None and agent.current_call_id == desk_call.id:
        release_agent(agent, now, keep_place=True)
    if caller_gone and desk_call.mode != CALLBACK:
        desk_call.status = WAITING  # abandon() counts callers in line
        queue.abandon(session, desk_call, now, reason=reason)
        return
    desk_call.status, desk_call.agent_id = WAITING, None
    events.record(session, "returned", now, desk_call=desk_call, agent=agent, reason=reason)


# -- after the call ------------------------------------------------------------------------


def save_wrapup(
    session: Session,
    settings: DeskSettings,
    agent_id: int,
    desk_call_id: int,
    *,
    notes: str,
    disposition: str,
    sms_body: str | None,
    now: dt.datetime,
) -> DeskWrapup:
    """Notes and a disposition for a call the agent took; optionally an SMS to the caller
    with the steps discussed (through the SMS outbox). Saving ends the agent's wrap-up."""
    if disposition not in DISPOSITIONS:
        raise InvalidInput(f"disposition must be one of {', '.join(DISPOSITIONS)}")
    if len(notes) > MAX_NOTES or (sms_body and len(sms_body) > MAX_SMS):
        raise InvalidInput(f"notes up to {MAX_NOTES} characters, SMS up to {MAX_SMS}")
    desk_call = queue.locked(session, desk_call_id)
    agent = lock_agent(session, agent_id)
    if desk_call is None or agent is None or desk_call.agent_id != agent.id:
        raise NotYourCall()
    if desk_call.status not in (CONNECTING, TALKING, COMPLETED):
        raise NotYourCall("the call was never connected")
    first = desk_call.wrapup is None
    wrapup = desk_call.wrapup or DeskWrapup(desk_call_id=desk_call.id, agent_id=agent.id)
    wrapup.notes, wrapup.disposition, wrapup.saved_at = notes.strip(), disposition, now
    session.add(wrapup)
    events.record(
        session, "disposition", now, desk_call=desk_call, agent=agent, disposition=disposition
    )
    number = queue.callback_number(desk_call)
    if sms_body and sms_body.strip() and number and (first or not wrapup.sms_body):
        from sms_followup import outbox, templates

        wrapup.sms_body = sms_body.strip()
        outbox.enqueue(
            session,
            settings,
            kind="service.desk_steps",
            to=number,
            body=templates.text("desk.steps", desk_call.language, steps=wrapup.sms_body),
            language=desk_call.language,
            now=now,
        )
        events.record(session, "sms_queued", now, desk_call=desk_call, agent=agent)
    if agent.state == WRAP_UP and agent.current_call_id == desk_call.id:
        end_wrap_up(session, agent, now, by="agent")
    session.flush()
    return wrapup


def offered_to(session: Session, agent: DeskAgent) -> DeskOffer | None:
    """The offer waiting for the agent's answer, if any."""
    if agent.state != OFFERED:
        return None
    return _pending_offer_of(session, agent.id)
