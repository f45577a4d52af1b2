"""Flows run without HTTP: the real call engine and states on an in-memory SQLite database.

A flow's own decisions (where a key leads, what is said, reprompts and strikes, what is
queried) need no webhook, signature or TwiML to be tested; the webhook tests keep those.
:class:`FlowBench` holds what the composition root hands the engine (the hotline's flows,
its settings, the SMS-summary hooks, a clock) on an emptied in-memory database;
:class:`FlowCall` is one call in it, dialed or placed at any state, and each step answers
with what the caller hears (:class:`Heard`): the prompt keys and their rendered text.

    bench.call(DEMO_ZH).at("queries").press("1").text   # the balance, read out

The engine is driven through the calls the webhooks make (``incoming``, ``step``,
``no_input``): it needs no request, only the call's parameters, so no seam was needed.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import flows
from accounts import passwords
from accounts.importer import AccountRecord, upsert
from expert_desk import agents
from hotline.settings import HotlineSettings
from ivr import numbers
from ivr.clock import CLOCK_OPTION, Clock, local_date
from ivr.db import Base, make_engine, make_session_factory, transaction
from ivr.engine import Answer, Engine
from ivr.models import Call, CallEvent, Subscriber
from ivr.params import CallParams
from ivr.reply import Action, Hangup, Listen, Record, Reply, ToQueue
from prompts import catalog
from sms_followup import call_summary
from tests.support.desk import CHEAP_HASH

IN_MEMORY = "sqlite://"


class _NoClock:
    """The clock of the database's own engine, which no bench uses: each bench's rows take
    the time from the bench's clock (:meth:`FlowDatabase.fresh`)."""

    def now(self) -> dt.datetime:
        raise AssertionError("rows are written through a bench, on the bench's clock")


class FlowDatabase:
    """One in-memory SQLite database, emptied for each bench, on the service's own engine
    (:func:`ivr.db.make_engine`: its pragmas, foreign keys on).

    One engine serves every bench of a test process because SQLAlchemy compiles each
    statement once per engine: on a new engine per bench, compiling was half the time of a
    test. SQLAlchemy keeps one connection per thread to an in-memory database (its
    ``SingletonThreadPool``), so the database lives as long as the engine, for the one
    thread the tests run in.
    """

    def __init__(self) -> None:
        self._engine = make_engine(IN_MEMORY, _NoClock())

    def fresh(self, clock: Clock) -> sa.Engine:
        """The database with every table and no rows, its column defaults on *clock*."""
        raw = self._engine.raw_connection()
        try:
            assert isinstance(raw.driver_connection, sqlite3.Connection)
            raw.driver_connection.deserialize(_schema())
        finally:
            raw.close()
        return self._engine.execution_options(**{CLOCK_OPTION: clock})

    def close(self) -> None:
        self._engine.dispose()


@functools.cache
def _schema() -> bytes:
    """Every table of the models' metadata, without rows: made once per test process and
    copied in for each bench (creating the tables took 26 ms, copying them takes 1)."""
    engine = sa.create_engine(IN_MEMORY)
    try:
        Base.metadata.create_all(engine)
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            return driver.serialize()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Heard:
    """What the engine answered at one step: the lines, the action, the call's language."""

    reply: Reply
    language: str

    @property
    def keys(self) -> list[str]:
        """The prompt keys, in the order they are spoken."""
        return [line.key for line in self.reply.lines]

    @property
    def said(self) -> list[str]:
        """Each line as the caller hears it: the catalog's text with the figures filled in,
        in the line's own language (the language menu's) or the call's."""
        return [
            catalog.text(line.key, line.language or self.language, line.params)
            for line in self.reply.lines
        ]

    @property
    def text(self) -> str:
        """Everything said, as one string (lines joined by a space, as the webhook tests'
        ``last_heard``)."""
        return " ".join(self.said)

    @property
    def action(self) -> Action:
        return self.reply.action

    @property
    def listening(self) -> bool:
        """Waiting for a key or speech (a menu, or digits when ``digits`` is set)."""
        return isinstance(self.reply.action, Listen)

    @property
    def digits(self) -> int | None:
        """How many keys a whole entry takes (a password, a number); None at a menu."""
        return self.reply.action.digits if isinstance(self.reply.action, Listen) else None

    @property
    def hung_up(self) -> bool:
        return isinstance(self.reply.action, Hangup)

    @property
    def recording(self) -> bool:
        return isinstance(self.reply.action, Record)

    @property
    def queue(self) -> str | None:
        """The queue the caller is put in, if any."""
        return self.reply.action.queue if isinstance(self.reply.action, ToQueue) else None


