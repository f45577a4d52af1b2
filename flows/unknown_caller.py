"""A caller whose number is not a subscriber's: say so and offer an agent."""

from __future__ import annotations

from ivr.flow import CallContext, State
from ivr.reply import Line, Listen, Reply


class UnknownCaller(State):
    name = "unknown_caller"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply:
        return self.prompt(ctx).after(Line("caller.unknown"))

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("menu.unknown_caller"),), Listen())
