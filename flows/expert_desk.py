"""The smart-device expert desk, as the caller meets it: pick (or say) the topic, record the
question, wait in line with honest news of the wait, or be called back.

    expert_desk ──key──> expert_desk.question ──recorded──> expert_desk.joining ──> in line
        │ speech (the words are the question) ─────────────────────┘      │
        └ closed / no expert / line full / waited too long ──> expert_desk.offer
                                   1: callback ──> expert_desk.callback_booked, 0: an agent

Waiting, the callback key (*) and connecting to the expert run in the desk's own webhooks
(:mod:`expert_desk.webhooks`), which hand the call back to these states.
"""

from __future__ import annotations

from expert_desk import policy, queue, topics, urls
from expert_desk.models import ASKING, LEFT, LINE
from expert_desk.settings import DeskSettings
from expert_desk.urls import in_line
from ivr.flow import CallContext, Goto, State
from ivr.reply import Hangup, Line, Listen, Record, Reply, ToQueue
from prompts import catalog, spoken

TOPIC_MENU = Listen(action=urls.TOPIC)


class ChoosingDeskTopic(State):
    """What is the question about? Keys 1-6, or the question in the caller's own words."""

    name = "expert_desk"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply:
        lines = [Line("desk.welcome")]
        if not policy.hours(DeskSettings.of(ctx.settings).desk_hours).is_open(ctx.now):
            lines.append(closed_line(ctx))
        return Reply((*lines, Line("desk.topic_menu")), TOPIC_MENU)

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("desk.topic_menu"),), TOPIC_MENU)

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        topic = topics.BY_KEY.get(key)
        if topic is None:
            return None
        queue.start(ctx, topic, "keys")
        return Goto("expert_desk.question")


class AskingDeskQuestion(State):
    """A few seconds to describe the question after the beep (# ends it, or skips it)."""

    name = "expert_desk.question"
    parent = "expert_desk"

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply(
            (Line("desk.question"),),
            Record(DeskSettings.of(ctx.settings).desk_question_s, urls.QUESTION),
        )


class JoiningDeskLine(State):
    """Into the line when the desk is open, an expert with the skill is logged in and the line
    is not full; otherwise on to the alternatives."""

    name = "expert_desk.joining"
    parent = "expert_desk"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is not None and desk_call.in_line and desk_call.mode == LINE:
            return Reply(
                (), in_line(DeskSettings.of(ctx.settings))
            )  # a retried webhook: back to holding
        if desk_call is None or desk_call.status != ASKING:
            return Goto("expert_desk")
        reason = queue.why_not_join(ctx.session, DeskSettings.of(ctx.settings), desk_call, ctx.now)
        if reason is not None:
            queue.turn_away(ctx.session, desk_call, ctx.now, reason)
            return Goto("expert_desk.offer")
        queue.join(ctx.session, desk_call, ctx.now)
        lines = queue.announcement(
            ctx.session, DeskSettings.of(ctx.settings), desk_call, ctx.now, force=True
        )
        return Reply((Line("desk.joining"), *lines), in_line(DeskSettings.of(ctx.settings)))

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply(
            (Line("agent.transfer"),), ToQueue(DeskSettings.of(ctx.settings).general_queue)
        )


class OfferingDeskAlternatives(State):
    """The caller cannot wait for an expert now: a callback (1) or a general agent (0)."""

    name = "expert_desk.offer"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is None or desk_call.status != LEFT:
            return self.prompt(ctx)
        if desk_call.left_reason == "closed":
            lead = closed_line(ctx)
        elif desk_call.left_reason == "no_expert":
            topic = catalog.text(f"desk.topic.{desk_call.topic}", ctx.language)
            lead = Line("desk.no_expert", {"topic": topic})
        else:
            lead = Line(f"desk.left.{desk_call.left_reason}")
        return self.prompt(ctx).after(lead)

    def prompt(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is not None and queue.callback_number(desk_call):
            return Reply((Line("desk.offer"),), Listen())
        return Reply((Line("desk.offer_agent_only"),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        desk_call = queue.current(ctx.session, ctx.call)
        if key != "1" or desk_call is None:
            return None
        if not queue.request_callback(ctx.session, desk_call, ctx.now):
            return None
        return Goto("expert_desk.callback_booked")


class DeskCallbackBooked(State):
    """An expert will call back; the place in line is kept."""

    name = "expert_desk.callback_booked"
    parent = "main"

    def prompt(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        number = queue.callback_number(desk_call) if desk_call else None
        spoken_number = spoken.phone_number(number, ctx.language) if number else ""
        return Reply(
            (Line("desk.callback_booked", {"number": spoken_number}), Line("goodbye")), Hangup()
        )


def closed_line(ctx: CallContext) -> Line:
    hours = policy.hours(DeskSettings.of(ctx.settings).desk_hours)
    return Line(
        "desk.closed",
        {
            "open": spoken.time_of_day(hours.open, ctx.language),
            "close": spoken.time_of_day(hours.close, ctx.language),
        },
    )


def states() -> list[State]:
    return [
        ChoosingDeskTopic(),
        AskingDeskQuestion(),
        JoiningDeskLine(),
        OfferingDeskAlternatives(),
        DeskCallbackBooked(),
    ]
