"""What the desk's voice webhooks do, one method per webhook (the views only validate).

Where a step lands the caller in one of the desk's flow states (the line, the alternatives,
a booked callback), the call's state is set here and the engine speaks it, exactly as when
a call resumes (:meth:`ivr.engine.Engine.incoming` enters the stored state).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from expert_desk import progress, queue, recordings, routing, topics, urls
from expert_desk.desk import Desk
from expert_desk.models import ASKING, CALLBACK, LEFT, LINE, WAITING, DeskCall
from expert_desk.settings import DeskSettings
from expert_desk.urls import in_line
from ivr import intents
from ivr.db import transaction
from ivr.engine import Answer
from ivr.flow import CallContext
from ivr.models import Call
from ivr.params import CallParams
from ivr.reply import Dial, Hangup, Hold, Leave, Line, Reply
from ivr.services import Core
from prompts.catalog import LANGUAGES

NOTHING = Reply(())


class DeskCalls:
    def __init__(self, core: Core, desk: Desk) -> None:
        self.core = core
        self.desk = desk
        self.settings = DeskSettings.of(core.settings)

    # -- before the line ---------------------------------------------------------------

    def topic(self, call: CallParams, digits: str, said: str, confidence: float | None) -> Answer:
        """The answer to the topic question. Keys go to the flow; words that name a desk
        topic, or no service at all, are the question itself and the caller joins the line."""
        engine = self.core.engine
        if digits or not said:
            return engine.step(call, digits, said, confidence)
        with self._call(call) as ctx:
            if ctx is None or not self._is_question(ctx, said):
                question = False
            else:
                queue.start_from_speech(ctx, said)
                ctx.call.state, question = "expert_desk.joining", True
        if not question:
            return engine.step(call, digits, said, confidence)
        return engine.incoming(call)

    def _is_question(self, ctx: CallContext, said: str) -> bool:
        if ctx.call.state != "expert_desk":
            return False
        model = ctx.subscriber.phone_model if ctx.subscriber else None
        if topics.infer(said, model) is not None:
            return True
        heard = intents.match(said, ctx.language)
        return heard is None or heard.intent == "expert"

    def question(self, call: CallParams, recording_url: str, seconds: int) -> Answer:
        """The recorded question (or none): transcribe it, then into the line."""
        transcript = None
        if recording_url and seconds >= 1:
            language = self._language(call)
            audio = recordings.fetch(self.settings, recording_url)
            transcript = self.desk.transcribe(audio, language) if audio else None
        with self._call(call) as ctx:
            desk_call = queue.current(ctx.session, ctx.call) if ctx else None
            if ctx is not None and desk_call is not None and desk_call.status == ASKING:
                kept = (
                    recording_url
                    if recordings.recording_allowed(self.settings, recording_url)
                    else None
                )
                queue.take_question(
                    ctx, desk_call, transcript, kept, seconds if recording_url else None
                )
                ctx.call.state = "expert_desk.joining"
        return self.core.engine.incoming(call)

    # -- in the line -------------------------------------------------------------------

    def wait(self, call: CallParams) -> Answer:
        """The wait music: news of the place when due, the callback key, the max wait."""
        now = self.desk.now()
        with transaction(self.core.sessions) as session:
            routing.tick(session, self.settings, now)
            desk_call, language = self._desk_call(session, call)
            if desk_call is None or not desk_call.in_line:
                return Answer(Reply((), self.hold()), language)
            if desk_call.mode == CALLBACK:
                return Answer(Reply((), Leave()), language)
            desk_call.last_seen_at = now
            if desk_call.status == WAITING:
                reason = None
                if desk_call.patience_s(now) >= queue.max_wait_of(self.settings, desk_call):
                    reason = "max_wait"
                elif not queue.hours_of(self.settings, desk_call).is_open(now):
                    reason = "closed"
                elif not queue.logged_in(session, desk_call.skill):
                    reason = "no_expert"
                if reason is not None:
                    queue.turn_away(session, desk_call, now, reason)
                    return Answer(Reply((), Leave()), language)
            lines = queue.announcement(session, self.settings, desk_call, now)
            return Answer(Reply(lines, self.hold()), language)

    def wait_key(self, call: CallParams, digits: str) -> Answer:
        """A key pressed in the wait music: ``*`` asks for a callback. The caller leaves the
        music to hear their number read back; their place is kept meanwhile."""
        now = self.desk.now()
        with transaction(self.core.sessions) as session:
            desk_call, language = self._desk_call(session, call)
            if digits != "*" or desk_call is None or desk_call.status != WAITING:
                return Answer(Reply((), self.hold()), language)
            if desk_call.mode == LINE and queue.callback_number(desk_call):
                queue.turn_away(session, desk_call, now, "callback")
                return Answer(Reply((), Leave()), language)
            return Answer(Reply((Line("desk.callback_unavailable"),), self.hold()), language)

    def done(self, call: CallParams, result: str) -> Answer:
        """The caller left the line (``<Enqueue action>``): hung up, left for a callback or
        at the max wait, was redirected to their expert, or the queue failed."""
        now = self.desk.now()
        next_state = None
        with transaction(self.core.sessions) as session:
            desk_call, language = self._desk_call(session, call)
            if desk_call is None or result in ("redirected", "bridged"):
                return Answer(NOTHING, language)
            if result == "hangup":
                queue.abandon(session, desk_call, now, reason="hangup")
                return Answer(NOTHING, language)
            if result == "leave" and desk_call.mode == CALLBACK:
                next_state = "expert_desk.callback_booked"
            elif (
                result == "leave"
                and desk_call.status == LEFT
                and (desk_call.left_reason == "callback")
            ):
                next_state = "expert_desk.callback_confirm"
            elif result == "leave" and desk_call.status == LEFT:
                next_state = "expert_desk.offer"
            elif desk_call.in_line and desk_call.mode == LINE:
                queue.turn_away(session, desk_call, now, "error")
                next_state = "expert_desk.offer"
            if next_state is None:
                next_state = "agent"  # the line failed: the general agents' line instead
            self._move(session, call, next_state)
        return self.core.engine.incoming(call)

    # -- with the expert ---------------------------------------------------------------

    def connect(self, call: CallParams, desk_call_id: int, *, callback: bool) -> Answer:
        """The accepted caller's leg asks whom to dial (redirected from the line, or the
        callback answered)."""
        with transaction(self.core.sessions) as session:
            leg = progress.connected(session, desk_call_id, call.call_sid, self.desk.now())
            row = session.get(DeskCall, desk_call_id) if leg is not None else None
            who = "agent" if row is not None and queue.is_general(row) else "desk"
        if leg is None:
            return Answer(Reply((Line("goodbye"),), Hangup()), LANGUAGES[0])
        first = (Line(f"{who}.callback_greeting"),) if callback else ()
        dial = Dial(
            leg.to, urls.DIALED.format(id=leg.desk_call_id), self.settings.desk_agent_ring_s
        )
        return Answer(Reply((*first, Line(f"{who}.connecting")), dial), leg.language)

    def dialed(self, desk_call_id: int, dial_status: str, talk_s: int | None) -> Answer:
        """The ``<Dial>`` to the expert ended."""
        now = self.desk.now()
        with transaction(self.core.sessions) as session:
            outcome = progress.dial_ended(
                session, self.settings, desk_call_id, dial_status, talk_s, now
            )
            desk_call = session.get(DeskCall, desk_call_id)
            language = desk_call.language if desk_call else LANGUAGES[0]
            mode = desk_call.mode if desk_call else LINE
            who = "agent" if desk_call is not None and queue.is_general(desk_call) else "desk"
        if outcome == "returned" and mode == LINE:
            lead = "agent.agent_unreachable" if who == "agent" else "desk.expert_unreachable"
            return Answer(Reply((Line(lead),), in_line(self.settings)), language)
        if outcome == "returned":
            return Answer(Reply((Line(f"{who}.callback_retry"),), Hangup()), language)
        # The general line thanked the caller for waiting as it connected: now it only ends.
        after = Line("agent.call_ended" if who == "agent" else "desk.thanks")
        return Answer(Reply((after, Line("goodbye")), Hangup()), language)

    def callback_status(self, desk_call_id: int, call_status: str) -> None:
        with transaction(self.core.sessions) as session:
            progress.callback_leg_ended(session, desk_call_id, call_status, self.desk.now())

    # -- helpers -----------------------------------------------------------------------

    def hold(self) -> Hold:
        return Hold(urls.WAIT_KEY, self.settings.desk_hold_s, self.settings.desk_hold_music_url)

    @contextmanager
    def _call(self, params: CallParams) -> Iterator[CallContext | None]:
        with transaction(self.core.sessions) as session:
            call = session.scalar(Call.by_sid(params.call_sid).with_for_update())
            yield None if call is None else self.core.engine.context(session, call)

    def _desk_call(self, session: Session, params: CallParams) -> tuple[DeskCall | None, str]:
        call = session.scalar(Call.by_sid(params.call_sid))
        if call is None:
            return None, LANGUAGES[0]
        return queue.current(session, call), call.language

    def _language(self, params: CallParams) -> str:
        with self.core.sessions() as session:
            language = session.scalar(
                sa.select(Call.language).where(Call.call_sid == params.call_sid)
            )
        return language or LANGUAGES[0]

    @staticmethod
    def _move(session: Session, params: CallParams, state: str) -> None:
        call = session.scalar(Call.by_sid(params.call_sid).with_for_update())
        if call is not None:
            call.state, call.strikes = state, 0
