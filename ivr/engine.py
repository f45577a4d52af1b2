"""The call engine: takes one webhook of a call, moves its flow one step, says what is next.

Every step runs in one database transaction: the call's state, its events, what was
queried and the SMS summary commit together or not at all. No call state lives in
process memory, so any app process can serve any webhook of any call.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, sessionmaker

from ivr import intents, numbers
from ivr.clock import Clock
from ivr.config import Settings
from ivr.db import transaction
from ivr.flow import CallContext, CallFlows, CallHooks, Goto, State
from ivr.logs import log_event
from ivr.models import Call, CallEvent, Subscriber
from ivr.numbers import Entry
from ivr.params import CallParams
from ivr.reply import Hangup, Leave, Line, Reply, ToQueue

logger = logging.getLogger("ivr.engine")

VALID_KEYS = frozenset("0123456789*#")
TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
MAX_HOPS = 16
MAX_QUEUE_DETOURS = 2
"""Times a call may go from the plain agents' queue to the agent state before giving up."""


_CALL_BY_SID = sa.select(Call).where(Call.call_sid == sa.bindparam("call_sid")).with_for_update()
_CALLER = (
    sa.select(Subscriber)
    .where(Subscriber.msisdn == sa.bindparam("msisdn"))
    .options(joinedload(Subscriber.account))
)
"""The call of a webhook, locked for its step, and a new call's subscriber with the account
its services read: built once, as they run on every webhook."""


@dataclass(frozen=True)
class ReportedCall:
    """A call's status as the provider's REST API reports it now."""

    status: str
    duration_s: int | None


class LookupFailed(Exception):
    """The provider could not be asked about a call now (unreachable, refused, 5xx)."""


CallLookup = Callable[[str], ReportedCall | None]
"""A call's status by its sid (None: the provider has no such call); :class:`LookupFailed`."""
BACKSTOP_BATCH = 50  # the most calls one run of the backstop asks about


@dataclass(frozen=True)
class Answer:
    """A reply and the language to speak it in."""

    reply: Reply
    language: str


