"""Building blocks of the caller-facing flows: states, menus, transitions, the call context.

A flow is a set of named states. Each state says what the caller hears on arrival
(:meth:`State.enter`), what to ask again after a wrong key or silence (:meth:`State.prompt`),
and where a key or a spoken intent leads (:meth:`State.choose`, :meth:`State.hear`).
The current state's name is stored with the call, so any app process can take the next step.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ivr import numbers
from ivr.clock import local_date
from ivr.config import Settings
from ivr.intents import Heard
from ivr.logs import log_event
from ivr.models import Call, CallEvent, CallQuery, Subscriber
from ivr.numbers import Entry
from ivr.reply import Line, Listen, Reply

logger = logging.getLogger("ivr.flow")


@dataclass(frozen=True)
class Goto:
    """Move the call to another state, optionally switching language and speaking first."""

    state: str
    language: str | None = None
    preface: tuple[Line, ...] = ()


def _nothing(ctx: CallContext) -> None:
    """A hook that does nothing: the engine alone keeps no SMS."""


@dataclass(frozen=True)
class CallHooks:
    """What the features above the engine do at two points of every call; the composition
    root hands them in (the SMS summary is held after each query and released at the end)."""

    on_query: Callable[[CallContext], None] = _nothing
    on_call_end: Callable[[CallContext], None] = _nothing


@dataclass
class CallContext:
    """One step of one call: the database session, the call row and what it needs."""

    session: Session
    call: Call
    settings: Settings
    now: dt.datetime
    hooks: CallHooks = CallHooks()

    @property
    def language(self) -> str:
        return self.call.language

    @property
    def subscriber(self) -> Subscriber | None:
        return self.call.subscriber

    @property
    def on_own_phone(self) -> bool:
        """Whether the caller calls from the phone of the subscriber the call is about (not
        from another phone, after verifying that subscriber's number)."""
        if self.subscriber is None:
            return False
        try:
            return numbers.normalize(self.call.from_number) == self.subscriber.msisdn
        except numbers.InvalidNumber:
            return False

    @property
    def local_today(self) -> dt.date:
        """Today in the service's time zone (Asia/Shanghai)."""
        return local_date(self.now)

    def event(self, kind: str, **detail: Any) -> None:
        """Record a step of the call (never pass secrets here) and log it.

        The event is written when the step's transaction commits, together with the other
        events of the step in one INSERT, not as one ORM object per event.
        """
        row = {"at": self.now, "kind": kind, "state": self.call.state, "detail": detail}
        self.session.info.setdefault(_PENDING_EVENTS, []).append((self.call, row))
        log_event(logger, kind, call_sid=self.call.call_sid, state=self.call.state, **detail)

    def move(self, **columns: Any) -> None:
        """Set columns of the call the engine keeps as the call moves (``state``,
        ``strikes``, ``language``, ``last_activity_at``): the call reads them at once, and
        they are written when the step commits, in one UPDATE with the step's events, not by
        the unit of work's flush; a call not yet inserted takes them in its INSERT.
        """
        for name, value in columns.items():
            set_committed_value(self.call, name, value)
        if self.call.id is not None:
            moved = self.session.info.setdefault(_MOVED_CALLS, {})
            moved.setdefault(self.call, set()).update(columns)

    def record_query(self, service: str, facts: dict[str, Any]) -> None:
        """Keep what the caller was told, then run the ``on_query`` hook (which rewrites the
        call's SMS summary) in this step's transaction: the summary can never be lost or
        disagree with the query record.
        """
        existing = next((q for q in self.call.queries if q.service == service), None)
        if existing is None:
            self.call.queries.append(CallQuery(service=service, facts=facts, at=self.now))
        else:
            existing.facts, existing.at = facts, self.now
        self.hooks.on_query(self)
        self.event("query.recorded", service=service)


_PENDING_EVENTS = "ivr.pending_call_events"
_MOVED_CALLS = "ivr.moved_calls"


@event.listens_for(Session, "before_commit")
def _write_call_events(session: Session) -> None:
    """Write what :meth:`CallContext.move` set on each call (its values as they are now, so
    that a later change made through the unit of work is not undone), and the step's call
    events in one statement, after the call row has its id."""
    moved = session.info.pop(_MOVED_CALLS, None)
    pending = session.info.pop(_PENDING_EVENTS, None)
    if moved or pending:
        session.flush()
    for call, columns in (moved or {}).items():
        session.connection().execute(
            _MOVE, {"moved_id": call.id, **{name: getattr(call, name) for name in columns}}
        )
    if pending:
        session.connection().execute(
            _ADD_EVENTS, [{"call_id": call.id, **row} for call, row in pending]
        )


# Built once, not on every webhook: constructing a statement costs more than running it.
# The UPDATE sets the columns its parameters name.
_MOVE = sa.update(Call).where(Call.id == sa.bindparam("moved_id"))
_ADD_EVENTS = sa.insert(CallEvent)


@event.listens_for(Session, "after_rollback")
def _drop_call_events(session: Session) -> None:
    session.info.pop(_PENDING_EVENTS, None)
    session.info.pop(_MOVED_CALLS, None)


class State:
    """A point in the call where the caller is told something and may answer."""

    name: str
    parent: str | None = None
    #: Keys typed ahead pass through this state to the next without hearing it.
    type_ahead: ClassVar[bool] = False
    #: The state takes a whole string of keys (a password, a number) in :meth:`collect`
    #: rather than one key at a time; the keys are never recorded, only their count.
    collects_digits: ClassVar[bool] = False

    def enter(self, ctx: CallContext) -> Reply | Goto:
        """What the caller hears on arriving here. Default: the question itself."""
        return self.prompt(ctx)

    def prompt(self, ctx: CallContext) -> Reply:
        """The question, asked again after a wrong key or silence."""
        raise NotImplementedError

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        """Where a key leads; None when the key means nothing here."""
        return None

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        """Where a spoken intent leads; None to use the hotline-wide meaning."""
        return None

    def collect(self, ctx: CallContext, digits: str) -> Reply | Goto | None:
        """A whole entry of keys (states with ``collects_digits``); None when it is invalid."""
        return None


class Menu(State):
    """A menu of keys, each leading to another state. Type-ahead passes through menus."""

    prompt_key: ClassVar[str]
    options: ClassVar[Mapping[str, str]]
    type_ahead = True

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line(self.prompt_key),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        target = self.options.get(key)
        return Goto(target) if target else None


@dataclass(frozen=True)
class CallFlows:
    """Everything the engine runs, handed in from above (``flows``): the states by name,
    the state each dialed number enters, the agent state (key ``0``, the last wrong key)
    and the state each spoken service name leads to from any menu."""

    states: Mapping[str, State]
    entries: Mapping[Entry, str]
    agent: str
    speech_routes: Mapping[str, str]
