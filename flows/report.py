"""What every query service shares: read the figures, then offer repeat / other language / menu."""

from __future__ import annotations

from typing import Any, ClassVar

from ivr.flow import CallContext, Goto, State
from ivr.intents import Heard
from ivr.models import Subscriber
from ivr.reply import Line, Listen, Reply
from prompts import spoken
from prompts.catalog import other_language


class Report(State):
    """A service that reads the caller's figures aloud first, then asks what next.

    Subclasses load the facts (:meth:`facts`) and turn them into lines (:meth:`lines`);
    the facts are recorded with the call for the SMS summary.
    """

    service: ClassVar[str]
    parent = "queries"

    def enter(self, ctx: CallContext) -> Reply | Goto:
        subscriber = ctx.subscriber
        if subscriber is None:
            return Goto("unknown_caller")
        facts = self.facts(ctx, subscriber)
        ctx.record_query(self.service, facts)
        lines = (*self.lines(facts, ctx.language), sms_after_call(ctx, subscriber))
        return self.prompt(ctx).after(*lines)

    def prompt(self, ctx: CallContext) -> Reply:
        """What next: repeat, main menu, agent; then key 2, offered in the other language."""
        switch = Line("menu.switch_language", language=other_language(ctx.language))
        return Reply((Line("menu.after_report"), switch), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        """2 the other language, 9 the main menu; ``#`` repeats, as at every menu (the
        engine's global keys)."""
        if key == "2":
            return Goto(self.name, language=other_language(ctx.language))
        if key == "9":
            return Goto("main")
        return None

    def hear(self, ctx: CallContext, heard: Heard) -> Goto | None:
        return Goto(self.name, language=heard.language) if heard.intent == "repeat" else None

    def facts(self, ctx: CallContext, subscriber: Subscriber) -> dict[str, Any]:
        """The figures the caller is told, as plain JSON-able values."""
        raise NotImplementedError

    def lines(self, facts: dict[str, Any], language: str) -> tuple[Line, ...]:
        """What the caller hears about *facts*, in *language*."""
        raise NotImplementedError


def sms_after_call(ctx: CallContext, subscriber: Subscriber) -> Line:
    """Where the results go after hangup: the caller's phone, or, for a caller who verified
    another number, that number's phone (not the one they are calling from)."""
    if ctx.on_own_phone:
        return Line("report.sms_after_call")
    number = spoken.phone_number(subscriber.msisdn, ctx.language)
    return Line("report.sms_to_number", {"number": number})