class Engine:
    """Runs the call flows handed in (:mod:`flows`) against calls stored in the database."""

    def __init__(
        self,
        flows: CallFlows,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Clock,
        hooks: CallHooks,
    ) -> None:
        self._flows = flows
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._hooks = hooks
        self._voice_numbers = settings.voice_numbers()

    def context(self, session: Session, call: Call) -> CallContext:
        """A step of *call* now, with the hooks every step runs: for code outside the
        webhooks (the desk, the sweeper) that moves a call on."""
        return CallContext(session, call, self._settings, self._clock.now(), self._hooks)

    # -- webhooks --------------------------------------------------------------------------

    def incoming(self, params: CallParams) -> Answer:
        """A call comes in: route the dialed number to its entry state."""
        with transaction(self._sessions) as session:
            ctx = self._context(session, params)
            return self._answer(ctx, self._resume(ctx))

    def step(
        self, params: CallParams, digits: str, speech: str, confidence: float | None
    ) -> Answer:
        """The caller pressed keys or spoke at a menu."""
        with transaction(self._sessions) as session:
            ctx = self._context(session, params)
            state = self._flows.states.get(ctx.call.state)
            if state is None:
                reply = self._resume(ctx)
            elif digits:
                reply = self._keys(ctx, state, digits)
            elif speech:
                reply = self._speech(ctx, state, speech, confidence)
            else:
                reply = self._silence(ctx, state)
            return self._answer(ctx, reply)

    def no_input(self, params: CallParams) -> Answer:
        """A menu timed out with no key and no speech."""
        with transaction(self._sessions) as session:
            ctx = self._context(session, params)
            state = self._flows.states.get(ctx.call.state)
            reply = self._silence(ctx, state) if state else self._resume(ctx)
            return self._answer(ctx, reply)

    def queue_wait(self, params: CallParams, position: int) -> Answer:
        """A caller holding in the plain agents' queue (after an apology, see
        :func:`ivr.webhooks.apology`): nobody serves that queue, so they leave it at once
        for the agent state, whose line is served (:meth:`queue_done`)."""
        with transaction(self._sessions) as session:
            ctx = self._context(session, params)
            ctx.event("agent.queue_wait", position=position)
            return Answer(Reply((), Leave()), ctx.language)

    def queue_done(self, params: CallParams, result: str) -> Answer:
        """The caller left the plain agents' queue: after a conversation, hung up, or on
        the way to the agent state (the general agents' line). After
        :data:`MAX_QUEUE_DETOURS` such detours (a line that keeps failing) they are told to
        call again rather than go round for ever."""
        with transaction(self._sessions) as session:
            ctx = self._context(session, params)
            ctx.event("agent.queue_left", result=result)
            if result == "bridged":
                return Answer(Reply((), Hangup()), ctx.language)
            if result == "hangup":
                return Answer(Reply(()), ctx.language)
            detours = session.scalar(
                sa.select(sa.func.count())
                .select_from(CallEvent)
                .where(CallEvent.call_id == ctx.call.id, CallEvent.kind == "agent.queue_left")
            )
            if (detours or 0) >= MAX_QUEUE_DETOURS:
                return Answer(
                    Reply((Line("agent.unavailable"), Line("goodbye")), Hangup()), ctx.language
                )
            return self._answer(ctx, self._enter(ctx, Goto(self._flows.agent)))

    def status(self, call_sid: str, status: str, duration_s: int | None) -> bool:
        """Twilio's status callback. At the end of a call, release its SMS summary.

        Returns False when the call is unknown. Repeated callbacks change nothing.
        """
        with transaction(self._sessions) as session:
            call = session.scalar(Call.by_sid(call_sid).with_for_update())
            if call is None:
                log_event(logger, "call.status_unknown_call", logging.WARNING, call_sid=call_sid)
                return False
            ctx = self.context(session, call)
            if status in TERMINAL_STATUSES and not call.ended:
                end_call(ctx, status, duration_s)
            return True

    def sweep_stale_calls(self) -> int:
        """End calls whose status callback never came, so their SMS still goes out.

        A call with no webhook for ``call_stale_after_s`` is taken as over.
        """
        cutoff = self._clock.now() - dt.timedelta(seconds=self._settings.call_stale_after_s)
        swept = 0
        with transaction(self._sessions) as session:
            stale = session.scalars(
                sa.select(Call)
                .where(Call.ended_at.is_(None), Call.last_activity_at < cutoff)
                .with_for_update(skip_locked=True)
            ).all()
            for call in stale:
                end_call(self.context(session, call), "completed", None, reason="swept")
                swept += 1
        return swept

    def backstop_statuses(self, lookup: CallLookup, after: dt.timedelta) -> int:
        """Ask the provider (*lookup*) about calls with no webhook for *after* that have not
        ended, and end those it reports ended exactly as their status callback would have
        (:meth:`status`): the backstop for a lost callback, long before the sweeper. Stops
        at the first lookup that fails (tried again at the next run); how many it ended."""
        cutoff = self._clock.now() - after
        with self._sessions() as session:
            sids = session.scalars(
                sa.select(Call.call_sid)
                .where(Call.ended_at.is_(None), Call.last_activity_at < cutoff)
                .order_by(Call.last_activity_at)
                .limit(BACKSTOP_BATCH)
            ).all()
        ended = 0
        for sid in sids:
            try:
                reported = lookup(sid)
            except LookupFailed as error:
                log_event(logger, "call.status_backstop_failed", logging.WARNING, error=str(error))
                break
            if reported is None or reported.status not in TERMINAL_STATUSES:
                continue
            self.status(sid, reported.status, reported.duration_s)
            log_event(logger, "call.status_backstop", call_sid=sid, status=reported.status)
            ended += 1
        return ended

    # -- the flow --------------------------------------------------------------------------

    def _context(self, session: Session, params: CallParams) -> CallContext:
        call = session.scalar(_CALL_BY_SID, {"call_sid": params.call_sid})
        if call is None:
            call = self._new_call(session, params)
        ctx = self.context(session, call)
        ctx.move(last_activity_at=ctx.now)
        return ctx

    def _new_call(self, session: Session, params: CallParams) -> Call:
        dialled = self._voice_numbers.dialled(params.to_number)
        entry = numbers.entry_for(dialled) or Entry.HOTLINE
        caller = _national(params.from_number)
        subscriber = session.scalar(_CALLER, {"msisdn": caller}) if caller else None
        # A new call has no queries yet: say so, rather than have them looked up.
        call = Call(
            call_sid=params.call_sid,
            from_number=params.from_number,
            to_number=dialled,
            entry=entry.value,
            subscriber=subscriber,
            language=subscriber.language if subscriber else "zh-CN",
            state="",
            queries=[],
        )
        session.add(call)  # inserted at the first flush, with the entry state already set
        ctx = self.context(session, call)
        ctx.event(
            "call.started",
            entry=entry.value,
            dialed=params.to_number,
            known_caller=subscriber is not None,
        )
        return call

    def _resume(self, ctx: CallContext) -> Reply:
        """Where a call starts, or picks up again after a retried first webhook.

        A call whose stored state no longer exists (renamed in a release) or was never
        stored starts again at its entry point rather than failing.
        """
        if ctx.call.state in self._flows.states:
            return self._enter(ctx, Goto(ctx.call.state))
        entry = Entry(ctx.call.entry)
        greeting: tuple[Line, ...] = () if entry is Entry.HOTLINE else (Line("greeting.direct"),)
        subscriber = ctx.call.subscriber
        if subscriber is not None and not subscriber.real_name_verified:
            greeting += (Line("notice.real_name"),)  # register at a business hall; 0 still works
        return self._enter(ctx, Goto(self._flows.entries[entry], preface=greeting))

    def _keys(self, ctx: CallContext, state: State, digits: str) -> Reply:
        if not set(digits) <= VALID_KEYS:
            ctx.event("input.rejected", reason="not DTMF", length=len(digits))
            return self._strike(ctx, state, "invalid")
        if state.collects_digits:
            return self._collect(ctx, state, digits)
        # One key is recorded as it is used. Twilio sends one key per menu (numDigits=1) and
        # keys typed on to the menus after it; several keys in one request (TwiML rendered
        # before numDigits) pass through menus here, and are dropped unrecorded at a state
        # that collects digits (a password).
        ctx.event("input.keys", keys=digits[0])
        goto = self._choose(ctx, state, digits[0])
        if goto is None:
            return self._strike(ctx, state, "invalid")
        return self._enter(ctx, goto, type_ahead=digits[1:])

    def _collect(self, ctx: CallContext, state: State, digits: str) -> Reply:
        """A whole entry (a password, a number): never recorded, only its length.

        A lone ``*`` goes back and a lone ``0`` reaches an agent, as everywhere.
        """
        ctx.event("input.digits", length=len(digits))
        if digits in ("*", "0"):
            goto = self._choose(ctx, state, digits)
        else:
            result = state.collect(ctx, digits)
            if isinstance(result, Reply):
                return result
            goto = result
        if goto is None:
            return self._strike(ctx, state, "invalid")
        return self._enter(ctx, goto)

    def _speech(self, ctx: CallContext, state: State, said: str, confidence: float | None) -> Reply:
        heard = intents.match(said, ctx.language)
        ctx.event(
            "input.speech",
            intent=heard.intent if heard else None,
            confidence=confidence,
            chars=len(said),
        )
        goto = (
            None
            if heard is None
            else state.hear(ctx, heard) or _hotline_wide(self._flows.speech_routes, state, heard)
        )
        if goto is None:
            return self._strike(ctx, state, "not_understood")
        return self._enter(ctx, goto)

    def _choose(self, ctx: CallContext, state: State, key: str) -> Goto | None:
        """Keys that mean the same everywhere, then the state's own."""
        if key == "0":
            return Goto(self._flows.agent)
        if key == "*":
            return Goto(state.parent) if state.parent else None
        if key == "#":
            return Goto(state.name)
        return state.choose(ctx, key)

    def _enter(self, ctx: CallContext, goto: Goto, type_ahead: str = "") -> Reply:
        """Follow transitions until a state has something to say."""
        preface: tuple[Line, ...] = ()
        for _ in range(MAX_HOPS):
            preface += goto.preface
            state = self._flows.states[goto.state]
            if goto.language:
                ctx.move(language=goto.language)
            if ctx.call.state != state.name:
                ctx.move(strikes=0, state=state.name)
            ctx.event("state.entered", language=ctx.call.language)
            if type_ahead and state.type_ahead:
                key, type_ahead = type_ahead[0], type_ahead[1:]
                ctx.event("input.keys", keys=key, typed_ahead=True)
                next_goto = self._choose(ctx, state, key)
                if next_goto is None:
                    return self._strike(ctx, state, "invalid").after(*preface)
                goto = next_goto
                continue
            if type_ahead:
                ctx.event("input.dropped", count=len(type_ahead))
                type_ahead = ""
            result = state.enter(ctx)
            if isinstance(result, Goto):
                goto = result
                continue
            return result.after(*preface)
        raise RuntimeError(f"flow loops without speaking at state {goto.state!r}")

    def _silence(self, ctx: CallContext, state: State) -> Reply:
        """Nothing said at a menu. A state with an ``on_silence`` step may answer it (the
        language menu goes on in the caller's language); otherwise it is a strike."""
        on_silence = getattr(state, "on_silence", None)
        goto: Goto | None = on_silence(ctx) if on_silence is not None else None
        if goto is None:
            return self._strike(ctx, state, "no_input")
        ctx.event("input.silence", went_to=goto.state)
        return self._enter(ctx, goto)

    def _strike(self, ctx: CallContext, state: State, reason: str) -> Reply:
        """A wrong key, speech not understood or silence: ask again, and after the last
        strike stop asking."""
        ctx.move(strikes=ctx.call.strikes + 1)
        ctx.event("reprompt", reason=reason, strikes=ctx.call.strikes)
        if ctx.call.strikes < self._settings.max_strikes:
            if reason == "no_input":  # an entry (a password, a number) is not a choice
                lead = Line("error.no_entry" if state.collects_digits else "error.no_input")
            elif reason == "not_understood":  # speech: say what can be said, not "keys"
                lead = Line("error.not_understood")
            else:
                lead = Line("error.invalid")
            return state.prompt(ctx).after(lead)
        if reason == "no_input":
            ctx.event("call.gave_up", reason=reason)
            goodbye = "goodbye.no_entry" if state.collects_digits else "goodbye.no_input"
            return Reply((Line(goodbye),), Hangup())
        return self._enter(ctx, Goto(self._flows.agent))

    def _answer(self, ctx: CallContext, reply: Reply) -> Answer:
        if isinstance(reply.action, ToQueue):
            ctx.event("agent.enqueued", queue=reply.action.queue)
        return Answer(reply, ctx.language)


