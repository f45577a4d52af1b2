"""A caller whose number is not a subscriber's: say so, offer to verify a number, or an agent."""

from __future__ import annotations

from ivr.flow import CallContext, Goto, State
from ivr.reply import Line, Listen, Reply


class UnknownCaller(State):
    name = "unknown_caller"
    parent = "main"

    def enter(self, ctx: CallContext) -> Reply:
        return self.prompt(ctx).after(Line("caller.unknown"))

    def prompt(self, ctx: CallContext) -> Reply:
        return Reply((Line("verify.offer"), Line("menu.unknown_caller")), Listen())

    def choose(self, ctx: CallContext, key: str) -> Goto | None:
        return Goto("verify") if key == "1" else None