class FlowBench:
    """The hotline's call engine and flows on *database*, emptied, and on *clock*.

    *overrides* change settings by field name (``max_strikes=2``, ``desk_hours=...``), as the
    ``settings_overrides`` fixture does for the app.
    """

    def __init__(self, database: FlowDatabase, clock: Clock, **overrides: Any) -> None:
        self.clock = clock
        self.settings = HotlineSettings(
            env="test",
            database_url=IN_MEMORY,
            public_base_url="http://hotline.test",
            prompt_audio=False,
            **overrides,
        )
        self.settings.check()
        self.db = database.fresh(clock)
        self.sessions = make_session_factory(self.db)
        # As the composition root builds it (hotline.container.build).
        self.engine = Engine(
            flows.call_flows(), self.settings, self.sessions, self.clock, call_summary.HOOKS
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction on the bench's database, committed at the end."""
        with transaction(self.sessions) as session:
            yield session

    # -- who calls ---------------------------------------------------------------------------

    def subscriber(self, msisdn: str, *, password: bool = True, **figures: Any) -> int:
        """A subscriber with the figures given (the fields of
        :class:`~accounts.importer.AccountRecord`: ``balance_fen=-2350``, ``usage={...}``),
        usage counted in this month by the bench's clock, and, unless *password* is False,
        the demo service password (:data:`accounts.passwords.DEMO_PASSWORD`); their id."""
        figures.setdefault("balance_fen", 0)
        with self.session() as session:
            now = self.clock.now()
            period = local_date(now).strftime("%Y-%m")
            subscriber = upsert(session, AccountRecord(msisdn=msisdn, **figures), period)
            if password:
                passwords.seed_demo(session, [subscriber], now)
            return subscriber.id

    def agent(self, username: str, skills: dict[str, int]) -> None:
        """A desk agent with *skills* (``{"general": 1}``), signed in and available now."""
        with self.session() as session:
            now = self.clock.now()
            agent = agents.create_agent(
                session, username, "", skills=skills, now=now, password_hash=CHEAP_HASH
            )
            agents.set_status(session, agent.id, "available", None, now)

    def call(self, from_number: str, to_number: str = numbers.HOTLINE_NUMBER) -> FlowCall:
        """A call from *from_number* (national, as the demo numbers are) to *to_number*."""
        return FlowCall(self, from_number, to_number)


@dataclass
class FlowCall:
    """One call on a :class:`FlowBench`: dial it, or place it at a state, then step it."""

    bench: FlowBench
    from_number: str
    to_number: str
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))

    @property
    def params(self) -> CallParams:
        """What every webhook of the call carries, as Twilio sends it (``From`` in E.164)."""
        return CallParams(self.call_sid, "+86" + self.from_number, self.to_number)

    # -- steps -------------------------------------------------------------------------------

    def dial(self) -> Heard:
        """The call comes in: the number dialed decides where it starts."""
        return self._heard(self.bench.engine.incoming(self.params))

    def at(self, state: str, *, language: str | None = None, strikes: int = 0) -> FlowCall:
        """The call stands at *state* (with *strikes* wrong answers there), as though the
        caller had got there; *language* defaults to the subscriber's, else Mandarin."""
        with self.bench.session() as session:
            call = session.scalar(Call.by_sid(self.call_sid))
            if call is None:
                subscriber = session.scalar(
                    Subscriber.by_msisdn(numbers.normalize(self.params.from_number))
                )
                call = Call(
                    call_sid=self.call_sid,
                    from_number=self.params.from_number,
                    to_number=self.to_number,
                    entry=(numbers.entry_for(self.to_number) or numbers.Entry.HOTLINE).value,
                    subscriber=subscriber,
                    language=subscriber.language if subscriber else "zh-CN",
                    queries=[],
                )
                session.add(call)
            call.state, call.strikes = state, strikes
            if language is not None:
                call.language = language
        return self

    def enter(self) -> Heard:
        """What the caller hears on arriving at the state the call stands at: the engine
        resumes a stored call there, as it does for a retried first webhook."""
        return self._heard(self.bench.engine.incoming(self.params))

    def press(self, keys: str) -> Heard:
        return self._heard(self.bench.engine.step(self.params, keys, "", None))

    def say(self, words: str, confidence: float = 0.92) -> Heard:
        return self._heard(self.bench.engine.step(self.params, "", words, confidence))

    def silence(self) -> Heard:
        """The menu timed out: no key, no speech."""
        return self._heard(self.bench.engine.no_input(self.params))

    # -- where the call is -------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._row().state

    @property
    def strikes(self) -> int:
        return self._row().strikes

    @property
    def language(self) -> str:
        return self._row().language

    @property
    def queries(self) -> dict[str, dict[str, Any]]:
        """What the call was told, by service: the facts behind the SMS summary."""
        with self.bench.session() as session:
            call = session.scalar(Call.by_sid(self.call_sid))
            assert call is not None, "the call has not started"
            return {query.service: dict(query.facts) for query in call.queries}

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The call's recorded events (of *kind*), each as its detail with ``kind``."""
        with self.bench.session() as session:
            query = (
                sa.select(CallEvent)
                .join(Call)
                .where(Call.call_sid == self.call_sid)
                .order_by(CallEvent.id)
            )
            if kind is not None:
                query = query.where(CallEvent.kind == kind)
            return [{"kind": event.kind, **event.detail} for event in session.scalars(query)]

    def _row(self) -> Call:
        with self.bench.session() as session:
            call = session.scalar(Call.by_sid(self.call_sid))
            assert call is not None, "the call has not started"
            session.expunge(call)
            return call

    def _heard(self, answer: Answer) -> Heard:
        return Heard(answer.reply, answer.language)