def _hotline_wide(routes: Mapping[str, str], state: State, heard: intents.Heard) -> Goto | None:
    """What a spoken intent means at any menu: services by name, repeat, back, a language."""
    # "complaint_suspension" is a kind of "complaint": it leads where "complaint" does.
    route = routes.get(heard.intent) or routes.get(heard.intent.split("_")[0])
    if route:
        return Goto(route)
    if heard.intent == "repeat":
        return Goto(state.name)
    if heard.intent == "back":
        return Goto(state.parent) if state.parent else None
    if heard.intent in ("mandarin", "english"):
        return Goto(state.name, language="zh-CN" if heard.intent == "mandarin" else "en-US")
    return None


def end_call(ctx: CallContext, status: str, duration_s: int | None, reason: str = "status") -> None:
    """Mark the call ended and run the ``on_call_end`` hook (which releases the SMS summary)."""
    call = ctx.call
    call.status, call.ended_at, call.duration_s, call.end_reason = (
        status,
        ctx.now,
        duration_s,
        reason,
    )
    ctx.event("call.ended", status=status, duration_s=duration_s, reason=reason)
    ctx.hooks.on_call_end(ctx)


def _national(number: str) -> str | None:
    try:
        return numbers.normalize(number)
    except numbers.InvalidNumber:
        return None
