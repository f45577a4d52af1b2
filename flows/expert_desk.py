"""The smart-device expert desk, as the caller meets it: pick (or say) the topic, record the
question, wait in line with honest news of the wait, or be called back.

    expert_desk ──key──> expert_desk.question ──recorded──> expert_desk.joining ──> in line
        │ speech (the words are the question) ─────────────────────┘      │
        └ closed / no expert / line full / waited too long ──> expert_desk.offer
        1: callback ──> expert_desk.callback_confirm (number read back) ──1──> callback_booked
        2: keep waiting (while someone is signed in), 0: a general agent (flows.agent)

Waiting, the callback key (*) and connecting to the expert run in the desk's own webhooks
(:mod:`expert_desk.webhooks`), which hand the call back to these states.
"""

from __future__ import annotations

from expert_desk import policy, queue, topics, urls
from expert_desk.models import ASKING, LEFT, LINE, DeskCall
from expert_desk.settings import DeskSettings
from expert_desk.urls import in_line
from ivr.flow import CallContext, Goto, State
from ivr.reply import Hangup, Line, Listen, Record, Reply
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
    """Into the line when it is open, someone with the skill is logged in and the line is
    not full; otherwise on to the alternatives. The general agents' callers (key 0) join
    their own line here too."""

    name = "expert_desk.joining"
    parent = "expert_desk"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        settings = DeskSettings.of(ctx.settings)
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is not None and desk_call.in_line and desk_call.mode == LINE:
            lines = queue.announcement(ctx.session, settings, desk_call, ctx.now, force=True)
            return Reply(lines, in_line(settings))  # a retried webhook, or kept waiting
        if desk_call is None or desk_call.status != ASKING:
            return Goto("expert_desk")
        reason = queue.why_not_join(ctx.session, settings, desk_call, ctx.now)
        if reason is not None:
            queue.turn_away(ctx.session, desk_call, ctx.now, reason)
            return Goto("expert_desk.offer")
        queue.join(ctx.session, desk_call, ctx.now)
        lines = queue.announcement(ctx.session, settings, desk_call, ctx.now, force=True)
        lead = Line("agent.transfer") if queue.is_general(desk_call) else Line("desk.joining")
        return Reply((lead, *lines), in_line(settings))

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((), in_line(DeskSettings.of(ctx.settings)))


class OfferingDeskAlternatives(State):
    """The caller cannot wait now (closed, nobody signed in, line full, waited too long):
    a callback that keeps their place (1), to keep waiting while someone with the skill is
    signed in (2), a general agent from an expert's line (0); with none of these, a goodbye
    that says when to call again."""

    name = "expert_desk.offer"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is None or desk_call.status != LEFT:
            return self.prompt(ctx)
        general = queue.is_general(desk_call)
        if desk_call.left_reason == "callback":  # back from the number read back
            return self.prompt(ctx)
        if desk_call.left_reason == "closed":
            lead = closed_line(ctx, desk_call)
        elif desk_call.left_reason == "no_expert" and general:
            lead = Line("agent.no_agent")
        elif desk_call.left_reason == "no_expert":
            topic = catalog.text(f"desk.topic.{desk_call.topic}", ctx.language)
            lead = Line("desk.no_expert", {"topic": topic})
        elif general and desk_call.left_reason in ("full", "max_wait"):
            lead = Line(f"agent.left.{desk_call.left_reason}")
        else:
            lead = Line(f"desk.left.{desk_call.left_reason}")
        return self.prompt(ctx).after(lead)

    def prompt(self, ctx: CallContext) -> Reply:
        settings = DeskSettings.of(ctx.settings)
        desk_call = queue.current(ctx.session, ctx.call)
        general = desk_call is None or queue.is_general(desk_call)
        options: list[Line] = []
        if desk_call is not None and queue.callback_number(desk_call):
            options.append(Line("desk.offer.callback"))
        if desk_call is not None and queue.may_keep_waiting(
            ctx.session, settings, desk_call, ctx.now
        ):
            options.append(Line("desk.offer.keep_waiting"))
        if not general:
            options.append(Line("desk.offer.agent"))
        if not options:
            return Reply((call_again_line(ctx, desk_call), Line("goodbye")), Hangup())
        return Reply(tuple(options), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        settings = DeskSettings.of(ctx.settings)
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is None:
            return None
        if key == "2" and queue.may_keep_waiting(ctx.session, settings, desk_call, ctx.now):
            queue.keep_waiting(ctx.session, desk_call, ctx.now)
            return Goto("expert_desk.joining")
        if key != "1" or not queue.callback_number(desk_call):
            return None
        return Goto("expert_desk.callback_confirm")


class ConfirmingDeskCallback(State):
    """The number is read back before the callback is booked: 1 books it, 2 does not."""

    name = "expert_desk.callback_confirm"
    parent = "expert_desk.offer"

    def prompt(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        number = queue.callback_number(desk_call) if desk_call else None
        if number is None:
            return Reply((Line("desk.callback_unavailable_short"), Line("goodbye")), Hangup())
        spoken_number = spoken.phone_number(number, ctx.language)
        return Reply((Line("desk.callback_confirm", {"number": spoken_number}),), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        desk_call = queue.current(ctx.session, ctx.call)
        if desk_call is None:
            return None
        if key == "2":
            return Goto("expert_desk.offer")
        if key != "1" or not queue.request_callback(ctx.session, desk_call, ctx.now):
            return None
        return Goto("expert_desk.callback_booked")


class DeskCallbackBooked(State):
    """An expert (or a general agent) will call back: in line, their place is kept; out of
    hours, the caller hears when the calls are made; with nobody signed in, that the call
    comes once someone signs in, within the hours, or on the next day."""

    name = "expert_desk.callback_booked"
    parent = "main"

    def prompt(self, ctx: CallContext) -> Reply:
        desk_call = queue.current(ctx.session, ctx.call)
        number = queue.callback_number(desk_call) if desk_call else None
        spoken_number = spoken.phone_number(number, ctx.language) if number else ""
        settings = DeskSettings.of(ctx.settings)
        general = desk_call is not None and queue.is_general(desk_call)
        lines: tuple[Line, ...]
        if desk_call is not None and not queue.hours_of(settings, desk_call).is_open(ctx.now):
            hours = queue.hours_of(settings, desk_call)
            lines = (
                Line(
                    "agent.callback_window" if general else "desk.callback_window",
                    {
                        "number": spoken_number,
                        "open": spoken.time_of_day(hours.open, ctx.language),
                        "close": spoken.time_of_day(hours.close, ctx.language),
                    },
                ),
            )
        elif desk_call is not None and not queue.logged_in(ctx.session, desk_call.skill):
            lines = _when_signed_in(ctx, desk_call, spoken_number)
        else:
            key = "agent.callback_booked" if general else "desk.callback_booked"
            lines = (Line(key, {"number": spoken_number}),)
        return Reply((*lines, Line("goodbye")), Hangup())


def _when_signed_in(ctx: CallContext, desk_call: DeskCall, number: str) -> tuple[Line, ...]:
    """A callback booked while nobody with the skill is signed in: it is made when someone
    signs in, in turn, and only within the line's hours (carried over to the next day)."""
    general = queue.is_general(desk_call)
    key = "agent.callback_when_signed_in" if general else "desk.callback_when_signed_in"
    lines: tuple[Line, ...] = (Line(key, {"number": number}),)
    hours = queue.hours_of(DeskSettings.of(ctx.settings), desk_call)
    if not hours.always:
        said = {
            "open": spoken.time_of_day(hours.open, ctx.language),
            "close": spoken.time_of_day(hours.close, ctx.language),
        }
        lines += (Line("desk.callback_hours", said),)
    return lines


def closed_line(ctx: CallContext, desk_call: DeskCall | None = None) -> Line:
    """The hours of the caller's line (the desk's, or the general agents')."""
    settings = DeskSettings.of(ctx.settings)
    general = desk_call is not None and queue.is_general(desk_call)
    hours = policy.hours(settings.agent_hours if general else settings.desk_hours)
    return Line(
        "agent.closed" if general else "desk.closed",
        {
            "open": spoken.time_of_day(hours.open, ctx.language),
            "close": spoken.time_of_day(hours.close, ctx.language),
        },
    )


def call_again_line(ctx: CallContext, desk_call: DeskCall | None) -> Line:
    """Nothing to offer (no number to call back, nobody to wait for): when to call again."""
    settings = DeskSettings.of(ctx.settings)
    general = desk_call is None or queue.is_general(desk_call)
    hours = policy.hours(settings.agent_hours if general else settings.desk_hours)
    if hours.always or hours.is_open(ctx.now):
        return Line("agent.call_again_later")
    return Line(
        "agent.call_again",
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
        ConfirmingDeskCallback(),
        DeskCallbackBooked(),
    ]
